"""Which export formats Keras offers on which backend, and what each needs.

Keras's `Model.export` offers `tf_saved_model` on TensorFlow and JAX (JAX
through `jax2tf`, which needs TensorFlow installed beside JAX), `onnx` on
all three backends (TensorFlow through `tf2onnx`, JAX through `jax2onnx`,
PyTorch through `torch.onnx`), and `litert` on TensorFlow (and on PyTorch
with the `litert-torch` converter). `check_format` turns an unoffered
format or a missing converter into one clear error before anything runs.

Nothing here imports Keras or a backend: `importlib.util.find_spec` looks
for the packages.
"""

import importlib.util

OWNER = "export_model"
FORMATS = ("tf_saved_model", "onnx", "litert")

# Formats Keras's `Model.export` offers per backend (keras/src/models/
# model.py, Keras 3.15).
OFFERED = {
    "tensorflow": ("tf_saved_model", "onnx", "litert"),
    "jax": ("tf_saved_model", "onnx"),
    "torch": ("onnx", "litert"),
}

# The modules Keras imports to write a format on a backend.
CONVERTERS = {
    ("tensorflow", "tf_saved_model"): (),
    ("tensorflow", "onnx"): ("tf2onnx", "onnx"),
    ("tensorflow", "litert"): (),
    ("jax", "tf_saved_model"): ("tensorflow",),
    ("jax", "onnx"): ("jax2onnx", "onnx"),
    # torch.onnx's TorchScript exporter, which Keras uses for a dynamic
    # batch size (onnxscript only for its dynamo exporter: static shapes).
    ("torch", "onnx"): ("onnx",),
    ("torch", "litert"): ("litert_torch",),
}

# The runtime that loads each format without Keras or keras_seqlab.
RUNTIMES = {
    "tf_saved_model": "tensorflow",
    "onnx": "onnxruntime",
    "litert": "ai_edge_litert",
}

# The pip name of each module above.
DISTRIBUTIONS = {
    "tf2onnx": "tf2onnx",
    "jax2onnx": "jax2onnx",
    "onnx": "onnx",
    "onnxruntime": "onnxruntime",
    "ai_edge_litert": "ai-edge-litert",
    "litert_torch": "litert-torch",
    "tensorflow": "tensorflow-cpu",
}

# The extra of keras-seqlab that installs a module (jax2onnx needs JAX,
# so it has an extra of its own; litert-torch is in none).
EXTRAS = {
    "tf2onnx": "export",
    "onnx": "export",
    "onnxruntime": "export",
    "ai_edge_litert": "export",
    "jax2onnx": "export-jax",
    "tensorflow": "tensorflow",
}

SUFFIXES = {"onnx": ".onnx", "litert": ".tflite", "tf_saved_model": ""}


def backend_name():
    """The Keras backend this process runs (Keras reads it on import)."""
    import keras

    return keras.backend.backend()


def offered(backend=None):
    """The formats Keras exports on `backend` (default: this process's)."""
    return OFFERED.get(backend or backend_name(), ())


def missing(modules):
    """Those of `modules` that cannot be imported here."""
    return [m for m in modules if importlib.util.find_spec(m) is None]


def install_hint(modules):
    """How to install `modules`: keras-seqlab's extras where one has them,
    else their own distributions."""
    extras = sorted({EXTRAS[m] for m in modules if m in EXTRAS})
    others = [DISTRIBUTIONS.get(m, m) for m in modules if m not in EXTRAS]
    hints = (
        [f'pip install "keras-seqlab[{",".join(extras)}]"'] if extras else []
    )
    if others:
        hints.append(f"pip install {' '.join(others)}")
    return " and ".join(hints)


def check_format(format, backend=None):
    """Checks that `format` can be written on `backend` here.

    Returns the backend's name.

    Raises:
        ValueError: `format` is not one of `FORMATS`, or Keras does not
            offer it on the backend (the message names the format, the
            backend and what is offered there).
        ImportError: a converter the format needs is not installed (the
            message names the package and how to install it).
    """
    backend = backend or backend_name()
    if format not in FORMATS:
        raise ValueError(
            f"{OWNER}: `format` must be one of {', '.join(FORMATS)}; got "
            f"{format!r}."
        )
    here = offered(backend)
    if format not in here:
        raise ValueError(
            f"{OWNER}: Keras does not export format {format!r} on the "
            f"{backend} backend; it offers {', '.join(here) or 'none'} "
            "there."
        )
    absent = missing(CONVERTERS[(backend, format)])
    if absent:
        raise ImportError(
            f"{OWNER}: format {format!r} on the {backend} backend needs "
            f"{', '.join(DISTRIBUTIONS.get(m, m) for m in absent)}, not "
            f"installed here: {install_hint(absent)}."
        )
    return backend
