"""The windows of every series of a `Panel`, as index arithmetic.

A panel window is `window` rows of one series and the `horizon` rows
after them (after `gap` rows), never rows of two series. For series `i`
of `n_i` rows (rows relative to the series' start), a window whose first
target row is `o` holds

    inputs    rows o - gap - window, ..., o - gap - 1
    targets   rows o, ..., o + horizon - 1

The windows are not stored: per series only the last window's `o` and
the count are kept (O(series) memory), and window `j` of all is found by
a binary search over the cumulative counts. `batch(j)` gathers the rows
of the requested windows, a copy of one batch only.

**Splits in steps, per series.** With `val_size` V and `test_size` T,
the test windows are those whose targets lie in the last T steps of
their series, the validation windows' targets in the V steps before,
and the training windows' targets before those: no training or
validation window sees a value of a later split, while a window's inputs
may reach back into the split before (as neuralforecast's
`cross_validation` does). A split keeps the most recent windows first
when `max_windows` caps it per series.
"""

import dataclasses
import functools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from keras_seqlab.utils.validation import check_non_negative
from keras_seqlab.utils.validation import check_units

SPLITS = ("all", "train", "val", "test")


@dataclasses.dataclass(frozen=True, eq=False)
class PanelWindows:
    """The windows of one split of a panel.

    Attributes:
        panel: the `Panel`.
        window, horizon, gap, stride: as in `make_windows`.
        last: `(S,)` int64, per series the first target row (relative to
            the series' start) of its last window.
        counts: `(S,)` int64 windows per series (0: none).
        split: which split (`"all"`, `"train"`, `"val"`, `"test"`).
        val_size, test_size: the split sizes in steps per series.
    """

    panel: object
    window: int
    horizon: int
    gap: int
    stride: int
    last: np.ndarray
    counts: np.ndarray
    split: str = "all"
    val_size: int = 0
    test_size: int = 0

    @functools.cached_property
    def cumulative(self):
        return np.r_[0, np.cumsum(self.counts)]

    def __len__(self):
        return int(self.counts.sum())

    @property
    def skipped(self):
        """The number of series without a window in this split."""
        return int((self.counts == 0).sum())

    def locate(self, index):
        """`(series, first target row in the panel's arrays)` of windows
        `index` (an int array)."""
        index = np.asarray(index, dtype="int64")
        n = len(self)
        if index.size and (index.min() < 0 or index.max() >= n):
            raise IndexError(
                f"PanelWindows: window index out of range for {n} windows."
            )
        cum = self.cumulative
        series = np.searchsorted(cum, index, side="right") - 1
        back = self.counts[series] - 1 - (index - cum[series])
        origin = self.last[series] - back * self.stride
        return series, self.panel.offsets[series] + origin

    def batch(self, index):
        """The windows `index` (ints): `(x, y)` or `(inputs, y)`.

        `x` is `(B, window, 1 + P + F)`: the target, the past inputs and
        the known-future inputs at the window's own steps; `y` is
        `(B, horizon)`. With known-future or static inputs the first item
        is a dict: `"past"` (that `x`), `"future"` `(B, horizon, F)` (the
        known inputs at the target steps), `"static"` `(B, C)` and, for
        a panel with `codes` (a model's id vocabulary), `"series"` `(B, 1)`.
        """
        series, origin = self.locate(index)
        p = self.panel
        # Windows of the panel's arrays are zero-copy views
        # (`sliding_window_view`, as for one series); a batch takes the
        # views that start at its windows' rows, never across a series.
        starts = origin - self.gap - self.window
        views = self._views
        x = views["past"][starts]
        if p.known is not None:
            x = np.concatenate([x, views["known past"][starts]], axis=-1)
        y = views["target"][origin]
        if p.known is None and p.static is None and p.codes is None:
            return x, y
        inputs = {"past": x}
        if p.known is not None:
            inputs["future"] = views["known future"][origin]
        if p.static is not None:
            inputs["static"] = p.static[series]
        if p.codes is not None:
            inputs["series"] = p.codes[series][:, None]
        return inputs, y

    def __getstate__(self):
        # The cached views would pickle as copies of every window (workers
        # with `use_multiprocessing` pickle the dataset): they are rebuilt.
        state = dict(self.__dict__)
        state.pop("_views", None)
        return state

    @functools.cached_property
    def _views(self):
        p = self.panel
        views = {
            "past": _views(p.values, self.window),
            "target": _views(p.values[:, 0], self.horizon),
        }
        if p.known is not None:
            views["known past"] = _views(p.known, self.window)
            views["known future"] = _views(p.known, self.horizon)
        return views

    def arrays(self):
        """Every window gathered: `batch(range(len(self)))` (a copy)."""
        return self.batch(np.arange(len(self)))

    def __iter__(self):
        # `x, y = make_windows(frame, ..., id_column=...)`, as for one
        # series (the windows are gathered here: a copy).
        return iter(self.arrays())

    def targets(self):
        """Every window's targets, `(N, horizon)` (no inputs gathered)."""
        origin = self.locate(np.arange(len(self)))[1]
        return self.panel.values[origin[:, None] + np.arange(self.horizon), 0]

    def insample_end(self):
        """Per series, the first row after its training steps (relative
        to its start): the rows before the validation and test steps."""
        return self.panel.lengths - self.val_size - self.test_size

    def target_dates(self, index=None):
        """The date of each window's first target, or None."""
        if self.panel.dates is None:
            return None
        index = np.arange(len(self)) if index is None else index
        return self.panel.dates[self.locate(index)[1]]

    def series_ids(self, index=None):
        """The id of each window's series."""
        index = np.arange(len(self)) if index is None else index
        return self.panel.ids[self.locate(index)[0]]


def _views(array, length):
    """`(rows - length + 1, length, ...)` read-only windows of `array`."""
    views = sliding_window_view(array, length, axis=0)
    return np.moveaxis(views, -1, 1) if array.ndim == 2 else views


def default_size(panel, horizon):
    """The default `val_size` and `test_size` in steps: the horizon, or a
    tenth of the median series length if that is longer."""
    return max(horizon, int(np.median(panel.lengths)) // 10)


def panel_windows(
    panel,
    window,
    horizon=1,
    gap=0,
    stride=1,
    split="all",
    val_size=None,
    test_size=None,
    max_windows=None,
    owner="make_windows",
):
    """The `PanelWindows` of one split (see the module docstring): what
    `make_windows(frame, ..., id_column=...)` returns.

    Args:
        panel: a `Panel`.
        window, horizon, gap, stride: as in `make_windows`.
        split: `"all"`, `"train"`, `"val"` or `"test"`.
        val_size, test_size: the validation and test steps per series
            (None: `default_size`); unused for `"all"`.
        max_windows: at most this many windows per series, the most
            recent ones (None: all).
    """
    window = check_units(owner, window, "window")
    horizon = check_units(owner, horizon, "horizon")
    stride = check_units(owner, stride, "stride")
    gap = check_non_negative(owner, "gap", gap)
    if split not in SPLITS:
        raise ValueError(
            f"{owner}: unknown split {split!r}; expected one of "
            f"{', '.join(SPLITS)}."
        )
    default = default_size(panel, horizon)
    val = default if val_size is None else val_size
    test = default if test_size is None else test_size
    val = check_non_negative(owner, "val_size", val)
    test = check_non_negative(owner, "test_size", test)
    for name, size in (("val_size", val), ("test_size", test)):
        if split != "all" and 0 < size < horizon:
            raise ValueError(
                f"{owner}: `{name}` {size} is shorter than the horizon "
                f"{horizon}: no window's targets fit in it."
            )
    n = panel.lengths.astype("int64")
    first = window + gap  # the first possible target row
    if split == "all":
        low, high = np.full_like(n, first), n - horizon
    elif split == "test":
        low, high = np.maximum(first, n - test), n - horizon
    elif split == "val":
        low, high = np.maximum(first, n - test - val), n - test - horizon
    else:
        low, high = np.full_like(n, first), n - test - val - horizon
    if split in ("val", "test") and not (val if split == "val" else test):
        high = low - 1  # an empty split
    counts = np.where(high >= low, (high - low) // stride + 1, 0)
    if max_windows is not None:
        cap = check_units(owner, max_windows, "max_windows")
        counts = np.minimum(counts, cap)
    return PanelWindows(
        panel, window, horizon, gap, stride, high, counts, split, val, test
    )


def panel_splits(
    panel,
    window,
    horizon=1,
    val_size=None,
    test_size=None,
    max_windows=None,
    **kwargs,
):
    """`(train, val, test)` `PanelWindows`; see `panel_windows`.

    `max_windows` caps the training and validation windows of each
    series (the most recent kept); the test windows are never capped, so
    every model is scored on the same, whole test steps.
    """
    return tuple(
        panel_windows(
            panel,
            window,
            horizon,
            split=split,
            val_size=val_size,
            test_size=test_size,
            max_windows=None if split == "test" else max_windows,
            **kwargs,
        )
        for split in ("train", "val", "test")
    )


def training_rows(windows):
    """A boolean mask of the panel rows that training windows may read:
    each series' rows before its first validation or test target (the
    rows a scaler may be fit on without leakage)."""
    p = windows.panel
    mask = np.zeros(len(p.values), dtype=bool)
    ends = np.where(windows.counts > 0, windows.last + windows.horizon, 0)
    for start, end in zip(p.offsets[:-1], ends):
        mask[start : start + end] = True
    return mask


# -- a shuffled order without a permutation array ----------------------------


def _mix(half, key):
    """A keyed mixing of `half` (uint64; splitmix64's finalizer). Callers
    silence numpy's overflow warnings: the wrapping is meant."""
    z = (half ^ key) * np.uint64(0x9E3779B97F4A7C15)
    z ^= z >> np.uint64(31)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    return z ^ (z >> np.uint64(29))


def _feistel(v, keys, a, b):
    """A bijection of [0, a * b): four Feistel rounds on (v // b, v % b),
    the halves' ranges a and b swapping each round."""
    left, right = v // np.uint64(b), v % np.uint64(b)
    for key in keys:
        # (left < a, right < b) -> (right, (left + F(right)) mod a)
        mixed = (left + _mix(right, key) % np.uint64(a)) % np.uint64(a)
        left, right = right, mixed
        a, b = b, a
    return left * np.uint64(b) + right


@functools.lru_cache(maxsize=64)
def _keys(seed):
    return np.random.default_rng(list(seed)).integers(
        0, 2**63, size=4, dtype=np.uint64
    )


def shuffled(index, n, seed):
    """`index` (ints in [0, n)) mapped through a random permutation of
    [0, n) chosen by `seed` (an int or a sequence of ints), without
    storing the permutation.

    A four-round Feistel network on a x b, a = ceil(sqrt(n)) and
    b = ceil(n / a), with addition modulo the halves' ranges (the
    generalized Feistel of format-preserving encryption), is a bijection
    of [0, a b); the few values that land at n or above (a b - n < a of
    them) are mapped again ("cycle walking") until they fall in [0, n),
    which keeps it a bijection of [0, n). Memory is O(len(index)): a
    10-million-window panel is shuffled batch by batch, not by an 80 MB
    index array.
    """
    seed = tuple(np.atleast_1d(seed).tolist())
    a = max(1, int(np.ceil(np.sqrt(n))))
    b = max(1, -(-n // a))
    keys = _keys(seed)
    with np.errstate(over="ignore"):
        out = _feistel(np.asarray(index, dtype=np.uint64), keys, a, b)
        todo = np.flatnonzero(out >= np.uint64(n))
        while todo.size:
            out[todo] = _feistel(out[todo], keys, a, b)
            todo = todo[out[todo] >= np.uint64(n)]
    return out.astype("int64")


def is_panel_call(data, id_column):
    """Whether the data functions take `data` as a panel."""
    from keras_seqlab.data.panel import Panel

    return id_column is not None or isinstance(data, (Panel, PanelWindows))


def windows_of(
    owner,
    data,
    window,
    horizon,
    gap,
    stride,
    id_column=None,
    date_column=None,
    target=None,
    split="all",
    val_size=None,
    test_size=None,
    max_windows=None,
    **roles,
):
    """`PanelWindows` of a long DataFrame (with `id_column`), a `Panel` or
    `PanelWindows` (returned as they are); for `make_windows` and
    `WindowedSeries`."""
    from keras_seqlab.data.panel import Panel
    from keras_seqlab.data.panel import panel_from_frame

    if isinstance(data, PanelWindows):
        return data
    if not isinstance(data, Panel):
        if target is None:
            raise ValueError(
                f"{owner}: a long table needs `target`, the column to forecast."
            )
        data = panel_from_frame(
            data, id_column, target, date_column, owner=owner, **roles
        )
    elif roles or target is not None:
        raise ValueError(
            f"{owner}: a Panel brings its own target and inputs; pass "
            f"them to panel_from_frame (got {sorted(roles) or ['target']})."
        )
    return panel_windows(
        data,
        window,
        horizon,
        gap,
        stride,
        split,
        val_size,
        test_size,
        max_windows,
        owner=owner,
    )


def panel_make_windows(
    data,
    window,
    horizon,
    gap,
    stride,
    one_series,
    target=None,
    id_column=None,
    date_column=None,
    **panel,
):
    """`make_windows` of a long table or a `Panel` (see there); refuses
    the arguments of one series (`one_series`: those given)."""
    owner = "make_windows"
    if not is_panel_call(data, id_column):
        named = sorted([*panel, *(["date_column"] if date_column else [])])
        raise ValueError(
            f"{owner}: {named} apply to a long table; pass `id_column` "
            "(the series id column)."
        )
    given = [
        name
        for name, value in one_series.items()
        if value is not None and value is not False
    ]
    if given:
        raise ValueError(
            f"{owner}: {', '.join(given)} apply to one series; a long "
            "table takes `target` and the inputs by role (`past_columns`, "
            "`future_columns`, `static_columns`, `calendar`)."
        )
    return windows_of(
        owner,
        data,
        window,
        horizon,
        gap,
        stride,
        id_column,
        date_column,
        target,
        **panel,
    )
