"""`seqlab export`: a saved forecaster written as an artifact; bad settings
refused (status 2) and failures reported (status 1) before or without
anything written."""

import contextlib
import io

import keras
import numpy as np
import pytest

import keras_seqlab
from keras_seqlab import cli
from keras_seqlab import deploy
from keras_seqlab.deploy import formats
from keras_seqlab.utils import files

BACKEND = keras.backend.backend()
# torch.onnx's tracer on Keras's shape arithmetic (see test_export.py).
pytestmark = [
    pytest.mark.filterwarnings("ignore:.*might cause the trace to be incorr"),
    pytest.mark.filterwarnings("ignore:.*might not generalize to other inp"),
    pytest.mark.filterwarnings("ignore:.*registered as constants in the tr"),
    pytest.mark.filterwarnings("ignore:Constant folding"),
    pytest.mark.filterwarnings("ignore:You are using the legacy TorchScript"),
    pytest.mark.filterwarnings("ignore:The feature will be removed"),
]


def _main(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(["export", *argv])
    return status, out.getvalue(), err.getvalue()


def _onnx():
    """Skips unless ONNX can be written and run here."""
    absent = formats.missing(
        [*formats.CONVERTERS[(BACKEND, "onnx")], "onnxruntime"]
    )
    if absent:
        pytest.skip(f"ONNX on {BACKEND} needs {', '.join(absent)}")


@pytest.fixture
def saved(tmp_path):
    """`(forecaster, its .keras file)`: a quantile GRU forecaster of three
    columns with a fitted scaler."""
    inner = keras_seqlab.build(
        "gru", (12, 3), units=4, horizon=2, head="seq_to_vector"
    )
    train = np.random.default_rng(0).normal(10.0, 3.0, size=(50, 3))
    model = keras_seqlab.forecaster(
        inner,
        ["a", "b", "c"],
        "c",
        "seq_to_vector",
        2,
        scaler=keras_seqlab.Scaler().fit(train),
        freq=7,
    )
    path = tmp_path / "gru.keras"
    files.save_model(model, path)
    return model, path


def test_a_forecaster_exports_to_onnx_raw_in_raw_out(saved):
    _onnx()
    import onnxruntime

    model, path = saved
    status, out, err = _main([str(path), "--format", "onnx"])
    assert status == 0, err
    written = path.with_suffix(".onnx")
    assert f"wrote {written}" in err
    assert "inputs:  raw_windows (None, 12, 3) float32" in out
    assert "target 'c', window 12, horizon 2" in out
    x = np.random.default_rng(1).normal(10.0, 3.0, (5, 12, 3))
    x = x.astype("float32")
    session = onnxruntime.InferenceSession(str(written))
    (got,) = session.run(None, {session.get_inputs()[0].name: x})
    want = model.predict(x, verbose=0)
    assert np.max(np.abs(got - want)) <= 1e-5 * max(1, np.abs(want).max())
    spec = deploy.read_metadata(written)["forecaster"]
    assert spec["columns"] == ["a", "b", "c"] and spec["freq"] == 7


def test_the_step_model_exports_with_named_state(saved):
    _onnx()
    model, path = saved
    out_path = path.with_name("step.onnx")
    status, out, err = _main(
        [str(path), "--format", "onnx", "--step", "--out", str(out_path)]
    )
    assert status == 0, err
    assert out.startswith(f"onnx: step model of {model.name}")
    info = deploy.read_metadata(out_path)
    assert info["step"]["state_inputs"][0] == "state_in_0"
    assert info["step"]["outputs"] == ["y_t"]


def _unoffered():
    for format in formats.FORMATS:
        if format not in formats.offered(BACKEND):
            return format
    return None


def _refused(tmp_path, argv, text):
    before = sorted(p.name for p in tmp_path.iterdir())
    status, out, err = _main(argv)
    assert status == 2, err
    assert text in err and len(err.strip().splitlines()) == 1, err
    assert out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_bad_settings_are_one_line_and_write_nothing(saved, tmp_path):
    _, path = saved
    model = str(path)
    _refused(
        tmp_path,
        [str(tmp_path / "no.keras"), "--format", "onnx"],
        ("MODEL: no file at"),
    )
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    _refused(tmp_path, [str(notes), "--format", "onnx"], "must be a .keras")
    _refused(
        tmp_path,
        [model, "--format", "onnx", "--out", str(tmp_path / "m.txt")],
        "--out of the onnx artifact must end with .onnx",
    )
    _refused(
        tmp_path,
        [model, "--format", "onnx", "--out", str(tmp_path / "no/m.onnx")],
        "does not exist",
    )
    unoffered = _unoffered()
    if unoffered is not None:
        _refused(
            tmp_path,
            [model, "--format", unoffered],
            f"does not export format {unoffered!r} on the {BACKEND} backend",
        )


def test_step_of_a_model_that_cannot_step_is_refused(tmp_path):
    _onnx()
    path = tmp_path / "dense.keras"
    files.save_model(keras_seqlab.build("dense", (12, 3), units=4), path)
    _refused(
        tmp_path,
        [str(path), "--format", "onnx", "--step"],
        "--step: stream: layer 'flatten' (Flatten) cannot step",
    )


def test_a_model_the_format_cannot_express_is_status_1(
    saved, tmp_path, monkeypatch
):
    _onnx()
    _, path = saved

    def fails(self, *args, **kwargs):
        raise NotImplementedError("no such op in this opset")

    monkeypatch.setattr(keras.Model, "export", fails)
    status, out, err = _main([str(path), "--format", "onnx"])
    assert status == 1, err
    assert "cannot be exported to onnx" in err and "no such op" in err
    assert not path.with_suffix(".onnx").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_a_failed_write_is_status_1_and_leaves_nothing(
    saved, tmp_path, monkeypatch
):
    _onnx()
    _, path = saved
    from keras_seqlab.deploy import artifact

    def full(partial, target):
        raise OSError(28, "No space left on device", str(target))

    monkeypatch.setattr(artifact, "_replace", full)
    status, out, err = _main([str(path), "--format", "onnx"])
    assert status == 1, err
    assert "cannot write" in err and "No space left on device" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
