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
