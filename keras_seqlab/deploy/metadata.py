"""What a serving program needs to know to feed an exported model.

`describe` gathers it: the inputs and outputs (names, shapes, dtypes),
the forecaster's spec (`forecasting.forecaster_spec`: columns, target,
window, horizon, quantiles, frequency...) when the model is a forecaster,
the step model's state when it is one, and the versions that wrote it.
It is written beside the artifact (`metadata_path`: a JSON file next to a
SavedModel folder or a `.tflite` file) or inside it (ONNX:
`metadata_props["keras_seqlab"]`, see `onnx_graph.set_metadata`).
"""

import json
import pathlib
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version

import keras

from keras_seqlab.forecasting import forecaster_spec

# The key of the metadata in an ONNX model's `metadata_props`.
KEY = "keras_seqlab"


def package_version():
    """keras_seqlab's version, None when it runs from a source folder."""
    try:
        return version("keras-seqlab")
    except PackageNotFoundError:
        return None


def metadata_path(path):
    """The JSON file beside artifact `path`: `NAME.json` next to a
    SavedModel folder `NAME`, `NAME.tflite.json` next to `NAME.tflite`."""
    path = pathlib.Path(path)
    return path.with_name(path.name + ".json")


def output_names(model):
    """Names for `model`'s outputs (in the metadata, and in an ONNX file):
    its output layers' names (`model.output_names`) where they are
    distinct, else `output_0`, ... (converters name them by number or op;
    a SavedModel's signature `output_0`, ...: the same order)."""
    names = list(getattr(model, "output_names", None) or ())
    if len(names) != len(model.outputs) or len(set(names)) != len(names):
        names = [f"output_{i}" for i in range(len(model.outputs))]
    return names


def _tensors(tensors, names=None):
    found = []
    for i, tensor in enumerate(tensors):
        found.append(
            {
                "name": names[i] if names else tensor.name,
                "shape": list(tensor.shape),
                "dtype": keras.backend.standardize_dtype(tensor.dtype),
            }
        )
    return found


def initial_state(state):
    """The step model's first state as JSON: per state its shape without
    the batch axis, dtype, and `"zeros": true` or its `"value"` (one
    sample's; the same for every sample). `state`: the stepper's initial
    state for a batch of 1."""
    found = []
    for tensor in state:
        value = keras.ops.convert_to_numpy(tensor)[0]
        entry = {
            "shape": list(value.shape),
            "dtype": keras.backend.standardize_dtype(str(value.dtype)),
        }
        if value.size and value.any():
            entry["value"] = value.tolist()
        else:
            entry["zeros"] = True
        found.append(entry)
    return found


def _spec(model):
    """The forecaster's spec, None for a model that is not a forecaster."""
    try:
        spec = forecaster_spec(model)
    except ValueError:
        return None
    return json.loads(json.dumps(spec, default=str))


def describe(model, exported, format, backend, step=None):
    """The metadata of `exported` (`model` itself, or its step model).

    Args:
        model: the model the user exports.
        exported: the Keras model written (`model`, or with `step` its
            step model).
        format: the artifact's format.
        backend: the Keras backend that wrote it.
        step: None, or `(input names, output names, initial state)` of
            a step model (`initial_state`).

    Returns:
        A JSON-ready dict.
    """
    inputs = _tensors(exported.inputs, step[0] if step else None)
    outputs = _tensors(
        exported.outputs, step[1] if step else output_names(exported)
    )
    info = {
        "model": model.name,
        "format": format,
        "backend": backend,
        "keras": keras.__version__,
        "keras_seqlab": package_version(),
        "inputs": inputs,
        "outputs": outputs,
        "forecaster": _spec(model),
        "step": None,
    }
    if step:
        n_x = len(model.inputs)
        n_y = len(model.outputs)
        info["step"] = {
            "inputs": [t["name"] for t in inputs[:n_x]],
            "state_inputs": [t["name"] for t in inputs[n_x:]],
            "outputs": [t["name"] for t in outputs[:n_y]],
            "state_outputs": [t["name"] for t in outputs[n_y:]],
            "initial_state": step[2],
            "rule": "start from initial_state (each sample's state, "
            "repeated over the batch); feed state_out_i back as "
            "state_in_i at the next step",
        }
    return info


def read_metadata(path):
    """The metadata `export_model` wrote for the artifact at `path`: from
    an ONNX file's `metadata_props`, else from the JSON beside it.

    Raises:
        ValueError: there is none (not written by `export_model`).
    """
    path = pathlib.Path(path)
    if path.suffix.lower() == ".onnx":
        import onnx

        model = onnx.load(str(path), load_external_data=False)
        for prop in model.metadata_props:
            if prop.key == KEY:
                return json.loads(prop.value)
        raise ValueError(
            f"read_metadata: {str(path)!r} has no metadata_props[{KEY!r}]; "
            "expected an ONNX file written by export_model."
        )
    beside = metadata_path(path)
    if not beside.is_file():
        raise ValueError(
            f"read_metadata: no {str(beside)!r} beside {str(path)!r}; "
            "expected an artifact written by export_model."
        )
    return json.loads(beside.read_text(encoding="utf-8"))
