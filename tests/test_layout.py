"""The package's layering, read from the installed modules' imports.

Imports run one way (docs/layout.md): the CLI on top,
then tuning, experiments, testing, models, layers, and data, reference and
utils at the bottom. No module imports another module's private names.
"""

import ast
import importlib.util
import pathlib
import subprocess
import sys

import pytest

import keras_seqlab

# The package's source and import graph: the same on every backend.
pytestmark = pytest.mark.backend_free

ROOT = pathlib.Path(keras_seqlab.__file__).parent


def _folder(name):
    """Where `keras_seqlab.NAME` lives (reference/ and tuning/ are mapped
    from the top level of a source checkout)."""
    origin = importlib.util.find_spec(f"keras_seqlab.{name}").origin
    return pathlib.Path(origin).parent


# What each part of the package may import from keras_seqlab (itself too).
ALLOWED = {
    "utils": set(),
    "reference": set(),
    "data": {"utils"},
    "layers": {"utils"},
    "models": {"layers", "utils"},
    "testing": {"layers", "reference", "utils"},
    "streaming": {"layers", "utils"},
    "forecasting": {"streaming", "models", "layers", "data", "utils"},
    # Exports (SavedModel, ONNX, LiteRT); the CLI's `seqlab export` uses it.
    "deploy": {
        "forecasting",
        "streaming",
        "models",
        "layers",
        "data",
        "utils",
    },
    "experiments": {
        "forecasting",
        "streaming",
        "models",
        "layers",
        "data",
        "utils",
    },
    "tuning": {
        "experiments",
        "streaming",
        "forecasting",
        "models",
        "layers",
        "data",
        "utils",
    },
    # utils: the backend is chosen before anything loads Keras.
    "__init__": {
        "data",
        "forecasting",
        "layers",
        "models",
        "streaming",
        "utils",
    },
}


def _modules():
    """(part, path) of every module of the package."""
    found = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        part = relative.stem if len(relative.parts) == 1 else relative.parts[0]
        found[path] = part
    for name in ("reference", "tuning"):
        for path in _folder(name).rglob("*.py"):
            found[path] = name
    return sorted((part, path) for path, part in found.items())


def _imports(path):
    """(imported module, [names]) of every `from keras_seqlab...` import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            module = node.module or ""
            if module == "keras_seqlab" or module.startswith("keras_seqlab."):
                found.append((module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("keras_seqlab"):
                    found.append((alias.name, []))
    return found


def _target(module, name):
    """The package part an import reaches: keras_seqlab.X... -> X."""
    parts = module.split(".")
    if len(parts) == 1:
        return name
    return parts[1]


def test_imports_run_one_way():
    wrong = []
    for part, path in _modules():
        if part == "cli":
            continue
        allowed = ALLOWED[part] | {part}
        for module, names in _imports(path):
            for name in names or [""]:
                target = _target(module, name)
                if target not in allowed:
                    wrong.append(f"{path}: {module} {name}")
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def _private_reach(module, name):
    """The folder of the private module or name an import reaches, or None:
    `from a.b import _c` and `from a.b._c import d` reach a/b's `_c`."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and part != "__init__":
            return parts[:i]
    if name.startswith("_"):
        return parts
    return None


def test_no_private_names_cross_modules():
    # A private module (`recurrent/_loop.py`) is its folder's machinery:
    # imported by its siblings only. A private name stays in its module.
    wrong = []
    for _, path in _modules():
        package = None
        if path.is_relative_to(ROOT):
            package = ["keras_seqlab", *path.parent.relative_to(ROOT).parts]
        for module, names in _imports(path):
            for name in names or [""]:
                folder = _private_reach(module, name)
                if folder is None:
                    continue
                own_module = ROOT.joinpath(*folder[1:], f"{name}.py").exists()
                from_own = module != ".".join(folder) and not name.startswith(
                    "_"
                )
                sibling = folder == package and (own_module or from_own)
                if not sibling:
                    wrong.append(f"{path}: {module} {name}")
    assert not wrong, "\n".join(wrong)


def test_the_layering_check_sees_a_wrong_import(tmp_path):
    # The reader must find an import that goes up: a layer importing the
    # experiments would be reported.
    module = tmp_path / "bad.py"
    module.write_text("from keras_seqlab.experiments import compare\n")
    ((target, names),) = _imports(module)
    assert _target(target, names[0]) == "experiments"
    assert "experiments" not in ALLOWED["layers"]


@pytest.mark.slow
def test_import_loads_layers_data_and_models_only():
    code = (
        "import sys, keras_seqlab; print(sorted({m.split('.')[1] for m in "
        "sys.modules if m.startswith('keras_seqlab.')}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(ast.literal_eval(done.stdout.strip().splitlines()[-1]))
    assert loaded == {
        "data",
        "forecasting",
        "layers",
        "models",
        "streaming",
        "utils",
    }


def test_no_module_is_over_500_lines():
    long = {
        str(path): n
        for _, path in _modules()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert not long, long


def test_the_private_module_rule_reads_an_import():
    layers = ["keras_seqlab", "layers", "recurrent"]
    assert _private_reach("keras_seqlab.layers.recurrent", "_loop") == layers
    assert _private_reach("keras_seqlab.layers.recurrent._scan", "f") == layers
    assert _private_reach("keras_seqlab.layers.recurrent", "base") is None
    assert _private_reach("keras_seqlab.utils.files", "_tmp") == [
        "keras_seqlab",
        "utils",
        "files",
    ]
