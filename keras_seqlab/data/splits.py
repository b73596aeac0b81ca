"""Temporal train/validation/test splits, unshuffled, with a gap."""

import math
import numbers
from fractions import Fraction

import numpy as np

from keras_seqlab.data.series import slice_rows
from keras_seqlab.data.series import with_rows
from keras_seqlab.utils.validation import check_choice
from keras_seqlab.utils.validation import check_fraction
from keras_seqlab.utils.validation import check_non_negative

_ROUNDINGS = ("nearest", "sklearn")


def _check_size(owner, name, value):
    """An int (a count of rows, >= 0) or a float fraction in [0, 1)."""
    counts = isinstance(value, numbers.Integral) and not isinstance(
        value, (bool, np.bool_)
    )
    try:
        if counts:
            return check_non_negative(owner, name, value)
        return check_fraction(owner, name, value, low_open=False)
    except ValueError:
        kinds = ["a fraction in [0, 1)", "a count of rows (an integer >= 0)"]
        first, other = kinds[::-1] if counts else kinds
        raise ValueError(
            f"{owner}: `{name}` must be {first}, got {value!r}; or {other}."
        ) from None


def _exact(fraction):
    """The decimal value a float fraction was written as (0.1 is 1/10)."""
    return Fraction(repr(float(fraction)))


def _zero_rows(owner, name, fraction, n):
    raise ValueError(
        f"{owner}: `{name}`={fraction!r} of {n} rows is 0 rows; use a "
        f"larger fraction or 0 for no {name} split."
    )


def _split_rows(owner, size, name, n):
    """Rows of one split, rounding half up: floor(size * n + 1/2)."""
    if isinstance(size, int):
        return size
    rows = math.floor(size * n + 0.5)
    if size > 0 and rows == 0:
        _zero_rows(owner, name, size, n)
    return rows


def _sklearn_rows(owner, val, test, n):
    """`(n_val, n_test)` as `train_test_split` called twice gives them."""
    if isinstance(val, int) or isinstance(test, int):
        # A count is taken as it is; a fraction as train_test_split's
        # test_size alone: ceil(fraction * n).
        sizes = [
            size if isinstance(size, int) else math.ceil(_exact(size) * n)
            for size in (val, test)
        ]
        return sizes[0], sizes[1]
    holdout = math.ceil((_exact(val) + _exact(test)) * n)
    if not holdout:
        return 0, 0
    n_test = math.ceil(_exact(test) / (_exact(val) + _exact(test)) * holdout)
    if val > 0 and n_test == holdout:
        _zero_rows(owner, "val", val, n)
    return holdout - n_test, n_test


def _split_bounds(owner, n, val, test, gap, rounding="nearest"):
    """[(start, stop)] of train, val and test along axis 0."""
    if rounding == "sklearn":
        n_val, n_test = _sklearn_rows(owner, val, test, n)
    else:
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


def temporal_split(data, val=0.1, test=0.1, gap=0, rounding="nearest"):
    """Train, validation and test segments in time order, unshuffled.

    With n rows, the last n_test rows are the test split, the n_val rows
    before them (less `gap`) the validation split, and what comes first
    the training split: n_train = n - n_val - n_test - gap per non-empty
    val/test split. `gap` rows (or windows) are dropped between
    consecutive splits; the training split pays for them. Splitting rows
    and windowing each split separately needs no gap; splitting the
    windows of `make_windows` needs `gap=split_gap(...)` so that no target
    of one split is an input of another.

    `val` and `test` are each a count of rows (an int >= 0: exactly that
    many) or a fraction (a float in [0, 1)). A fraction becomes rows by
    `rounding`:

    - `"nearest"` (the default): n_val = floor(val * n + 1/2), n_test =
      floor(test * n + 1/2), each on its own (3624 rows with
      val = test = 0.1: 2900 / 362 / 362).
    - `"sklearn"`: as scikit-learn's `train_test_split` (which takes
      ceil(test_size * n) rows for a fractional test_size) called twice,
      the way the Carpentries *Introduction to deep learning* lesson
      splits: first the hold-out (val + test) off the training rows, then
      the hold-out into val (first) and test (last):
      n_holdout = ceil((val + test) * n),
      n_test = ceil(test / (val + test) * n_holdout),
      n_val = n_holdout - n_test (3624 rows with val = test = 0.1:
      2899 / 362 / 363; 1096 rows with val = test = 0.15, the lesson's
      test_size=0.3 then 0.5: 767 / 164 / 165). The fractions are taken
      at the decimal value they were written as, so 0.2 + 0.1 counts as
      the 0.3 you would pass to sklearn. With a count among `val` and
      `test`, the count is taken as it is and a fraction as one
      `train_test_split` would: ceil(fraction * n).

    Args:
        data: an array, split along its first axis, a `SeriesData`
            (values and dates split alike, names and targets kept), a
            pandas DataFrame or Series (split with `iloc`), or a tuple of
            these of the same length (e.g. the `(x, y)` of
            `make_windows`), split alike.
        val: a count of rows (int >= 0) or a fraction in [0, 1) for
            validation (0: an empty split). Bools are refused.
        test: the same for test.
        gap: non-negative integer, entries dropped between splits.
        rounding: `"nearest"` or `"sklearn"`, see above.

    Returns:
        `(train, val, test)`: views (basic slices) of `data`, of the same
        kind (three `SeriesData`, three DataFrames), or tuples of them for
        a tuple.

    Raises:
        ValueError: naming `temporal_split`, for a negative or bool
            `val`/`test`, a float outside [0, 1), fractions that sum to 1
            or more, a positive fraction that gives 0 rows, splits that
            leave no training rows, or an unknown `rounding`.

    Example:

    >>> train, val, test = temporal_split(np.arange(100), val=0.2, gap=5)
    >>> len(train), len(val), len(test), int(val[0]), int(test[0])
    (60, 20, 10, 65, 90)
    >>> [len(p) for p in temporal_split(np.arange(3624), rounding="sklearn")]
    [2899, 362, 363]
    >>> [len(p) for p in temporal_split(np.arange(100), val=15, test=0.1)]
    [75, 15, 10]
    """
    owner = "temporal_split"
    val = _check_size(owner, "val", val)
    test = _check_size(owner, "test", test)
    gap = check_non_negative(owner, "gap", gap)
    rounding = check_choice(owner, "rounding", rounding, _ROUNDINGS)
    fractions = [s for s in (val, test) if isinstance(s, float)]
    if len(fractions) == 2 and val + test >= 1.0:
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
    bounds = _split_bounds(owner, lengths[0], val, test, gap, rounding)
    splits = [
        tuple(slice_rows(a, start, stop) for a in arrays)
        for start, stop in bounds
    ]
    if not isinstance(data, tuple):
        splits = [split[0] for split in splits]
    return tuple(splits)
