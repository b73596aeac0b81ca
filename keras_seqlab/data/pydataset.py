"""A `keras.utils.PyDataset` of windows, for series too large to window."""

import numbers

import keras
import numpy as np

from keras_seqlab.data.panel_windows import is_panel_call
from keras_seqlab.data.panel_windows import shuffled
from keras_seqlab.data.panel_windows import windows_of
from keras_seqlab.data.series import resolve
from keras_seqlab.data.windows import window_views
from keras_seqlab.utils.validation import check_non_negative
from keras_seqlab.utils.validation import check_units


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
            columns: as in `make_windows` (`data` may be a `SeriesData`
            or a pandas DataFrame / Series, `targets` names).
        batch_size: positive integer.
        shuffle: permute the windows every epoch.
        seed: integer seed of the shuffling (None: a fresh random seed).
        drop_remainder: drop the last batch if it is smaller than
            `batch_size` (by default it is kept, smaller).
        dtype: optional dtype the batches are cast to (e.g. `"float32"`).
        id_column, date_column, target, past_columns, future_columns,
            static_columns, calendar: for many series in one long
            DataFrame (or a `Panel`), as in `make_windows`: the batches
            are windows of every series, never across two, gathered
            from the panel's rows (`keras_seqlab.data.panel_windows`);
            with known-future or static inputs a batch's inputs are a
            dict (`"past"`, `"future"`, `"static"`). Shuffling samples
            every window of every series uniformly, a new permutation
            each epoch, without an index array of all windows.
        split, val_size, test_size, max_windows: which windows of a
            panel: `"all"`, or the `"train"`, `"val"` or `"test"` split
            of the last steps of every series, and at most `max_windows`
            (the most recent) per series.
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
        *,
        id_column=None,
        date_column=None,
        target=None,
        split="all",
        val_size=None,
        test_size=None,
        max_windows=None,
        past_columns=None,
        future_columns=None,
        static_columns=None,
        calendar=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        owner = "WindowedSeries"
        self.windows = None
        if is_panel_call(data, id_column):
            roles = dict(
                past_columns=past_columns,
                future_columns=future_columns,
                static_columns=static_columns,
                calendar=calendar,
            )
            roles = {k: v for k, v in roles.items() if v is not None}
            self.windows = windows_of(
                owner,
                data,
                window,
                horizon,
                gap,
                stride,
                id_column,
                date_column,
                target,
                split,
                val_size,
                test_size,
                max_windows,
                **roles,
            )
            if not len(self.windows):
                raise ValueError(
                    f"{owner}: no series of the panel is long enough for "
                    f"one {split} window ({len(self.windows.panel)} series, "
                    f"window {window}, horizon {horizon})."
                )
        else:
            data, targets, columns = resolve(
                owner, data, targets, inputs, columns
            )
            args = (window, horizon, gap, stride, targets, inputs, seq2seq)
            self.x, self.y = window_views(owner, data, *args, columns)
            self._source = (np.asarray(data), (*args, columns))
        self.batch_size = check_units(owner, batch_size, "batch_size")
        self.shuffle = bool(shuffle)
        self.drop_remainder = bool(drop_remainder)
        self.dtype = None if dtype is None else np.dtype(dtype)
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % 2**63)
        self.seed = check_non_negative(owner, "seed", seed)
        self.epoch = 0
        if len(self) == 0:
            raise ValueError(
                f"{owner}: {len(self.x)} windows make no full batch of "
                f"{self.batch_size} with drop_remainder=True."
            )
        self._order = self._permutation()

    @property
    def num_windows(self):
        if self.windows is not None:
            return len(self.windows)
        return len(self.x)

    def __len__(self):
        if self.drop_remainder:
            return self.num_windows // self.batch_size
        return -(-self.num_windows // self.batch_size)

    def __getitem__(self, index):
        start, stop = self._bounds(index)
        if self.windows is not None:
            rows = np.arange(start, stop)
            if self.shuffle:
                # A permutation per epoch, computed batch by batch: no
                # index array as long as the panel's windows.
                seed = [self.seed, self.epoch]
                rows = shuffled(rows, self.num_windows, seed)
            return self._cast(self.windows.batch(rows))
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

    def _cast(self, batch):
        if self.dtype is None:
            return batch
        x, y = batch
        if isinstance(x, dict):
            x = {k: v.astype(self.dtype, copy=False) for k, v in x.items()}
        else:
            x = x.astype(self.dtype, copy=False)
        return x, y.astype(self.dtype, copy=False)

    def _permutation(self):
        if self.windows is not None or not self.shuffle:
            return None
        rng = np.random.default_rng([self.seed, self.epoch])
        return rng.permutation(self.num_windows)

    def __getstate__(self):
        # Pickling the strided views would copy every window (workers with
        # `use_multiprocessing` pickle the dataset): send the series only.
        state = self.__dict__.copy()
        if self.windows is None:
            del state["x"], state["y"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if self.windows is not None:
            return
        data, args = self._source
        self.x, self.y = window_views("WindowedSeries", data, *args)

    def on_epoch_end(self):
        """Advances the epoch; with `shuffle`, draws the next permutation."""
        self.epoch += 1
        self._order = self._permutation()
