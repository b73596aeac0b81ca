"""`export_model`: a model as a SavedModel, ONNX or LiteRT artifact that
runs where neither Keras nor keras_seqlab is installed."""

import os
import pathlib
import re
import shutil

import keras

from keras_seqlab.deploy import converters
from keras_seqlab.deploy import onnx_graph
from keras_seqlab.deploy.formats import OWNER
from keras_seqlab.deploy.formats import SUFFIXES
from keras_seqlab.deploy.formats import check_format
from keras_seqlab.deploy.metadata import describe
from keras_seqlab.deploy.metadata import initial_state
from keras_seqlab.deploy.metadata import metadata_path
from keras_seqlab.deploy.metadata import output_names
from keras_seqlab.streaming import stream
from keras_seqlab.utils.files import partial_path
from keras_seqlab.utils.files import write_json


class ExportError(ValueError):
    """A model the format (or its converter) cannot express; the message
    names the model, the format, the backend and, where it is known, the
    layer."""


def check_path(path, format):
    """`path` as a `pathlib.Path`, checked for `format`: `.onnx` and
    `.tflite` files; a SavedModel is a folder, which replaces only an
    existing SavedModel folder. Its folder must exist.

    Raises:
        ValueError: the suffix is wrong, the folder does not exist, or the
            path is a file where a folder goes (or a folder where a file
            goes, or a folder that is not a SavedModel).
    """
    path = pathlib.Path(path)
    suffix = SUFFIXES[format]
    if suffix and path.suffix.lower() != suffix:
        raise ValueError(
            f"{OWNER}: `path` of the {format} artifact must end with "
            f"{suffix}; got {str(path)!r}."
        )
    if not path.parent.is_dir():
        raise ValueError(
            f"{OWNER}: `path` {str(path)!r}: the folder "
            f"{str(path.parent)!r} does not exist."
        )
    if suffix and path.is_dir():
        raise ValueError(
            f"{OWNER}: `path` {str(path)!r} is a folder; a {format} "
            "artifact is a file."
        )
    if not suffix and path.exists():
        if not path.is_dir():
            raise ValueError(
                f"{OWNER}: `path` {str(path)!r} is a file; a SavedModel "
                "is a folder."
            )
        if not (path / "saved_model.pb").is_file():
            raise ValueError(
                f"{OWNER}: `path` {str(path)!r} is a folder that holds no "
                "SavedModel (no saved_model.pb); name a new folder."
            )
    return path


def step_names(model, exported):
    """`(inputs, outputs)` names of `model`'s step model `exported`:
    `x_t` (`x_t_1`, ... for more inputs), `state_in_0`, ...; `y_t`
    (`y_t_1`, ...), `state_out_0`, ..."""
    n_x, n_y = len(model.inputs), len(model.outputs)
    n_state = len(exported.inputs) - n_x

    def numbered(stem, n):
        return [f"{stem}_{i}" if i else stem for i in range(n)]

    states = range(n_state)
    return (
        numbered("x_t", n_x) + [f"state_in_{i}" for i in states],
        numbered("y_t", n_y) + [f"state_out_{i}" for i in states],
    )


def step_model(model):
    """`(step model, (input names, output names, initial state))`:
    `stream(model)`'s step model with its inputs named as `step_names`
    says, and its first state (`metadata.initial_state`)."""
    stepper = stream(model)
    inner = stepper.step_model()
    names = step_names(model, inner)
    inputs = [
        keras.Input(tuple(t.shape[1:]), dtype=t.dtype, name=name)
        for t, name in zip(inner.inputs, names[0])
    ]
    first = initial_state(stepper.initial_state(1))
    exported = keras.Model(inputs, inner(inputs), name=inner.name)
    return exported, (*names, first)


def _remove(path):
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _replace(partial, path):
    """Puts `partial` at `path`: a rename for a file; for a folder, the old
    one is moved aside first and removed after."""
    if not partial.is_dir() or not path.exists():
        os.replace(partial, path)
        return
    old = path.with_name(f".old-{path.name}")
    _remove(old)
    os.replace(path, old)
    os.replace(partial, path)
    _remove(old)


def _layer_in_traceback(error, model):
    """The innermost layer of `model` whose call was running when `error`
    was raised, as `'name' (Class)`; None if none was."""
    ours = {id(layer) for layer in converters.layers_of(model)}
    found = None
    trace = error.__traceback__
    while trace is not None:
        owner = trace.tb_frame.f_locals.get("self")
        if id(owner) in ours:
            found = owner
        trace = trace.tb_next
    if found is None:
        return None
    return f"{found.name!r} ({type(found).__name__})"


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _first_line(error):
    """The error's class and first line of text (the line after Keras's
    own "Exception encountered when calling ..." too)."""
    lines = [
        line.strip()
        for line in _ANSI.sub("", str(error)).splitlines()
        if line.strip()
    ]
    text = lines[0] if lines else ""
    if text.startswith("Exception encountered when calling") and lines[1:]:
        text = f"{text} {lines[1]}"
    return f"{type(error).__name__}: {text}"[:400]


def input_signature(model):
    """The input signature Keras's `export` takes for `model`: its inputs'
    structure with any batch size (given, Keras need not find it from a
    call, which JAX's `predict` does not record)."""

    def spec(tensor):
        return keras.InputSpec(
            shape=(None, *tensor.shape[1:]),
            dtype=tensor.dtype,
            name=tensor.name,
        )

    return [keras.tree.map_structure(spec, model.input)]


def _export(exported, model, partial, format, backend):
    """Keras's `export`, its failures as an `ExportError` that names the
    layer where one was running."""
    try:
        with converters.prepared(format, backend):
            exported.export(
                str(partial),
                format=format,
                verbose=False,
                input_signature=input_signature(exported),
            )
    except OSError:
        raise  # writing failed: not a model the format cannot express
    except Exception as error:
        layer = _layer_in_traceback(error, exported)
        where = f" in layer {layer}" if layer else ""
        raise ExportError(
            f"{OWNER}: model {model.name!r} cannot be exported to {format} "
            f"on the {backend} backend: the converter failed{where}: "
            f"{_first_line(error)}"
        ) from error


_FLEX = re.compile(rb"Flex[A-Z][A-Za-z0-9]+")


def check_builtin_ops(path, model):
    """Refuses a LiteRT file that needs TensorFlow (Flex) ops.

    Raises:
        ExportError: the file holds Flex ops (named, with `model`'s loop
            layers, which is where they come from, and why they were not
            unrolled).
    """
    ops = sorted({m.decode() for m in _FLEX.findall(path.read_bytes())})
    if not ops:
        return
    loops = [
        f"{layer.name!r} ({type(layer).__name__})"
        for layer in converters.loops(model)
    ]
    where, why = "", ""
    if loops:
        where = f" in its loops over time ({', '.join(loops)})"
        if not converters.fixed_window(model):
            why = (
                " Its window has no fixed length, so they cannot be "
                "unrolled: build it with input_shape=(T, features)."
            )
    raise ExportError(
        f"{OWNER}: model {model.name!r} exported to litert needs TensorFlow "
        f"ops{where}: {', '.join(ops)}, which the LiteRT interpreter "
        f"(ai-edge-litert) cannot run (it has no Flex delegate).{why} "
        "Export to tf_saved_model or onnx, or pass flex=True for a "
        "runtime that has it (TensorFlow's tf.lite.Interpreter)."
    )


def export_model(model, path, format="onnx", step=False, flex=False):
    """Writes `model` as a standalone artifact (Keras's `Model.export`).

    The artifact needs neither Keras nor keras_seqlab to run: a SavedModel
    folder (`tf.saved_model.load(path).serve(x)`), an ONNX file
    (`onnxruntime.InferenceSession(path)`) or a LiteRT `.tflite` file
    (`ai_edge_litert.interpreter.Interpreter`). It is written whole or not
    at all (to a temporary name beside `path`, then renamed). The metadata
    (`metadata.describe`: inputs, outputs, the forecaster's spec, the step
    model's state) goes inside an ONNX file (`metadata_props
    ["keras_seqlab"]`) or into the JSON `metadata_path(path)` beside the
    others.

    Args:
        model: a built `keras.Model`.
        path: where to write: `NAME.onnx`, `NAME.tflite`, or a folder for
            `tf_saved_model`.
        format: "onnx", "tf_saved_model" or "litert"; Keras offers
            `formats.OFFERED[backend]` on each backend.
        step: export `keras_seqlab.stream(model).step_model()` instead:
            inputs `[x_t, *state]`, outputs `[y_t, *new_state]` (ONNX
            names `x_t`, `state_in_0`, ..., `y_t`, `state_out_0`, ...).
        flex: LiteRT only: keep TensorFlow (Flex) ops, which run only in
            an interpreter with the Flex delegate. By default the
            recurrent layers of a fixed window are unrolled (builtin ops
            only) and a file still holding Flex ops is refused.

    Returns:
        `path` as a `pathlib.Path`.

    Raises:
        ValueError: a format this backend does not offer, a bad `path`,
            or (`ExportError`) a model the format cannot express.
        ImportError: the format's converter is not installed.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"{OWNER}: `model` must be a keras.Model; got "
            f"{type(model).__name__}."
        )
    backend = check_format(format)
    path = check_path(path, format)
    exported, names = model, None
    if step:
        exported, names = step_model(model)
    elif format == "litert" and not flex:
        exported = converters.unrolled(model)
    info = describe(model, exported, format, backend, names)
    partial = partial_path(path)
    _remove(partial)
    try:
        _export(exported, model, partial, format, backend)
        if format == "litert" and not flex:
            check_builtin_ops(partial, model)
        if format == "onnx":
            inputs, outputs = (
                names[:2] if names else (None, output_names(model))
            )
            onnx_graph.finish(partial, info, inputs, outputs)
        _replace(partial, path)
    finally:
        _remove(partial)
    if format != "onnx":
        write_json(metadata_path(path), info, indent=2)
    return path
