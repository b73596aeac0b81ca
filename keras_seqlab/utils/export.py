"""The export decorator: everything public is serializable by construction."""

import keras
from keras import constraints
from keras import initializers
from keras import regularizers

PACKAGE = "keras_seqlab"

# Every class `seqlab_export` registered, by name: the one list of the
# public classes (`exported` reads the package's `__all__` lists from it).
EXPORTED = {}


def seqlab_export(cls):
    """Registers `cls` as `keras_seqlab>ClassName` for `.keras` files and
    in `EXPORTED`."""
    EXPORTED[cls.__name__] = cls
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


def exported(package):
    """The names of the classes registered from the modules of `package`
    (a dotted name), sorted."""
    return sorted(
        name
        for name, cls in EXPORTED.items()
        if cls.__module__.startswith(package + ".")
    )


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
