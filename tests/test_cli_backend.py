"""The first minutes: the backend chosen, `--version`, model names in help.

The backend tests run `seqlab` in a subprocess with `KERAS_BACKEND` unset
and a `keras.json` naming a backend that is not installed (`openvino`,
which Keras knows and the test machines lack).
"""

import json
import os
import subprocess
import sys

import pytest

from keras_seqlab.experiments.tasks import choose_models
from keras_seqlab.experiments.tasks import label
from keras_seqlab.models import names
from keras_seqlab.utils import backend

# How `seqlab` picks a backend, in fresh processes: the same code whichever
# backend the environment has (tox runs it in the torch environment only).
pytestmark = pytest.mark.backend_free

MISSING = "openvino"


def _run(*args, keras_json=None, tmp_path, **environ):
    env = dict(os.environ)
    env.pop("KERAS_BACKEND", None)
    env.update(environ)
    if keras_json is not None:
        (tmp_path / "keras.json").write_text(json.dumps(keras_json))
        env["KERAS_HOME"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "-m", "keras_seqlab.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def missing_backend():
    if backend.installed(MISSING):
        pytest.skip(f"{MISSING} is installed here: no missing backend to name")
    return MISSING


def _first_installed():
    return next(b for b in backend.PREFERENCE if backend.installed(b))


@pytest.mark.slow
def test_a_missing_configured_backend_falls_back(tmp_path, missing_backend):
    done = _run(
        "--version", keras_json={"backend": missing_backend}, tmp_path=tmp_path
    )
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip()
    chosen = _first_installed()
    assert line.startswith("seqlab (keras_seqlab ")
    assert f"backend {chosen} ({missing_backend} (" in line
    assert "is not installed; set KERAS_BACKEND to choose)" in line
    # The same choice for `seqlab check --list` (which imports everything).
    listed = _run(
        "check", "--list", keras_json={"backend": missing_backend},
        tmp_path=tmp_path,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert "Traceback" not in listed.stderr


@pytest.mark.slow
def test_backend_flag_runs_the_command_on_that_backend(tmp_path):
    for name in [b for b in backend.PREFERENCE if backend.installed(b)][:2]:
        done = _run("--backend", name, "--version", tmp_path=tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().endswith(f"backend {name}")


def test_an_explicit_missing_backend_is_one_line(tmp_path, missing_backend):
    done = _run("--version", tmp_path=tmp_path, KERAS_BACKEND=missing_backend)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.endswith(
        f"keras_seqlab: KERAS_BACKEND={missing_backend}, but "
        f"{missing_backend} is not installed; install it or set "
        f"KERAS_BACKEND to one of "
        f"{', '.join(b for b in backend.PREFERENCE if backend.installed(b))}"
        ' (installed); pip install "keras-seqlab[jax]" (or [torch], '
        "[tensorflow])."
    )


def test_choose_with_nothing_installed(monkeypatch):
    monkeypatch.setattr(backend, "installed", lambda name: False)
    monkeypatch.delitem(sys.modules, "keras")
    environ = {"KERAS_HOME": "/nonexistent"}
    with pytest.raises(ImportError, match="no Keras backend is installed"):
        backend.choose(environ)
    assert "KERAS_BACKEND" not in environ


def test_choose_prefers_jax_then_torch_then_tensorflow(monkeypatch):
    monkeypatch.delitem(sys.modules, "keras")
    have = {"torch", "tensorflow"}
    monkeypatch.setattr(backend, "installed", lambda name: name in have)
    environ = {"KERAS_HOME": "/nonexistent"}  # Keras's default: tensorflow
    assert backend.choose(environ) == ("tensorflow", None)
    have.discard("tensorflow")
    environ = {"KERAS_HOME": "/nonexistent"}
    name, reason = backend.choose(environ)
    assert (name, environ["KERAS_BACKEND"]) == ("torch", "torch")
    assert reason.startswith("tensorflow (Keras's default) is not installed")


def test_models_takes_leaderboard_labels():
    labels = [label(n) for n in names()]
    assert "gru_variant(mgu)" in labels
    assert choose_models(",".join(labels)) == list(names())
    assert choose_models("gru_variant(mgu), lstm") == ["gru_variant", "lstm"]
    with pytest.raises(ValueError, match="or the labels gru_variant\\(mgu\\)"):
        choose_models("gru_variant(gru)")


@pytest.mark.slow
def test_help_lists_the_models(tmp_path):
    done = _run("compare", "--help", tmp_path=tmp_path)
    assert done.returncode == 0
    flat = " ".join(done.stdout.split())
    for name in names():
        assert name in flat
