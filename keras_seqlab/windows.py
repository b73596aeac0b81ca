"""Windows over a series without copying: inputs, aligned targets, splits.

A window is `window` consecutive rows of the series; its target starts
`gap` rows after the window's last row and spans `horizon` rows. Window `k`
starts at row `k * stride`:

    inputs    rows s, ..., s + window - 1                  (s = k * stride)
    targets   rows s + window + gap, ..., s + window + gap + horizon - 1

and `targets[k]` belongs to `inputs[k]`, the window that starts at row
`k * stride` (the `keras.utils.timeseries_dataset_from_array` convention:
target `i` belongs to the window that starts at `i`). With `seq2seq=True`
every input step `t` of the window gets the `horizon` values after it:
rows s + t + 1 + gap, ..., s + t + gap + horizon; the last step's targets
are the many-to-one targets.

Every array returned here is a read-only view of the series
(`numpy.lib.stride_tricks.sliding_window_view`): building all windows of a
1,000,000-row series costs no memory, and `WindowedSeries` gathers one
batch at a time from those views, on every Keras backend.
"""

import math
import numbers

import keras
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from keras_seqlab._export import seqlab_export
from keras_seqlab._validation import check_choice
from keras_seqlab._validation import check_units

SCALER_KINDS = ("standard", "minmax")


# -- argument checks -----------------------------------------------------------


def _check_non_negative(owner, name, value):
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


def _check_fraction(owner, name, value):
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


def _as_series(owner, data):
    """`(series, one_d)`: `data` as a 2-D (steps, columns) numeric view."""
    try:
        array = np.asarray(data)
    except ValueError as error:
        raise ValueError(
            f"{owner}: `data` is not a rectangular array: {error}"
        ) from None
    if array.dtype.kind not in "biuf":
        raise ValueError(
            f"{owner}: `data` must be numeric, got dtype {array.dtype} "
            f"(first values: {array.ravel()[:3].tolist()!r})."
        )
    if array.ndim not in (1, 2):
        raise ValueError(
            f"{owner}: `data` must be 1-D (steps,) or 2-D (steps, "
            f"columns), got shape {array.shape}."
        )
    if array.shape[0] == 0:
        raise ValueError(f"{owner}: `data` is empty (shape {array.shape}).")
    if array.ndim == 1:
        return array[:, np.newaxis], True
    return array, False


def _check_finite(owner, array, column_ids):
    """Raises on NaN or infinity in `array` (steps, k), naming the spot.

    `min`/`max` propagate NaN and see ±inf without a temporary array, so
    the common, clean case allocates nothing.
    """
    if array.dtype.kind != "f" or array.size == 0:
        return
    if np.isfinite(array.min()) and np.isfinite(array.max()):
        return
    row, col = np.argwhere(~np.isfinite(array))[0]
    value = array[row, col]
    kind = "NaN" if np.isnan(value) else f"an infinite value ({value})"
    raise ValueError(
        f"{owner}: `data` contains {kind} at row {row}, column "
        f"{column_ids[col]!r}; clean or impute the series first."
    )


# -- column selection ----------------------------------------------------------


def _column_index(owner, role, item, n_columns, names):
    """One column given by position or by name, as a position >= 0."""
    if isinstance(item, str):
        if names is None:
            raise ValueError(
                f"{owner}: {role} column {item!r} is a name; pass "
                "`columns=` (the names of the data's columns) to select "
                "columns by name."
            )
        if item not in names:
            raise ValueError(
                f"{owner}: unknown {role} column {item!r}; the columns are "
                f"{', '.join(repr(n) for n in names)}."
            )
        return names.index(item)
    if isinstance(item, bool) or not isinstance(item, numbers.Integral):
        raise ValueError(
            f"{owner}: a {role} column must be an integer index or a "
            f"name, got {item!r}."
        )
    if not -n_columns <= item < n_columns:
        raise ValueError(
            f"{owner}: {role} column {item!r} is out of range for data "
            f"with {n_columns} column(s)."
        )
    return int(item) % n_columns


def _select(owner, role, spec, n_columns, names):
    """`spec` as an int (one column, axis dropped) or a tuple of ints."""
    if spec is None:
        return tuple(range(n_columns))
    if isinstance(spec, (str, numbers.Number)):
        return _column_index(owner, role, spec, n_columns, names)
    if isinstance(spec, slice):
        items = list(range(n_columns)[spec])
    elif isinstance(spec, np.ndarray):
        items = spec.ravel().tolist()
    else:
        items = list(spec)
    if not items:
        raise ValueError(f"{owner}: `{role}s` selects no column: {spec!r}.")
    return tuple(
        _column_index(owner, role, item, n_columns, names) for item in items
    )


def _column_names(owner, columns, n_columns):
    if columns is None:
        return None
    names = [str(name) for name in columns]
    if len(names) != n_columns:
        raise ValueError(
            f"{owner}: `columns` names {len(names)} column(s), the data has "
            f"{n_columns}."
        )
    return names


def _take(series, selection):
    """The selected columns: a view for one column or an evenly spaced set.

    An irregular selection (e.g. columns 0, 1, 5) cannot be a view; it is
    gathered once into a compact (steps, k) array, and the windows are
    views of that (a copy of the series' columns, never of the windows).
    """
    if isinstance(selection, int):
        return series[:, selection]
    step = selection[1] - selection[0] if len(selection) > 1 else 1
    evenly = step != 0 and all(
        b - a == step for a, b in zip(selection, selection[1:])
    )
    if not evenly:
        return np.take(series, selection, axis=1)
    stop = selection[-1] + step
    return series[:, slice(selection[0], stop if stop >= 0 else None, step)]


# -- the windows ---------------------------------------------------------------


def window_count(n_steps, window, horizon=1, gap=0, stride=1):
    """The number of (input, target) windows a series of `n_steps` gives.

    Args:
        n_steps: length of the series.
        window, horizon, gap, stride: as in `make_windows`.

    Returns:
        `(n_steps - window - gap - horizon) // stride + 1`, or 0 when the
        series is shorter than `window + gap + horizon`.

    Example:

    >>> window_count(100, 10, horizon=5, gap=2, stride=3)
    28
    """
    span = window + gap + horizon
    return 0 if n_steps < span else (n_steps - span) // stride + 1


def _check_lengths(owner, n_steps, window, horizon, gap):
    if window > n_steps:
        raise ValueError(
            f"{owner}: `window` {window} is longer than the series "
            f"({n_steps} steps)."
        )
    if window + gap + horizon > n_steps:
        raise ValueError(
            f"{owner}: a window of {window} steps with gap {gap} and "
            f"horizon {horizon} needs at least {window + gap + horizon} "
            f"steps, the series has {n_steps}."
        )


def _row(view, series):
    """The row of `series` that holds the first element of `view`."""
    start = view.__array_interface__["data"][0]
    return (start - series.__array_interface__["data"][0]) // series.strides[0]


def _check_no_leak(owner, views, series, seq2seq):
    """Raises unless every target row lies after its input rows.

    Reads the rows off the views themselves (their memory offsets into the
    series), for the first and the last window, rather than trusting the
    index arithmetic that built them.
    """
    (x, y), (x_series, y_series) = views, series
    if not x_series.strides[0] or not y_series.strides[0]:
        return  # a broadcast series: every row is the same memory
    steps = (0, x.shape[1] - 1) if seq2seq else (x.shape[1] - 1,)
    for k in (0, len(x) - 1):
        for t in steps:
            last_input = _row(x[k, t], x_series)
            first_target = _row(y[k, t] if seq2seq else y[k], y_series)
            if first_target <= last_input:
                raise ValueError(
                    f"{owner}: window {k} would see its own target: target "
                    f"row {first_target}, last input row {last_input}."
                )


def _input_windows(series, window, stride, count):
    """(count, window, k) views: windows of `series` (steps, k)."""
    views = np.moveaxis(sliding_window_view(series, window, axis=0), -1, 1)
    return views[: (count - 1) * stride + 1 : stride]


def _horizons(target, first, horizon):
    """Rows first + m ... first + m + horizon - 1 as (M, H) or (M, H, k)."""
    views = sliding_window_view(target[first:], horizon, axis=0)
    return views if views.ndim == 2 else np.moveaxis(views, -1, 1)


def _target_windows(target, window, horizon, gap, stride, count, seq2seq):
    """Targets aligned with `_input_windows`; see the module docstring."""
    if not seq2seq:
        views = _horizons(target, window + gap, horizon)
    else:
        steps = sliding_window_view(
            _horizons(target, 1 + gap, horizon), window, axis=0
        )
        views = np.moveaxis(steps, -1, 1)
    return views[: (count - 1) * stride + 1 : stride]


def _columns(owner, series, one_d, targets, inputs, columns):
    """The input `(steps, k)` and target columns, checked for NaN."""
    n_steps, n_columns = series.shape
    names = _column_names(owner, columns, n_columns)
    if one_d and targets is None:
        targets = 0
    target_cols = _select(owner, "target", targets, n_columns, names)
    input_cols = _select(owner, "input", inputs, n_columns, names)
    if isinstance(input_cols, int):
        input_cols = (input_cols,)
    ids = names or list(range(n_columns))
    x_series = _take(series, input_cols)
    _check_finite(owner, x_series, [ids[c] for c in input_cols])
    y_series = _take(series, target_cols)
    y_cols = (target_cols,) if isinstance(target_cols, int) else target_cols
    _check_finite(
        owner, y_series.reshape(n_steps, -1), [ids[c] for c in y_cols]
    )
    return x_series, y_series


def _windows(
    owner,
    data,
    window,
    horizon,
    gap,
    stride,
    targets,
    inputs,
    seq2seq,
    columns,
):
    """Validated `(x, y)` views; shared by `make_windows`, `WindowedSeries`."""
    window = check_units(owner, window, "window")
    horizon = check_units(owner, horizon, "horizon")
    stride = check_units(owner, stride, "stride")
    gap = _check_non_negative(owner, "gap", gap)
    series, one_d = _as_series(owner, data)
    _check_lengths(owner, len(series), window, horizon, gap)
    bases = _columns(owner, series, one_d, targets, inputs, columns)
    count = window_count(len(series), window, horizon, gap, stride)
    x = _input_windows(bases[0], window, stride, count)
    y = _target_windows(bases[1], window, horizon, gap, stride, count, seq2seq)
    _check_no_leak(owner, (x, y), bases, seq2seq)
    return x, y


def make_windows(
    data,
    window,
    horizon=1,
    gap=0,
    stride=1,
    targets=None,
    inputs=None,
    seq2seq=False,
    columns=None,
):
    """Input windows and their targets, as read-only views of `data`.

    Window `k` holds rows `s = k * stride` to `s + window - 1`; its targets
    are the `horizon` rows that start `gap` rows after the window's end,
    `s + window + gap` onwards. `y[k]` belongs to `x[k]`, the window that
    starts at row `k * stride` (as in
    `keras.utils.timeseries_dataset_from_array`); no target ever lies
    inside its own input window. There are
    `N = (steps - window - gap - horizon) // stride + 1` windows.

    Shapes, with k input columns, n target columns and H = `horizon`:

    - `x`: always `(N, window, k)` (one input column keeps its axis);
    - `y` for one target column (an int or a name, and the default for
      1-D `data`): `(N, H)`; with `seq2seq=True`, `(N, window, H)`;
    - `y` for several target columns (a list, a slice, or None: every
      column of 2-D `data`): `(N, H, n)`; with `seq2seq`, `(N, window, H, n)`.

    Many-to-one with `horizon=1` is next-step forecasting, `horizon=H` a
    seq-to-vector forecast of the next H steps. With `seq2seq=True`,
    `y[k, t]` holds the H values after input step `t` (rows
    `s + t + 1 + gap` onwards), as in the textbook's seq-to-seq forecaster,
    so `y[:, -1]` equals the many-to-one targets.

    Args:
        data: the series, `(steps,)` or `(steps, columns)`, numeric, no NaN.
            A numpy array is never copied.
        window: positive integer, the input length.
        horizon: positive integer, the number of target steps.
        gap: non-negative integer, the steps skipped between the window's
            last row and the first target (0: the next row).
        stride: positive integer, the step between window starts.
        targets: the target column(s): an index or name (one column), a
            list of them, a slice, or None for every column (the series
            itself for 1-D data).
        inputs: the input column(s), as `targets`; None for every column.
        seq2seq: seq-to-seq targets at every input step.
        columns: optional names of the data's columns, to select `targets`
            and `inputs` by name.

    Returns:
        `(x, y)`, read-only views of `data` (or, for an unevenly spaced
        column selection such as `[0, 1, 5]`, of a compact copy of those
        columns: the series' values are copied once, never per window).

    Raises:
        ValueError: naming `make_windows` and the value, for a window
            longer than the series (or a series shorter than
            `window + gap + horizon`), a non-positive `window`, `horizon`
            or `stride`, a negative `gap`, an unknown or out-of-range
            column, non-numeric data, or NaN/infinity in a used column
            (with its row and column).

    Example:

    >>> series = np.arange(10.0)
    >>> x, y = make_windows(series, window=3, horizon=2, gap=1)
    >>> x.shape, y.shape
    ((5, 3, 1), (5, 2))
    >>> x[0, :, 0].tolist(), y[0].tolist()
    ([0.0, 1.0, 2.0], [4.0, 5.0])
    >>> np.shares_memory(x, series), x.flags.writeable
    (True, False)
    """
    return _windows(
        "make_windows",
        data,
        window,
        horizon,
        gap,
        stride,
        targets,
        inputs,
        seq2seq,
        columns,
    )


# -- temporal splits -----------------------------------------------------------


def split_gap(window, horizon=1, gap=0, stride=1):
    """The `gap` for `temporal_split` of windows so that splits never leak.

    Splitting the windows of `make_windows` (rather than the rows) with
    this many windows dropped between splits leaves no row that is a
    target in one split and an input (or target) in another. The last
    window of a split reaches row `s + window + gap + horizon - 1`; the
    next split's first window must start after it.

    When you split the rows first and window each split on its own, every
    window lies inside its split and no gap is needed (`gap=0`).

    Args:
        window, horizon, gap, stride: as given to `make_windows`.

    Returns:
        `ceil((window + gap + horizon) / stride) - 1`, in windows.

    Example:

    >>> split_gap(30, horizon=5)
    34
    """
    owner = "split_gap"
    window = check_units(owner, window, "window")
    horizon = check_units(owner, horizon, "horizon")
    stride = check_units(owner, stride, "stride")
    gap = _check_non_negative(owner, "gap", gap)
    return math.ceil((window + gap + horizon) / stride) - 1


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
        data: an array, split along its first axis, or a tuple of arrays of
            the same length (e.g. the `(x, y)` of `make_windows`), split
            alike.
        val: fraction in [0, 1) for validation (0: an empty split).
        test: fraction in [0, 1) for test (0: an empty split).
        gap: non-negative integer, entries dropped between splits.

    Returns:
        `(train, val, test)`: views (basic slices) of `data`, or tuples of
        views for a tuple.

    Example:

    >>> train, val, test = temporal_split(np.arange(100), val=0.2, gap=5)
    >>> len(train), len(val), len(test), int(val[0]), int(test[0])
    (60, 20, 10, 65, 90)
    """
    owner = "temporal_split"
    val = _check_fraction(owner, "val", val)
    test = _check_fraction(owner, "test", test)
    gap = _check_non_negative(owner, "gap", gap)
    if val + test >= 1.0:
        raise ValueError(
            f"{owner}: `val` + `test` must be < 1, got {val!r} + {test!r}."
        )
    arrays = data if isinstance(data, tuple) else (data,)
    arrays = tuple(np.asarray(a) for a in arrays)
    lengths = {len(a) if a.ndim else 0 for a in arrays}
    if len(lengths) != 1:
        raise ValueError(
            f"{owner}: the arrays differ in length: {[len(a) for a in arrays]}."
        )
    bounds = _split_bounds(owner, lengths.pop(), val, test, gap)
    splits = [tuple(a[start:stop] for a in arrays) for start, stop in bounds]
    if not isinstance(data, tuple):
        splits = [split[0] for split in splits]
    return tuple(splits)


# -- scaling -------------------------------------------------------------------


@seqlab_export
class Scaler:
    """Per-column standard or min-max scaling, fit on the training split.

    `transform(x) = (x - center) / scale` over the last axis (one column
    per feature; a 1-D series is one column):

    - `kind="standard"`: center = mean, scale = standard deviation;
    - `kind="minmax"`: maps each column's [min, max] onto `feature_range`.

    A constant column gets scale 1 (it maps to 0, or to the range's low
    end). Fit on the training segment only; `inverse_transform` brings
    predictions back to the original units. Scale the series, then window
    it: transforming windows would copy every one of them. The fitted
    state is part of the config, so `keras.saving.serialize_keras_object`
    round-trips it.

    Args:
        kind: `"standard"` or `"minmax"`.
        feature_range: `(low, high)` for min-max scaling.
        center: fitted centers (set by `fit`; given when restoring).
        scale: fitted scales (set by `fit`; given when restoring).

    Example:

    >>> train = np.array([[0.0, 10.0], [2.0, 30.0]])
    >>> scaler = Scaler("minmax").fit(train)
    >>> scaler.transform(np.array([[1.0, 20.0]])).tolist()
    [[0.5, 0.5]]
    >>> scaler.inverse_transform(np.array([0.5, 1.0]), columns=1).tolist()
    [20.0, 30.0]
    """

    def __init__(
        self,
        kind="standard",
        feature_range=(0.0, 1.0),
        center=None,
        scale=None,
    ):
        self.kind = check_choice("Scaler", "kind", kind, SCALER_KINDS)
        low, high = _check_range(feature_range)
        self.feature_range = (low, high)
        self.center, self.scale = _check_state(center, scale)

    @property
    def fitted(self):
        return self.center is not None

    def fit(self, data):
        """Computes the per-column statistics of `data`; returns `self`.

        Args:
            data: `(steps,)` or `(..., columns)`; statistics over every
                axis but the last (a 1-D series is one column).
        """
        array = _numeric("Scaler.fit", data)
        axes = 0 if array.ndim == 1 else tuple(range(array.ndim - 1))
        if self.kind == "standard":
            center = array.mean(axis=axes, dtype="f8")
            scale = array.std(axis=axes, dtype="f8")
        else:
            low, high = self.feature_range
            lowest = array.min(axis=axes).astype("f8")
            scale = (array.max(axis=axes) - lowest) / (high - low)
            center = lowest - low * np.where(scale == 0, 1.0, scale)
        self.center = np.asarray(center, "f8")
        self.scale = np.where(scale == 0, 1.0, scale).astype("f8")
        return self

    def transform(self, data, columns=None):
        """`(data - center) / scale`, per column of the last axis.

        Args:
            data: array whose last axis holds the fitted columns, or only
                `columns` of them.
            columns: None (all fitted columns), one index (`data` is one
                column, any shape) or a list of indices.

        Returns:
            The scaled array; float32 stays float32, ints become float64.
        """
        array, center, scale = self._prepare("transform", data, columns)
        return (array - center) / scale

    def inverse_transform(self, data, columns=None):
        """`data * scale + center`: back to the original units.

        Args:
            data, columns: as in `transform`, e.g. `columns=3` for the
                `(N, H)` predictions of target column 3.

        Returns:
            The array in original units.
        """
        array, center, scale = self._prepare("inverse_transform", data, columns)
        return array * scale + center

    def fit_transform(self, data):
        """`fit(data)` then `transform(data)`."""
        return self.fit(data).transform(data)

    def _prepare(self, method, data, columns):
        owner = f"Scaler.{method}"
        if not self.fitted:
            raise ValueError(f"{owner}: the scaler is not fitted; call fit.")
        array = _numeric(owner, data, finite=False)
        dtype = np.result_type(array.dtype, np.float32)
        center, scale = self.center, self.scale
        if columns is not None:
            index = _scaler_columns(owner, columns, center)
            center, scale = center[index], scale[index]
            if center.ndim and array.shape[-1:] != center.shape:
                raise ValueError(
                    f"{owner}: `columns` names {center.size} column(s), "
                    f"the data's last axis has shape {array.shape}."
                )
        elif center.ndim and array.shape[-1:] != center.shape:
            raise ValueError(
                f"{owner}: expected {center.shape[0]} column(s) on the last "
                f"axis, got shape {array.shape}; pass `columns=` to scale "
                "some of them."
            )
        array = array.astype(dtype, copy=False)
        return array, center.astype(dtype), scale.astype(dtype)

    def get_config(self):
        return {
            "kind": self.kind,
            "feature_range": list(self.feature_range),
            "center": None if self.center is None else self.center.tolist(),
            "scale": None if self.scale is None else self.scale.tolist(),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        state = "fitted" if self.fitted else "not fitted"
        return f"Scaler(kind={self.kind!r}, {state})"


def _check_state(center, scale):
    """Fitted statistics given to `Scaler`: both or neither, same shape."""
    if center is None and scale is None:
        return None, None
    if center is None or scale is None:
        raise ValueError("Scaler: pass both `center` and `scale` or neither.")
    center, scale = np.asarray(center, "f8"), np.asarray(scale, "f8")
    if center.shape != scale.shape or not (scale > 0).all():
        raise ValueError(
            "Scaler: `center` and `scale` must have one shape and positive "
            f"scales, got {center.tolist()!r} and {scale.tolist()!r}."
        )
    return center, scale


def _check_range(feature_range):
    try:
        low, high = (float(v) for v in feature_range)
    except (TypeError, ValueError):
        low = high = None
    if low is None or not low < high:
        raise ValueError(
            "Scaler: `feature_range` must be a pair (low, high) with "
            f"low < high, got {feature_range!r}."
        )
    return low, high


def _numeric(owner, data, finite=True):
    array = np.asarray(data)
    if array.dtype.kind not in "biuf" or array.ndim == 0 or not array.size:
        raise ValueError(
            f"{owner}: expected a non-empty numeric array, got dtype "
            f"{array.dtype} and shape {array.shape}."
        )
    if finite and array.dtype.kind == "f":
        if not (np.isfinite(array.min()) and np.isfinite(array.max())):
            raise ValueError(
                f"{owner}: `data` contains NaN or infinite values; fit on "
                "clean data."
            )
    return array


def _scaler_columns(owner, columns, center):
    n = center.size if center.ndim else 1
    items = [columns] if isinstance(columns, numbers.Integral) else columns
    for item in items:
        if isinstance(item, bool) or not isinstance(item, numbers.Integral):
            raise ValueError(f"{owner}: bad column {item!r} in `columns`.")
        if not -n <= item < n:
            raise ValueError(
                f"{owner}: column {item!r} is out of range for a scaler "
                f"fitted on {n} column(s)."
            )
    if not center.ndim:
        return ()
    return columns if isinstance(columns, numbers.Integral) else list(columns)


# -- streaming batches ---------------------------------------------------------


class WindowedSeries(keras.utils.PyDataset):
    """Batches of windows of a long series, gathered one batch at a time.

    The windows are the zero-copy views of `make_windows` (same arguments,
    same shapes, one leading batch axis); `__getitem__` copies only the
    windows of the requested batch, so a series far too large to window in
    memory streams in batches of `batch_size`. No `tf.data`: it works with
    `model.fit` on every backend.

    With `shuffle=True` the windows are permuted anew each epoch, from
    `seed` and the epoch number (`on_epoch_end` advances the epoch), so a
    seeded run is reproducible. `model.fit` also shuffles the order of the
    batches unless you pass `shuffle=False`.

    Args:
        data, window, horizon, gap, stride, targets, inputs, seq2seq,
            columns: as in `make_windows`.
        batch_size: positive integer.
        shuffle: permute the windows every epoch.
        seed: integer seed of the shuffling (None: a fresh random seed).
        drop_remainder: drop the last batch if it is smaller than
            `batch_size` (by default it is kept, smaller).
        dtype: optional dtype the batches are cast to (e.g. `"float32"`).
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size` of
            `keras.utils.PyDataset`.

    Example:

    >>> series = np.random.default_rng(0).normal(size=(1000, 3))
    >>> batches = WindowedSeries(series, 30, horizon=5, targets=0,
    ...                          batch_size=64, shuffle=True, seed=1)
    >>> len(batches), batches[0][0].shape, batches[0][1].shape
    (16, (64, 30, 3), (64, 5))
    >>> batches[15][0].shape  # the last, partial batch
    (6, 30, 3)
    """

    def __init__(
        self,
        data,
        window,
        horizon=1,
        gap=0,
        stride=1,
        targets=None,
        inputs=None,
        seq2seq=False,
        columns=None,
        batch_size=32,
        shuffle=False,
        seed=None,
        drop_remainder=False,
        dtype=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        owner = "WindowedSeries"
        args = (window, horizon, gap, stride, targets, inputs, seq2seq)
        self.x, self.y = _windows(owner, data, *args, columns)
        self._source = (np.asarray(data), (*args, columns))
        self.batch_size = check_units(owner, batch_size, "batch_size")
        self.shuffle = bool(shuffle)
        self.drop_remainder = bool(drop_remainder)
        self.dtype = None if dtype is None else np.dtype(dtype)
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % 2**63)
        self.seed = _check_non_negative(owner, "seed", seed)
        self.epoch = 0
        if len(self) == 0:
            raise ValueError(
                f"{owner}: {len(self.x)} windows make no full batch of "
                f"{self.batch_size} with drop_remainder=True."
            )
        self._order = self._permutation()

    @property
    def num_windows(self):
        return len(self.x)

    def __len__(self):
        if self.drop_remainder:
            return self.num_windows // self.batch_size
        return -(-self.num_windows // self.batch_size)

    def __getitem__(self, index):
        start, stop = self._bounds(index)
        rows = slice(start, stop)
        if self._order is not None:
            rows = self._order[rows]
        return self._batch(self.x, rows), self._batch(self.y, rows)

    def _bounds(self, index):
        """Window positions [start, stop) of batch `index`."""
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(
                f"WindowedSeries: a batch index must be an integer, got "
                f"{index!r}."
            )
        if not -len(self) <= index < len(self):
            raise IndexError(
                f"WindowedSeries: batch {index!r} out of range for "
                f"{len(self)} batches."
            )
        start = (index % len(self)) * self.batch_size
        return start, min(start + self.batch_size, self.num_windows)

    def _batch(self, views, rows):
        """The rows of `views` as a fresh, writeable, C-contiguous array."""
        batch = views[rows]
        if batch.flags.writeable and batch.flags.c_contiguous:
            return batch.astype(self.dtype or batch.dtype, copy=False)
        return np.array(batch, dtype=self.dtype, order="C")

    def _permutation(self):
        if not self.shuffle:
            return None
        rng = np.random.default_rng([self.seed, self.epoch])
        return rng.permutation(self.num_windows)

    def __getstate__(self):
        # Pickling the strided views would copy every window (workers with
        # `use_multiprocessing` pickle the dataset): send the series only.
        state = self.__dict__.copy()
        del state["x"], state["y"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        data, args = self._source
        self.x, self.y = _windows("WindowedSeries", data, *args)

    def on_epoch_end(self):
        """Advances the epoch; with `shuffle`, draws the next permutation."""
        self.epoch += 1
        self._order = self._permutation()
