"""The export decorator: everything public is serializable by construction."""

import keras

PACKAGE = "keras_seqlab"


def seqlab_export(cls):
    """Registers `cls` as `keras_seqlab>ClassName` for `.keras` files."""
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)
