"""Temporal train/validation/test splits, unshuffled, with a gap."""

import math
import numbers

from keras_seqlab.data.series import slice_rows
from keras_seqlab.data.series import with_rows
from keras_seqlab.utils.validation import check_non_negative


def check_fraction(owner, name, value):
    """Returns `value` as a float; raises unless 0 <= value < 1."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not 0.0 <= float(value) < 1.0
    ):
        raise ValueError(
            f"{owner}: `{name}` must be a fraction in [0, 1), got {value!r}."
        )
    return float(value)


def _split_rows(owner, fraction, name, n):
    rows = math.floor(fraction * n + 0.5)
    if fraction > 0 and rows == 0:
        raise ValueError(
            f"{owner}: `{name}`={fraction!r} of {n} rows is 0 rows; use a "
            f"larger fraction or 0 for no {name} split."
        )
    return rows


def _split_bounds(owner, n, val, test, gap):
    """[(start, stop)] of train, val and test along axis 0."""
    n_val = _split_rows(owner, val, "val", n)
    n_test = _split_rows(owner, test, "test", n)
    n_train = n - n_val - n_test - gap * ((n_val > 0) + (n_test > 0))
    if n_train <= 0:
        raise ValueError(
            f"{owner}: {n} rows leave no training rows (val {n_val}, test "
            f"{n_test}, gap {gap} between splits)."
        )
    val_start = n_train + (gap if n_val else 0)
    test_start = n - n_test
    return [(0, n_train), (val_start, val_start + n_val), (test_start, n)]


def temporal_split(data, val=0.1, test=0.1, gap=0):
    """Train, validation and test segments in time order, unshuffled.

    The last `round(test * n)` rows are the test split, the
    `round(val * n)` rows before them (less `gap`) the validation split,
    and what comes first the training split. `gap` rows (or windows) are
    dropped between consecutive splits; the training split pays for them.
    Splitting rows and windowing each split separately needs no gap;
    splitting the windows of `make_windows` needs `gap=split_gap(...)` so
    that no target of one split is an input of another.

    Args:
        data: an array, split along its first axis, a `SeriesData`
            (values and dates split alike, names and targets kept), a
            pandas DataFrame or Series (split with `iloc`), or a tuple of
            these of the same length (e.g. the `(x, y)` of
            `make_windows`), split alike.
        val: fraction in [0, 1) for validation (0: an empty split).
        test: fraction in [0, 1) for test (0: an empty split).
        gap: non-negative integer, entries dropped between splits.

    Returns:
        `(train, val, test)`: views (basic slices) of `data`, of the same
        kind (three `SeriesData`, three DataFrames), or tuples of them for
        a tuple.

    Example:

    >>> train, val, test = temporal_split(np.arange(100), val=0.2, gap=5)
    >>> len(train), len(val), len(test), int(val[0]), int(test[0])
    (60, 20, 10, 65, 90)
    """
    owner = "temporal_split"
    val = check_fraction(owner, "val", val)
    test = check_fraction(owner, "test", test)
    gap = check_non_negative(owner, "gap", gap)
    if val + test >= 1.0:
        raise ValueError(
            f"{owner}: `val` + `test` must be < 1, got {val!r} + {test!r}."
        )
    arrays = data if isinstance(data, tuple) else (data,)
    if not arrays:
        raise ValueError(
            f"{owner}: `data` is an empty tuple; pass an array or a tuple "
            "of arrays of the same length."
        )
    arrays, lengths = zip(*(with_rows(owner, a) for a in arrays))
    lengths = list(lengths)
    if len(set(lengths)) != 1:
        raise ValueError(f"{owner}: the arrays differ in length: {lengths}.")
    bounds = _split_bounds(owner, lengths[0], val, test, gap)
    splits = [
        tuple(slice_rows(a, start, stop) for a in arrays)
        for start, stop in bounds
    ]
    if not isinstance(data, tuple):
        splits = [split[0] for split in splits]
    return tuple(splits)
