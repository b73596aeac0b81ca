"""Deploying: a model as an artifact that runs without keras_seqlab.

`export_model(model, path, format)` writes a model (or, with `step=True`,
its streaming step model) as a TensorFlow SavedModel, an ONNX file or a
LiteRT `.tflite` file through Keras's `Model.export`, checked first
(`formats.check_format`: a format Keras does not offer on this backend,
or a converter that is not installed, is one clear error), written whole
or not at all, with its metadata (`metadata.describe`) inside (ONNX) or
beside it (a JSON file). For LiteRT the recurrent layers of a fixed
window are unrolled (`converters.unrolled`), so the file needs builtin
ops only and runs in the pip LiteRT interpreter. What a format cannot
express is an `ExportError` at export that names the layer, never wrong
numbers where the artifact runs.
"""

from keras_seqlab.deploy.artifact import ExportError
from keras_seqlab.deploy.artifact import export_model
from keras_seqlab.deploy.artifact import step_model
from keras_seqlab.deploy.formats import FORMATS
from keras_seqlab.deploy.formats import OFFERED
from keras_seqlab.deploy.formats import check_format
from keras_seqlab.deploy.formats import offered
from keras_seqlab.deploy.metadata import metadata_path
from keras_seqlab.deploy.metadata import read_metadata

__all__ = [
    "FORMATS",
    "OFFERED",
    "ExportError",
    "check_format",
    "export_model",
    "metadata_path",
    "offered",
    "read_metadata",
    "step_model",
]
