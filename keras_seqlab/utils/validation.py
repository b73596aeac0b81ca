"""Argument checks shared by every layer: clear errors, raised early.

The call checks (`check_sequence_call`, `check_mask`, `check_initial_state`)
read static shapes only, so they run before any backend op, on symbolic
inputs as on eager ones; a dimension that is unknown (None) is not compared.
"""

import math
import numbers

import numpy as np
from keras import ops
from keras import tree


class WrongType(TypeError, ValueError):
    """An argument of the wrong type: a `TypeError`, and a `ValueError` as
    every bad argument is (numpy's `AxisError` is both a `ValueError` and
    an `IndexError` the same way), so either `except` catches it."""


def _owned(owner, text):
    """`text` as `owner`'s message (no prefix for owner None)."""
    return text if owner is None else f"{owner}: {text}"


_INTEGERS = {
    None: "an integer",
    0: "a non-negative integer",
    1: "a positive integer",
}


def check_int(owner, name, value, minimum=1, optional=False):
    """Returns `value` as an int; raises unless it is an integer >= `minimum`.

    The one integer check of the package. `minimum` None takes any
    integer; `optional` lets None through (as None). Bools are refused (True
    is no count), so are floats such as 2.0 and strings; numpy integers are
    taken. The `ValueError` names `owner` (None: no prefix, for callers
    that add their own), the argument, what was expected and what was got:
    "`window` must be a positive integer, got 0."
    """
    if optional and value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or (minimum is not None and value < minimum)
    ):
        expected = _INTEGERS.get(minimum, f"an integer >= {minimum}")
        if optional:
            expected = f"None or {expected}"
        raise ValueError(
            _owned(owner, f"`{name}` must be {expected}, got {value!r}.")
        )
    return int(value)


def check_units(owner, units, name="units"):
    """Returns `units` as an int; raises unless it is a positive integer
    (`check_int`, in the layers' argument order)."""
    return check_int(owner, name, units)


def check_non_negative(owner, name, value):
    """Returns `value` as an int; raises unless it is an integer >= 0."""
    return check_int(owner, name, value, minimum=0)


def check_positive_ints(owner, name, values):
    """Returns `values` as a tuple of ints; raises unless it is a non-empty
    sequence of positive integers (a string or a single number is not);
    an item at fault is named by its index: `dilations[1]`."""
    items = None
    if not isinstance(values, (str, bytes, numbers.Number)):
        try:
            items = tuple(values)
        except TypeError:
            items = None
    if not items:
        got = values if items is None else items
        raise ValueError(
            _owned(
                owner,
                f"`{name}` must be a non-empty sequence of positive "
                f"integers, got {got!r}.",
            )
        )
    return tuple(
        check_int(owner, f"{name}[{i}]", v) for i, v in enumerate(items)
    )


def check_fraction(
    owner,
    name,
    value,
    low_open=True,
    high_open=True,
    optional=False,
    example=None,
):
    """Returns `value` as a float; raises unless it is a number between 0
    and 1: in (0, 1) by default, an end included when it is not open
    (`low_open=False`: [0, 1), a dropout rate).

    The one check of a fraction, a rate, a probability or a coverage.
    `optional` lets None through (as None); `example` is added to the
    message ("e.g. 0.8 for an 80% interval"). A value that is no number (a
    string, a bool) raises `WrongType` (a `TypeError` and a `ValueError`),
    one out of range a `ValueError`.
    """
    if optional and value is None:
        return None
    interval = f"{'(' if low_open else '['}0, 1{')' if high_open else ']'}"
    if example is not None:
        interval = f"{interval} ({example})"
    number = float(value) if _is_real(value) else None
    if number is not None:
        above = 0.0 < number if low_open else 0.0 <= number
        below = number < 1.0 if high_open else number <= 1.0
        if above and below:
            return number
    if optional:
        expected = f"None or a number in {interval}"
    elif number is None:
        expected = f"a number in {interval}"
    else:
        expected = f"in {interval}"
    error = ValueError if number is not None else WrongType
    raise error(_owned(owner, f"`{name}` must be {expected}, got {value!r}."))


def check_rate(owner, name, value):
    """Returns `value` as a float; raises unless 0 <= value < 1 (a dropout
    rate: `check_fraction` with 0 included)."""
    return check_fraction(owner, name, value, low_open=False)


def check_flag(owner, name, value):
    """Returns `value` as a bool; raises `WrongType` unless it is True or
    False (a numpy bool too; not 0, 1 or "yes")."""
    if not isinstance(value, (bool, np.bool_)):
        raise WrongType(
            _owned(owner, f"`{name}` must be True or False, got {value!r}.")
        )
    return bool(value)


def _is_real(value):
    return not isinstance(value, bool) and isinstance(value, numbers.Real)


def check_positive_float(owner, name, value):
    """Returns `value` as a float; raises unless it is a finite number > 0.

    inf and NaN are refused too: an epsilon of inf turns a normalization
    into zeros, a wavelength of inf into NaN.
    """
    if not _is_real(value) or not 0.0 < float(value) < math.inf:
        raise ValueError(
            f"{owner}: `{name}` must be a positive number, got {value!r} "
            "(expected a finite number > 0)."
        )
    return float(value)


def check_finite_float(owner, name, value):
    """Returns `value` as a float; raises unless it is a finite number."""
    if not _is_real(value) or not math.isfinite(float(value)):
        raise ValueError(
            f"{owner}: `{name}` must be a finite number, got {value!r}."
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


def check_sequence_shape(
    owner, shape, built=None, unit="features", needs_steps=False
):
    """Raises unless `shape` is (batch, timesteps, features), features known.

    `built`: the feature size a built layer was built with, or None.
    `unit`: what the last axis holds, for the message ("channels").
    `needs_steps`: refuse zero time steps (a layer that has no answer for
    an empty sequence: a recurrence has no last output, a convolution no
    defined output on every backend).
    """
    shape = tuple(shape)
    if len(shape) != 3:
        raise ValueError(
            f"{owner}: expected inputs of rank 3 (batch, timesteps, "
            f"features), got shape {shape} (rank {len(shape)})."
        )
    if needs_steps and shape[1] == 0:
        raise ValueError(
            f"{owner}: needs at least one time step, got inputs of shape "
            f"{shape}."
        )
    if shape[-1] is None:
        raise ValueError(
            f"{owner}: the feature dimension (last axis) must be defined, "
            f"got shape {shape}."
        )
    if built is not None and shape[-1] != built:
        raise ValueError(
            f"{owner}: expected inputs with {built} {unit} (the size it was "
            f"built with), got shape {shape}."
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


def check_sequence_call(
    layer, inputs, mask, built, unit="features", needs_steps=False
):
    """The inputs and mask of a call of a sequence layer; returns the mask.

    Checks the inputs with `check_sequence_shape` and the mask with
    `check_mask`, whose boolean mask (or None) it returns.
    """
    owner = layer_owner(layer)
    check_sequence_shape(owner, inputs.shape, built, unit, needs_steps)
    return check_mask(owner, inputs, mask)


def _differ(a, b):
    return a is not None and b is not None and a != b


def check_mask(owner, inputs, mask):
    """`mask` as a boolean tensor; raises unless it is (batch, timesteps).

    The one place where a mask becomes boolean: any non-zero value marks a
    real step (Keras's convention, `ops.cast(mask, "bool")`), so a float
    mask of 0.5 means the same as True on every code path. None stays None.
    """
    if mask is None:
        return None
    shape = tuple(inputs.shape)
    mask_shape = tuple(mask.shape)
    wrong_batch = len(mask_shape) == 2 and _differ(mask_shape[0], shape[0])
    if len(mask_shape) != 2 or _differ(mask_shape[1], shape[1]) or wrong_batch:
        batch = shape[0] if wrong_batch else "batch"
        raise ValueError(
            f"{owner}: expected a mask of shape ({batch}, {shape[1]}) for "
            f"inputs of shape {shape}, got shape {mask_shape}."
        )
    return ops.cast(mask, "bool")


def _shape_text(shape):
    dims = ("batch" if d is None else str(d) for d in shape)
    return f"({', '.join(dims)})"


def check_initial_state(owner, state_size, inputs_shape, initial_state):
    """Raises unless `initial_state` holds one (batch, width) tensor per
    state, `state_size` giving the widths (nested as a cell's `state_size`
    may be) and `inputs_shape` the batch size."""
    widths = tree.flatten(state_size)
    states = tree.flatten(initial_state)
    batch = tuple(inputs_shape)[0]
    expected = [(batch, w if isinstance(w, int) else None) for w in widths]
    got = [tuple(getattr(s, "shape", ())) for s in states]
    fits = len(got) == len(expected) and all(
        len(g) == 2 and not _differ(g[0], e[0]) and not _differ(g[1], e[1])
        for g, e in zip(got, expected)
    )
    if fits:
        return
    raise ValueError(
        f"{owner}: expected `initial_state` as {len(expected)} tensor(s) "
        f"of shapes [{', '.join(map(_shape_text, expected))}] (one per "
        f"state, for inputs of shape {tuple(inputs_shape)}), got "
        f"{len(got)} of shapes [{', '.join(map(str, got))}]."
    )
