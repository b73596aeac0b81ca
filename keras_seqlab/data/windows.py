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
(`numpy.lib.stride_tricks.sliding_window_view`): all windows of a
1,000,000-row series cost no memory; `WindowedSeries` gathers one batch
at a time (many series of a long table: `panel_windows`). No Keras here.
"""

import math
import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from keras_seqlab.data.panel_windows import is_panel_call
from keras_seqlab.data.panel_windows import panel_make_windows
from keras_seqlab.data.series import resolve
from keras_seqlab.utils.validation import check_flag
from keras_seqlab.utils.validation import check_non_negative
from keras_seqlab.utils.validation import check_units


def _as_series(owner, data, batch=False):
    """`(series, one_d)`: `data` as a numeric (steps, columns) view, or
    (series, steps, columns) for a batch."""
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
    if batch and array.ndim not in (2, 3):
        raise ValueError(
            f"{owner}: with batch=True `data` must be 2-D (series, steps) "
            f"or 3-D (series, steps, columns), got shape {array.shape}."
        )
    if not batch and array.ndim not in (1, 2):
        raise ValueError(
            f"{owner}: `data` must be 1-D (steps,) or 2-D (steps, "
            f"columns), got shape {array.shape}; for a batch of "
            "independent series (series, steps, columns) pass batch=True."
        )
    if 0 in array.shape[: 1 + batch]:
        raise ValueError(f"{owner}: `data` is empty (shape {array.shape}).")
    if array.ndim == 1 + batch:
        return array[..., np.newaxis], True
    return array, False


def _check_finite(owner, array, column_ids):
    """Raises on NaN or infinity in `array` (steps, k) or (series, steps,
    k), naming the spot.

    `min`/`max` propagate NaN and see ±inf without a temporary array, so
    the common, clean case allocates nothing.
    """
    if array.dtype.kind != "f" or array.size == 0:
        return
    if np.isfinite(array.min()) and np.isfinite(array.max()):
        return
    *where, row, col = index = tuple(np.argwhere(~np.isfinite(array))[0])
    value = array[index]
    kind = "NaN" if np.isnan(value) else f"an infinite value ({value})"
    where = f"series {where[0]}, " if where else ""
    raise ValueError(
        f"{owner}: `data` contains {kind} at {where}row {row}, column "
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
        return series[..., selection]
    step = selection[1] - selection[0] if len(selection) > 1 else 1
    evenly = step != 0 and all(
        b - a == step for a, b in zip(selection, selection[1:])
    )
    if not evenly:
        return np.take(series, selection, axis=-1)
    stop = selection[-1] + step
    return series[..., slice(selection[0], stop if stop >= 0 else None, step)]


# -- the windows ---------------------------------------------------------------


def check_counts(owner, window, horizon, gap, stride):
    """`(window, horizon, gap, stride)` as ints: the one check of the
    window arguments that every function here shares.

    Raises:
        ValueError: naming `owner`, unless `window`, `horizon` and
            `stride` are positive integers and `gap` a non-negative one
            (bools, floats such as 2.5 and strings are refused).
    """
    window = check_units(owner, window, "window")
    horizon = check_units(owner, horizon, "horizon")
    stride = check_units(owner, stride, "stride")
    return window, horizon, check_non_negative(owner, "gap", gap), stride


def window_count(n_steps, window, horizon=1, gap=0, stride=1):
    """The number of (input, target) windows a series of `n_steps` gives.

    Args:
        n_steps: length of the series, a non-negative integer.
        window, horizon, gap, stride: as in `make_windows`.

    Returns:
        `(n_steps - window - gap - horizon) // stride + 1`, or 0 when the
        series is shorter than `window + gap + horizon`.

    Raises:
        ValueError: naming `window_count`, for arguments `make_windows`
            refuses (e.g. `window=0`, `stride=0`, a negative `gap` or
            `horizon`, a float) or a negative or non-integer `n_steps`.

    Example:

    >>> window_count(100, 10, horizon=5, gap=2, stride=3)
    28
    """
    owner = "window_count"
    n_steps = check_non_negative(owner, "n_steps", n_steps)
    window, horizon, gap, stride = check_counts(
        owner, window, horizon, gap, stride
    )
    return _count(n_steps, window + gap + horizon, stride)


def _count(n_steps, span, stride):
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


def _along(t, index):
    """An index that applies `index` (a slice) to axis `t`."""
    return (slice(None),) * t + (index,)


def _slide(array, length, t):
    """Windows of `length` along axis `t`, the window axis after it."""
    views = sliding_window_view(array, length, axis=t)
    return np.moveaxis(views, -1, t + 1)


def _input_windows(series, window, stride, count, t=0):
    """(count, window, k) views: windows of `series` (steps, k); with a
    leading series axis (`t=1`), (series, count, window, k)."""
    views = _slide(series, window, t)
    return views[_along(t, slice(None, (count - 1) * stride + 1, stride))]


def _horizons(target, first, horizon, t=0):
    """Rows first + m ... first + m + horizon - 1 as (M, H) or (M, H, k)
    (after a leading series axis when `t=1`)."""
    target = target[_along(t, slice(first, None))]
    if target.ndim == 1 + t:
        return sliding_window_view(target, horizon, axis=t)
    return _slide(target, horizon, t)


def _target_windows(target, window, horizon, gap, stride, count, seq2seq, t=0):
    """Targets aligned with `_input_windows`; see the module docstring."""
    if not seq2seq:
        views = _horizons(target, window + gap, horizon, t)
    else:
        views = _slide(_horizons(target, 1 + gap, horizon, t), window, t)
    return views[_along(t, slice(None, (count - 1) * stride + 1, stride))]


def _columns(owner, series, one_d, targets, inputs, columns):
    """The input `(steps, k)` and target columns, checked for NaN."""
    n_columns = series.shape[-1]
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
        owner,
        y_series.reshape(*series.shape[:-1], -1),
        [ids[c] for c in y_cols],
    )
    return x_series, y_series


def window_views(
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
    batch=False,
):
    """Validated `(x, y)` views; shared by `make_windows`, `WindowedSeries`."""
    window, horizon, gap, stride = check_counts(
        owner, window, horizon, gap, stride
    )
    batch = check_flag(owner, "batch", batch)
    data, targets, columns = resolve(owner, data, targets, inputs, columns)
    series, one_d = _as_series(owner, data, batch)
    n_steps, t = series.shape[-2], series.ndim - 2
    _check_lengths(owner, n_steps, window, horizon, gap)
    bases = _columns(owner, series, one_d, targets, inputs, columns)
    count = _count(n_steps, window + gap + horizon, stride)
    x = _input_windows(bases[0], window, stride, count, t)
    args = (bases[1], window, horizon, gap, stride, count, seq2seq)
    y = _target_windows(*args, t) if t else _target_windows(*args)
    if not t:
        _check_no_leak(owner, (x, y), bases, seq2seq)
        return x, y
    _check_no_leak(owner, (x[0], y[0]), (bases[0][0], bases[1][0]), seq2seq)
    # Series by series: x[n * count + k] is window k of series n (a view
    # where numpy can merge the two axes, e.g. one window per series).
    return tuple(a.reshape(len(a) * count, *a.shape[2:]) for a in (x, y))


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
    batch=False,
    **panel,
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
            A numpy array (or a `SeriesData`'s values) is never copied. A
            `SeriesData` or a pandas DataFrame / Series brings its column
            names (and a `SeriesData` its default `targets`); a
            DataFrame's index and datetime columns are not inputs.
        window, horizon, stride: positive integers: the input length,
            the target steps, the step between window starts.
        gap: the steps skipped between the window's last row and the
            first target (0: the next row).
        targets: the target column(s): an index or name (one column), a
            list of them, a slice, or None for the `SeriesData`'s own
            targets, else every column (the series itself for 1-D data).
        inputs: the input column(s), as `targets`; None for every column.
        seq2seq: seq-to-seq targets at every input step.
        columns: optional names of the data's columns, to select `targets`
            and `inputs` by name (named data brings its own).
        batch: False (one series), or True: `data` is a batch of series
            of one length, `(N, steps)` (like 1-D data) or `(N, steps,
            columns)`, e.g. `synthetic_series`. Windows are cut from each
            series, never across two, series by series: `x[n * W + k]` is
            window `k` of series `n` (W per series, N * W in all); views
            when numpy can merge the two axes, else one compact copy.
        **panel: `id_column`, `target`, ... of a long table or `Panel`:
            `PanelWindows` of every series, never across two (see
            `keras_seqlab.data.panel_windows`; `x, y = ...` gathers them).

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
    >>> x, y = make_windows(np.arange(12.0).reshape(2, 6), 3, batch=True)
    >>> x[:, 0, 0].tolist(), y[:, 0].tolist()
    ([0.0, 1.0, 2.0, 6.0, 7.0, 8.0], [3.0, 4.0, 5.0, 9.0, 10.0, 11.0])
    """
    if panel or is_panel_call(data, None):
        single = dict(targets=targets, inputs=inputs, seq2seq=seq2seq)
        single.update(columns=columns, batch=batch)
        return panel_make_windows(
            data, window, horizon, gap, stride, single, **panel
        )
    return window_views(
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
        batch,
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
    window, horizon, gap, stride = check_counts(
        "split_gap", window, horizon, gap, stride
    )
    return math.ceil((window + gap + horizon) / stride) - 1
