"""Runs exported artifacts in a process where keras_seqlab (and Keras)
cannot be imported: the child process of tests/test_export.py.

    python export_runner.py MANIFEST.json BLOCKED

BLOCKED names the packages that cannot be imported here, comma-separated:
`keras_seqlab` always; `keras` too where the runtime does not need it
(TensorFlow looks for Keras when it is imported, so a SavedModel's
runtime has it installed, though the artifact does not use it).

The manifest is a list of entries `{"name", "format", "path", "data"}`:
`data` is an `.npz` file of inputs `x1`, `x7` and `predict`'s outputs
`y1`, `y7`; for an entry with `"step": true` (an ONNX step model) it
holds a sequence `x` (batch, T, features) and the full-sequence outputs
`y` (batch, T, ...): the model is stepped T times from the first state
its own metadata gives. It prints one JSON object: `blocked` (the
modules whose import failed here, as it must) and `results`, per entry
name the largest error per batch size (absolute, or relative to the
outputs' largest magnitude where that is over 1) (`{"1": e, "7": e}`, or
`{"steps": e}`) or `{"error": text}`.
"""

import importlib
import json
import sys

BLOCKED = tuple(sys.argv[2].split(",")) if len(sys.argv) > 2 else ()


class _Block:
    """A finder that refuses to import the blocked packages."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} cannot be imported here")
        return None


sys.meta_path.insert(0, _Block())

import numpy as np  # noqa: E402


def _blocked():
    found = []
    for name in BLOCKED:
        try:
            importlib.import_module(name)
        except ImportError:
            found.append(name)
    return found


def _onnx(path):
    import onnxruntime

    session = onnxruntime.InferenceSession(
        path, providers=["CPUExecutionProvider"]
    )
    names = [i.name for i in session.get_inputs()]

    def run(*inputs):
        return session.run(None, dict(zip(names, inputs)))

    return run


def _saved_model(path):
    import tensorflow as tf

    loaded = tf.saved_model.load(path)

    def run(*inputs):
        out = loaded.serve(*[tf.constant(x) for x in inputs])
        out = out if isinstance(out, (list, tuple)) else [out]
        return [o.numpy() for o in out]

    return run


def _litert(path):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=path)

    def run(*inputs):
        details = interpreter.get_input_details()
        for detail, x in zip(details, inputs):
            interpreter.resize_tensor_input(detail["index"], x.shape)
        interpreter.allocate_tensors()
        for detail, x in zip(details, inputs):
            interpreter.set_tensor(detail["index"], x)
        interpreter.invoke()
        return [
            interpreter.get_tensor(d["index"])
            for d in interpreter.get_output_details()
        ]

    return run


RUNTIMES = {"onnx": _onnx, "tf_saved_model": _saved_model, "litert": _litert}


def _error(got, want):
    """The largest difference, relative to the outputs' size where they
    pass 1 (a forecaster's outputs are in the data's units)."""
    got = np.asarray(got)
    if got.shape != want.shape:
        raise ValueError(f"shape {got.shape}, expected {want.shape}")
    size = max(1.0, float(np.max(np.abs(want))))
    return float(np.max(np.abs(got - want))) / size


def _first_state(session, batch):
    """The step model's first state for `batch` samples, read from the
    metadata inside the ONNX file (as a serving program would)."""
    meta = session.get_modelmeta().custom_metadata_map["keras_seqlab"]
    state = []
    for entry in json.loads(meta)["step"]["initial_state"]:
        shape = (batch, *entry["shape"])
        if entry.get("zeros"):
            state.append(np.zeros(shape, entry["dtype"]))
        else:
            value = np.asarray(entry["value"], entry["dtype"])
            state.append(np.broadcast_to(value, shape).copy())
    return state


def _steps(path, data):
    """An ONNX step model stepped over `x`, one time point a call."""
    import onnxruntime

    session = onnxruntime.InferenceSession(
        path, providers=["CPUExecutionProvider"]
    )
    names = [i.name for i in session.get_inputs()]
    x = data["x"]
    state = _first_state(session, x.shape[0])
    outputs = []
    for t in range(x.shape[1]):
        y, *state = session.run(None, dict(zip(names, [x[:, t], *state])))
        outputs.append(y)
    return {"steps": _error(np.stack(outputs, axis=1), data["y"])}


def _one(entry):
    data = np.load(entry["data"])
    if entry.get("step"):
        return _steps(entry["path"], data)
    run = RUNTIMES[entry["format"]](entry["path"])
    return {
        size: _error(run(data[f"x{size}"])[0], data[f"y{size}"])
        for size in ("1", "7")
    }


def main(manifest):
    with open(manifest, encoding="utf-8") as file:
        entries = json.load(file)
    results = {}
    for entry in entries:
        try:
            results[entry["name"]] = _one(entry)
        except Exception as error:  # reported, the parent test fails
            text = f"{type(error).__name__}: {error}".strip()
            results[entry["name"]] = {"error": text[:500]}
    print(json.dumps({"blocked": _blocked(), "results": results}))


if __name__ == "__main__":
    main(sys.argv[1])
