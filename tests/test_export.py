"""Every builder exported in every format Keras offers on this backend, and
run in a process where keras_seqlab cannot be imported.

One module fixture per format exports every model
(`keras_seqlab.build(name, (24, 3), units=8)`) and runs one child process
(`export_runner.py`) that loads and runs every artifact at batch sizes 1
and 7; each cell (format x builder) is then a test comparing the
artifact's numbers with `model.predict`'s. Every cell runs: LiteRT's
recurrent models too, their loops unrolled for the fixed window.
"""

import json
import pathlib
import subprocess
import sys
import types

import keras
import numpy as np
import pytest

import keras_seqlab
from keras_seqlab import deploy
from keras_seqlab.deploy import formats
from keras_seqlab.deploy.artifact import check_path

BACKEND = keras.backend.backend()
BUILDERS = keras_seqlab.models.names()
# Every builder, and a forecaster (raw values in, original units out: its
# ForecastSpec, input scaling, quantile head and output rescaling).
NAMES = (*BUILDERS, "forecaster")
COLUMNS = ("a", "b", "c")
OFFERED = formats.offered(BACKEND)
RUNNER = pathlib.Path(__file__).with_name("export_runner.py")
SHAPE = (24, 3)
TOLERANCE = {"onnx": 1e-5, "tf_saved_model": 1e-5, "litert": 1e-4}

# One worker exports and runs every artifact of a format (--dist loadgroup).
pytestmark = [
    pytest.mark.xdist_group("export"),
    # torch.onnx's tracer on Keras's shape arithmetic (the shapes are fixed
    # but the batch size, which the export keeps dynamic).
    pytest.mark.filterwarnings("ignore:.*might cause the trace to be incorr"),
    pytest.mark.filterwarnings("ignore:.*might not generalize to other inp"),
    pytest.mark.filterwarnings("ignore:.*registered as constants in the tr"),
    pytest.mark.filterwarnings("ignore:Constant folding"),
    pytest.mark.filterwarnings("ignore:You are using the legacy TorchScript"),
    pytest.mark.filterwarnings("ignore:The feature will be removed"),
]


def _needs(format):
    """The packages this format lacks here: its converter and runtime."""
    modules = [
        *formats.CONVERTERS[(BACKEND, format)],
        formats.RUNTIMES[format],
    ]
    return formats.missing(list(dict.fromkeys(modules)))


def _path(folder, name, format):
    return folder / f"{name}{formats.SUFFIXES[format]}"


def make_model(name):
    """The model of cell `name`: `build(name, (24, 3), units=8)`, or a
    forecaster around a quantile TCN with a fitted scaler."""
    if name != "forecaster":
        return keras_seqlab.build(name, SHAPE, units=8)
    inner = keras_seqlab.build(
        "tcn",
        SHAPE,
        units=8,
        head="seq_to_vector",
        horizon=3,
        quantiles=(0.1, 0.5, 0.9),
    )
    train = np.random.default_rng(5).normal(5.0, 2.0, size=(100, 3))
    return keras_seqlab.forecaster(
        inner,
        COLUMNS,
        "b",
        "seq_to_vector",
        3,
        scaler=keras_seqlab.Scaler().fit(train),
        freq=1,
    )


def _data(model, seed):
    rng = np.random.default_rng(seed)
    arrays = {}
    for size in (1, 7):
        x = rng.normal(3.0, 2.0, size=(size, *SHAPE)).astype("float32")
        arrays[f"x{size}"] = x
        arrays[f"y{size}"] = np.asarray(model.predict(x, verbose=0))
    return arrays


def blocked(format):
    """What the child cannot import: keras_seqlab, and Keras too but where
    the runtime is TensorFlow (which looks for Keras on import)."""
    if formats.RUNTIMES[format] == "tensorflow":
        return ["keras_seqlab"]
    return ["keras_seqlab", "keras"]


def run_child(folder, entries, block):
    """Runs `export_runner.py` on `entries` where the packages `block`
    cannot be imported; its JSON output."""
    manifest = folder / "manifest.json"
    manifest.write_text(json.dumps(entries), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(RUNNER), str(manifest), ",".join(block)],
        capture_output=True,
        text=True,
        timeout=600,
        env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """`(models, folder)`: every cell's model, built once for all formats,
    and beside it in `folder` its inputs and `predict`'s outputs."""
    folder = tmp_path_factory.mktemp("export_cases")
    keras.utils.set_random_seed(0)
    models = {}
    for i, name in enumerate(NAMES):
        models[name] = make_model(name)
        np.savez(folder / f"{name}.npz", **_data(models[name], i))
    return models, folder


@pytest.fixture(scope="module", params=OFFERED)
def exported(request, cases, tmp_path_factory):
    """One format's cells: every model exported (`models`, the export
    errors `errors`, in `folder`) and run in one child process (its
    `blocked` modules and `results`)."""
    format = request.param
    absent = _needs(format)
    if absent:
        names = ", ".join(formats.DISTRIBUTIONS.get(m, m) for m in absent)
        pytest.skip(f"{format} on {BACKEND} needs {names} (not installed)")
    models, data = cases
    folder = tmp_path_factory.mktemp(f"export_{format}")
    errors, entries = {}, []
    for name, model in models.items():
        path = _path(folder, name, format)
        try:
            deploy.export_model(model, path, format)
        except deploy.ExportError as error:
            errors[name] = str(error)
            continue
        entry = {"name": name, "format": format, "path": str(path)}
        entries.append({**entry, "data": str(data / f"{name}.npz")})
    output = run_child(folder, entries, blocked(format))
    return types.SimpleNamespace(
        format=format, folder=folder, models=models, errors=errors, **output
    )


def test_the_child_cannot_import_keras_seqlab(exported):
    assert exported.blocked == blocked(exported.format)
    assert "keras_seqlab" in exported.blocked


@pytest.mark.parametrize("name", NAMES)
def test_runs_without_keras_seqlab(exported, name):
    format, errors = exported.format, exported.errors
    assert name not in errors, errors.get(name)
    result = exported.results[name]
    assert "error" not in result, result["error"]
    for size in ("1", "7"):
        assert result[size] <= TOLERANCE[format], (name, size, result)


def test_the_metadata_says_how_to_feed_it(exported):
    path = _path(exported.folder, "forecaster", exported.format)
    info = deploy.read_metadata(path)
    assert info["model"] == exported.models["forecaster"].name
    assert (info["format"], info["backend"]) == (exported.format, BACKEND)
    spec = info["forecaster"]
    assert spec["columns"] == list(COLUMNS) and spec["target"] == "b"
    assert (spec["window"], spec["horizon"], spec["freq"]) == (24, 3, 1)
    assert spec["quantiles"] == [0.1, 0.5, 0.9]
    ((given,),) = [info["inputs"]]
    assert given["shape"] == [None, *SHAPE] and given["dtype"] == "float32"
    assert [o["shape"] for o in info["outputs"]] == [[None, 3, 3]]
    # Named after the output layer (a converter numbers them).
    assert info["outputs"][0]["name"] == "unscale_outputs"
    if exported.format == "onnx":
        import onnx

        graph = onnx.load(str(path)).graph
        assert given["name"] == graph.input[0].name
        assert info["outputs"][0]["name"] == graph.output[0].name
    plain = deploy.read_metadata(_path(exported.folder, "tcn", exported.format))
    assert plain["forecaster"] is None and plain["step"] is None


# One streaming builder of each kind: Keras's LSTM, a cell of ours, a
# stack, the parallel scan, a conv before a GRU, WaveNet's buffers and
# attention's growing key/value cache.
STEPPED = (
    "lstm",
    "peephole_lstm",
    "stacked_gru",
    "min_gru",
    "conv_gru",
    "wavenet",
    "attention",
)


@pytest.fixture(scope="module")
def stepped(tmp_path_factory):
    """Every `STEPPED` seq-to-seq model's ONNX step model, stepped over a
    sequence in one child process: `(models, paths, results)`."""
    if "onnx" not in OFFERED or _needs("onnx"):
        pytest.skip(f"ONNX on {BACKEND} needs {_needs('onnx') or 'Keras'}")
    folder = tmp_path_factory.mktemp("export_steps")
    keras.utils.set_random_seed(1)
    models, paths, entries = {}, {}, []
    for i, name in enumerate(STEPPED):
        model = keras_seqlab.build(
            name, (None, 3), units=8, head="seq_to_seq", horizon=2
        )
        x = np.random.default_rng(i).normal(size=(3, 10, 3)).astype("float32")
        data = folder / f"{name}.npz"
        np.savez(data, x=x, y=np.asarray(model.predict(x, verbose=0)))
        path = deploy.export_model(model, folder / f"{name}.onnx", step=True)
        models[name], paths[name] = model, path
        entry = {"name": name, "format": "onnx", "path": str(path)}
        entries.append({**entry, "data": str(data), "step": True})
    output = run_child(folder, entries, blocked("onnx"))
    return models, paths, output["results"]


@pytest.mark.parametrize("name", STEPPED)
def test_the_onnx_step_model_steps_like_the_model(stepped, name):
    # Stepped 10 times in onnxruntime from the state its metadata gives,
    # it forecasts what the whole model forecasts at every step.
    models, paths, results = stepped
    assert "error" not in results[name], results[name]["error"]
    assert results[name]["steps"] <= 1e-5, results[name]
    import onnx

    graph = onnx.load(str(paths[name])).graph
    info = deploy.read_metadata(paths[name])
    n_state = len(info["step"]["initial_state"])
    assert n_state > 0
    states = [f"state_in_{i}" for i in range(n_state)]
    assert [v.name for v in graph.input] == ["x_t", *states]
    outputs = ["y_t", *(f"state_out_{i}" for i in range(n_state))]
    assert [v.name for v in graph.output] == outputs
    assert info["step"]["state_inputs"] == states


def test_a_format_keras_does_not_offer_is_named():
    with pytest.raises(ValueError) as raised:
        formats.check_format("tf_saved_model", backend="torch")
    message = str(raised.value)
    assert "'tf_saved_model'" in message and "torch" in message
    assert "offers onnx, litert" in message
    with pytest.raises(ValueError, match="one of tf_saved_model, onnx, lite"):
        formats.check_format("pickle", backend="jax")


def test_a_missing_converter_is_named(monkeypatch):
    format = OFFERED[0]
    monkeypatch.setitem(
        formats.CONVERTERS, (BACKEND, format), ("no_such_converter",)
    )
    model = keras_seqlab.build("gru", SHAPE, units=4)
    with pytest.raises(ImportError, match="needs no_such_converter") as got:
        deploy.export_model(model, "unused.onnx", format)
    assert "pip install no_such_converter" in str(got.value)
    hint = formats.install_hint(["jax2onnx", "onnx", "litert_torch"])
    assert hint == (
        'pip install "keras-seqlab[export,export-jax]" and pip install '
        "litert-torch"
    )


def _exportable():
    for format in OFFERED:
        if not formats.missing(formats.CONVERTERS[(BACKEND, format)]):
            return format
    pytest.skip(f"no converter installed for {', '.join(OFFERED)}")


def test_bad_paths_are_refused_and_nothing_is_touched(tmp_path):
    model = keras_seqlab.build("dense", SHAPE, units=4)
    with pytest.raises(ValueError, match=r"must end with \.onnx"):
        deploy.export_model(model, tmp_path / "m.txt", "onnx")
    with pytest.raises(ValueError, match="does not exist"):
        deploy.export_model(model, tmp_path / "no" / "m.onnx", "onnx")
    keep = tmp_path / "notes"
    keep.mkdir()
    (keep / "a.txt").write_text("mine")
    with pytest.raises(ValueError, match="holds no SavedModel"):
        check_path(keep, "tf_saved_model")
    assert [p.name for p in keep.iterdir()] == ["a.txt"]
    with pytest.raises(ValueError, match="is a file; a SavedModel"):
        check_path(keep / "a.txt", "tf_saved_model")


def test_litert_refuses_a_loop_it_cannot_unroll(tmp_path):
    # A fixed window's loops are unrolled into builtin ops (every cell
    # above); a window of any length keeps TensorFlow's loop ops, which
    # the LiteRT interpreter cannot run: refused, naming the layers.
    if BACKEND != "tensorflow" or _needs("litert"):
        pytest.skip("LiteRT's Flex ops come from TensorFlow's converter")
    model = keras_seqlab.build("stacked_gru", (None, 3), units=4)
    with pytest.raises(deploy.ExportError) as raised:
        deploy.export_model(model, tmp_path / "m.tflite", "litert")
    message = str(raised.value)
    loops = [layer.name for layer in model.layers if "gru" in layer.name]
    assert len(loops) == 2 and all(f"'{n}' (" in message for n in loops)
    assert "FlexTensorList" in message and "no fixed length" in message
    assert list(tmp_path.iterdir()) == []


class Boom(keras.layers.Layer):
    """Raises when `armed`: a layer a converter cannot express."""

    armed = False

    def call(self, x):
        if Boom.armed:
            raise TypeError("cannot express this")
        return x


def test_a_failed_export_names_the_layer_and_keeps_the_old_file(
    tmp_path, monkeypatch
):
    format = _exportable()
    inputs = keras.Input(SHAPE)
    x = keras.layers.Dense(4, name="first")(inputs)
    model = keras.Model(inputs, Boom(name="boom")(x), name="fails")
    path = tmp_path / f"m{formats.SUFFIXES[format] or ''}"
    if format == "tf_saved_model":
        path.mkdir()
        (path / "saved_model.pb").write_bytes(b"old")
        old = path / "saved_model.pb"
    else:
        path.write_bytes(b"old")
        old = path
    monkeypatch.setattr(Boom, "armed", True)
    with pytest.raises(deploy.ExportError) as raised:
        deploy.export_model(model, path, format)
    message = str(raised.value)
    assert "'fails'" in message and format in message and BACKEND in message
    assert "layer 'boom' (Boom)" in message and "cannot express" in message
    assert old.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
