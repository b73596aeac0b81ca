"""`seqlab export MODEL --format onnx|tf_saved_model|litert`: a saved model
as an artifact that runs without keras_seqlab (`keras_seqlab.deploy`).

Everything is checked first (the format on this backend and its
converter, the model file, the output path, with `--step` that the model
can step), then the artifact is written whole or not at all; the exit
statuses are the runner's (`cli.runner`): 2 a bad setting, 1 a model the
format cannot express or a failed write.
"""

import pathlib
import sys
import zipfile

from keras_seqlab.cli.runner import Refused
from keras_seqlab.cli.runner import command

FORMATS = ("onnx", "tf_saved_model", "litert")


def default_path(model, format, step):
    """Where the artifact of model file `model` goes by default: beside
    it, `NAME.onnx`, `NAME.tflite` or the folder `NAME_saved_model`
    (`NAME_step...` for the step model)."""
    from keras_seqlab.deploy.formats import SUFFIXES

    stem = model.stem + ("_step" if step else "")
    if format == "tf_saved_model":
        return model.with_name(f"{stem}_saved_model")
    return model.with_name(stem + SUFFIXES[format])


def _load(path):
    """The model in `.keras` file `path` (safe mode, keras_seqlab's layers
    registered)."""
    import keras

    import keras_seqlab  # noqa: F401 (registers the layers)

    if not path.is_file():
        raise Refused(f"MODEL: no file at {str(path)!r}.")
    if path.suffix != ".keras":
        raise Refused(f"MODEL must be a .keras model file; got {str(path)!r}.")
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except (ValueError, TypeError, KeyError, zipfile.BadZipFile) as error:
        first = str(error).strip().splitlines()[0] if str(error) else ""
        raise Refused(
            f"MODEL {str(path)!r} is not a Keras model this package can "
            f"load: {type(error).__name__}: {first}"
        ) from None


def _prepare(args):
    """`(model, path)`: everything checked, nothing written."""
    from keras_seqlab.deploy import check_format
    from keras_seqlab.deploy.artifact import check_path
    from keras_seqlab.streaming import stream

    check_format(args.format)
    source = pathlib.Path(args.model)
    path = args.path or default_path(source, args.format, args.step)
    model = _load(source)
    path = check_path(path, args.format)
    if args.step:
        try:
            stream(model)
        except ValueError as error:
            raise Refused(f"--step: {error}") from None
    return model, path


def _describe(tensors):
    return ", ".join(
        f"{t['name']} {tuple(t['shape'])} {t['dtype']}" for t in tensors
    )


def _work(args, prepared):
    from keras_seqlab.deploy import export_model
    from keras_seqlab.deploy import metadata_path
    from keras_seqlab.deploy import read_metadata

    model, path = prepared
    written = export_model(model, path, args.format, step=args.step)
    info = read_metadata(written)
    kind = "step model of " if args.step else ""
    print(f"{args.format}: {kind}{model.name}")
    print(f"  inputs:  {_describe(info['inputs'])}")
    print(f"  outputs: {_describe(info['outputs'])}")
    if info["forecaster"]:
        spec = info["forecaster"]
        print(
            f"  forecaster: columns {spec['columns']}, target "
            f"{spec['target']!r}, window {spec['window']}, horizon "
            f"{spec['horizon']}, quantiles {spec['quantiles']}"
        )
    files = [str(written)]
    if args.format != "onnx":
        files.append(str(metadata_path(written)))
    print(f"wrote {', '.join(files)}", file=sys.stderr)
    return 0


def add(commands):
    from keras_seqlab.deploy import ExportError

    parser = commands.add_parser(
        "export",
        help="write a saved model as SavedModel, ONNX or LiteRT",
        description=(
            "Write a .keras model (a forecaster of seqlab compare or "
            "seqlab tune, or any model of keras_seqlab's layers) as an "
            "artifact that runs without keras_seqlab: an ONNX file "
            "(onnxruntime), a TensorFlow SavedModel folder (TF Serving, "
            "tf.saved_model.load) or a LiteRT .tflite file. Keras offers "
            "tf_saved_model on TensorFlow and JAX, onnx on all three "
            "backends, litert on TensorFlow (set --backend or "
            "KERAS_BACKEND). The model's metadata (inputs, outputs, a "
            "forecaster's columns, window, horizon, quantiles, frequency) "
            "goes inside an ONNX file and into PATH.json beside the "
            'others. Needs pip install "keras-seqlab[export]" '
            "([export-jax] on JAX)."
        ),
    )
    parser.add_argument("model", metavar="MODEL", help="a .keras model")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        required=True,
        help="the artifact's format",
    )
    parser.add_argument(
        "--out",
        dest="path",
        metavar="PATH",
        help="where to write (default: beside MODEL, NAME.onnx, "
        "NAME.tflite or the folder NAME_saved_model)",
    )
    parser.add_argument(
        "--step",
        action="store_true",
        help="export the streaming step model instead: inputs x_t and the "
        "state (state_in_0, ...), outputs y_t and the next state "
        "(state_out_0, ...); the first state is in the metadata",
    )
    command(
        parser,
        _prepare,
        _work,
        refused=(ValueError, ImportError),
        failed=(ExportError,),
        owners=("export_model", "read_metadata"),
    )
