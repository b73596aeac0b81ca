"""The export decorator: everything public is serializable by construction."""

import keras
from keras import constraints
from keras import initializers
from keras import regularizers

PACKAGE = "keras_seqlab"


def seqlab_export(cls):
    """Registers `cls` as `keras_seqlab>ClassName` for `.keras` files."""
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


def weight_config(layer, names):
    """The serialized initializer, regularizer and constraint of each
    weight `name` of `layer` (its attributes `name_initializer`, …), as
    `get_config` returns them."""
    modules = {
        "initializer": initializers,
        "regularizer": regularizers,
        "constraint": constraints,
    }
    return {
        f"{name}_{kind}": module.serialize(getattr(layer, f"{name}_{kind}"))
        for name in names
        for kind, module in modules.items()
    }
