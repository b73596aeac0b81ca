"""Argument checks shared by every layer: clear errors, raised early."""

import numbers


def check_units(owner, units, name="units"):
    """Returns `units` as an int; raises unless it is a positive integer."""
    if (
        isinstance(units, bool)
        or not isinstance(units, numbers.Integral)
        or units <= 0
    ):
        raise ValueError(
            f"{owner}: `{name}` must be a positive integer, got {units!r}."
        )
    return int(units)


def check_rate(owner, name, value):
    """Returns `value` as a float; raises unless 0 <= value < 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{owner}: `{name}` must be a float in [0, 1), got {value!r}."
        )
    if not 0.0 <= float(value) < 1.0:
        raise ValueError(f"{owner}: `{name}` must be in [0, 1), got {value!r}.")
    return float(value)


def check_positive_float(owner, name, value):
    """Returns `value` as a float; raises unless it is a number > 0."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not value > 0
    ):
        raise ValueError(
            f"{owner}: `{name}` must be a positive number, got {value!r}."
        )
    return float(value)


def check_choice(owner, name, value, choices):
    """Returns `value`; raises unless it is one of `choices`."""
    if value not in choices:
        raise ValueError(
            f"{owner}: unknown {name} {value!r}; expected one of "
            f"{', '.join(repr(c) for c in choices)}."
        )
    return value


def check_sequence_shape(owner, shape):
    """Raises unless `shape` is (batch, timesteps, features), features known."""
    shape = tuple(shape)
    if len(shape) != 3:
        raise ValueError(
            f"{owner}: expected inputs of rank 3 (batch, timesteps, "
            f"features), got shape {shape} (rank {len(shape)})."
        )
    if shape[-1] is None:
        raise ValueError(
            f"{owner}: the feature dimension (last axis) must be defined, "
            f"got shape {shape}."
        )


def check_step_shape(owner, shape):
    """Raises unless a step input is (batch, features), features known."""
    shape = tuple(shape)
    if len(shape) != 2 or shape[-1] is None:
        raise ValueError(
            f"{owner}: expected step inputs of shape (batch, features) with "
            f"a defined feature dimension, got shape {shape}."
        )


def layer_owner(layer):
    """How errors name a layer: its class and its name."""
    return f"{layer.__class__.__name__} '{layer.name}'"


def check_sequence_call(layer, inputs, mask, features):
    """Rank, feature size and mask length of a call, on static shapes."""
    owner = layer_owner(layer)
    shape = tuple(inputs.shape)
    check_sequence_shape(owner, shape)
    if features is not None and shape[-1] != features:
        raise ValueError(
            f"{owner}: expected {features} features (the size it was built "
            f"with), got shape {shape}."
        )
    if mask is None:
        return
    mask_shape = tuple(mask.shape)
    if len(mask_shape) != 2 or (
        mask_shape[1] is not None
        and shape[1] is not None
        and mask_shape[1] != shape[1]
    ):
        raise ValueError(
            f"{owner}: expected a mask of shape (batch, {shape[1]}) for "
            f"inputs of shape {shape}, got shape {mask_shape}."
        )


def check_mask_shape(owner, inputs, mask):
    """Raises unless `mask` is (batch, timesteps) for these inputs."""
    mask_shape = tuple(mask.shape)
    steps = inputs.shape[1]
    if len(mask_shape) != 2 or (
        mask_shape[1] is not None
        and steps is not None
        and mask_shape[1] != steps
    ):
        raise ValueError(
            f"{owner}: expected a mask of shape (batch, {steps}), got shape "
            f"{mask_shape}."
        )


def check_non_negative(owner, name, value):
    """Returns `value` as an int; raises unless it is an integer >= 0."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < 0
    ):
        raise ValueError(
            f"{owner}: `{name}` must be a non-negative integer, got {value!r}."
        )
    return int(value)
