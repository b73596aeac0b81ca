"""Which Keras backend to run on, decided before Keras is imported.

Keras reads its backend once, when it is first imported: from
`KERAS_BACKEND`, else from `keras.json` in `KERAS_HOME` (default
`~/.keras`), else TensorFlow. In a venv with only `[jax]` or `[torch]`
installed, that default is a 40-line `ModuleNotFoundError`. `choose()`
(run by `import keras_seqlab`) keeps an explicit `KERAS_BACKEND`, and when
the configured backend is only the `keras.json` or built-in default and
is not installed, it sets `KERAS_BACKEND` to the first installed of
`PREFERENCE`, and records why in `CHOICE` (the CLI prints it).

Nothing here imports Keras or a backend (only `importlib.util.find_spec`
looks for them).
"""

import importlib.util
import json
import os
import sys

PREFERENCE = ("jax", "torch", "tensorflow")
# Keras's backends that need no package of their own.
_BUILT_IN = ("numpy",)
_EXTRAS = 'pip install "keras-seqlab[jax]" (or [torch], [tensorflow])'

# `(backend, reason)` once `choose()` has run; reason is None when Keras's
# own setting was used.
CHOICE = None


class NoBackend(ImportError):
    """No usable Keras backend (the message is one line)."""


def installed(name):
    """Whether backend `name` can be imported (without importing it)."""
    if name in _BUILT_IN:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def configured(environ=None):
    """`(backend, where it was set)`: what Keras would use."""
    environ = os.environ if environ is None else environ
    if environ.get("KERAS_BACKEND"):
        return environ["KERAS_BACKEND"], "KERAS_BACKEND"
    home = environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras"
    )
    path = os.path.join(home, "keras.json")
    try:
        with open(path, encoding="utf-8") as file:
            backend = json.load(file).get("backend")
    except (OSError, ValueError, AttributeError):
        backend = None
    if backend:
        return str(backend), path
    return "tensorflow", "Keras's default"


def choose(environ=None):
    """Sets `KERAS_BACKEND` if the configured backend is missing.

    Returns:
        `(backend, reason)`: `reason` says why another backend than the
        configured one was chosen, or is None.

    Raises:
        NoBackend: `KERAS_BACKEND` names a backend that is not installed,
            or no backend is installed at all.
    """
    global CHOICE
    environ = os.environ if environ is None else environ
    name, source = configured(environ)
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "backend"):
        # Already imported: Keras has decided.
        CHOICE = (keras.backend.backend(), None)
        return CHOICE
    if installed(name):
        CHOICE = (name, None)
        return CHOICE
    if source == "KERAS_BACKEND":
        raise NoBackend(
            f"keras_seqlab: KERAS_BACKEND={name}, but {name} is not "
            f"installed; install it or set KERAS_BACKEND to one of "
            f"{', '.join(b for b in PREFERENCE if installed(b)) or 'none'} "
            f"(installed); {_EXTRAS}."
        )
    available = [b for b in PREFERENCE if installed(b)]
    if not available:
        raise NoBackend(
            f"keras_seqlab: no Keras backend is installed ({source} names "
            f"{name}); {_EXTRAS}."
        )
    environ["KERAS_BACKEND"] = available[0]
    CHOICE = (
        available[0],
        f"{name} ({source}) is not installed; set KERAS_BACKEND to choose",
    )
    return CHOICE


def describe():
    """The backend in use, and why when it is not the configured one."""
    if CHOICE is None:
        return configured()[0]
    name, reason = CHOICE
    return name if reason is None else f"{name} ({reason})"
