"""Windows handed to Keras: `WindowedSeries` in `model.fit` on every
backend, and `make_windows` against Keras's own windowing (TensorFlow).

The windowing arithmetic itself is backend-free (test_windows.py)."""

import importlib.util

import keras
import numpy as np
import pytest

from keras_seqlab.data.pydataset import WindowedSeries
from keras_seqlab.data.windows import make_windows

HAS_TENSORFLOW = importlib.util.find_spec("tensorflow") is not None


def _series(steps, columns):
    """Distinct values: row r, column c holds 100 r + c."""
    rows = np.arange(steps, dtype="float32")
    return 100 * rows[:, None] + np.arange(columns, dtype="float32")


@pytest.mark.skipif(
    not HAS_TENSORFLOW,
    reason="keras.utils.timeseries_dataset_from_array needs TensorFlow, "
    "which this environment does not have",
)
@pytest.mark.parametrize("window, gap, stride", [(4, 0, 1), (5, 2, 3)])
def test_alignment_matches_timeseries_dataset_from_array(window, gap, stride):
    data = _series(30, 3)
    dataset = keras.utils.timeseries_dataset_from_array(
        data,
        data[window + gap :, 1],
        sequence_length=window,
        sequence_stride=stride,
        batch_size=None,
        shuffle=False,
    )
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in dataset]
    x, y = make_windows(data, window, gap=gap, stride=stride, targets=1)
    assert len(pairs) == len(x)
    np.testing.assert_array_equal(np.stack([p[0] for p in pairs]), x)
    np.testing.assert_array_equal(np.array([p[1] for p in pairs]), y[:, 0])


class _LoggedSeries(WindowedSeries):
    """Records the first row of every window served, by epoch counter."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.served = {}

    def __getitem__(self, index):
        x, y = super().__getitem__(index)
        starts = self.served.setdefault(self.epoch, [])
        starts.extend(x[:, 0, 0].astype(int).tolist())
        return x, y


@pytest.mark.slow
@pytest.mark.parametrize("seq2seq", [False, True])
def test_model_fit_on_a_windowed_series(seq2seq):
    rows = np.arange(600.0)
    series = np.stack([np.sin(rows / 10.0), rows], axis=-1).astype("float32")
    dataset = _LoggedSeries(
        series,
        12,
        horizon=3,
        targets=0,
        inputs=[0],
        seq2seq=seq2seq,
        batch_size=32,
        shuffle=True,
        seed=0,
    )
    layers = [keras.Input((12, 1))]
    if not seq2seq:
        layers.append(keras.layers.Flatten())
    model = keras.Sequential([*layers, keras.layers.Dense(3)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    history = model.fit(dataset, epochs=3, verbose=0, shuffle=False)
    losses = history.history["loss"]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
    x, y = dataset[0]
    assert model.predict(x, verbose=0).shape == y.shape


@pytest.mark.slow
def test_model_fit_serves_every_window_once_per_epoch():
    # Keras peeks at the first batches before training and then calls
    # on_epoch_end; every training epoch must still be one permutation.
    rows = np.arange(300.0)
    dataset = _LoggedSeries(
        np.stack([rows, rows], axis=-1),
        5,
        targets=0,
        inputs=[1],
        batch_size=16,
        shuffle=True,
        seed=0,
    )
    model = keras.Sequential(
        [keras.Input((5, 1)), keras.layers.Flatten(), keras.layers.Dense(1)]
    )
    model.compile(optimizer="sgd", loss="mse")
    model.fit(dataset, epochs=3, verbose=0)
    everything = list(range(dataset.num_windows))
    full = [s for s in dataset.served.values() if len(s) >= len(everything)]
    assert len(full) == 3
    assert all(sorted(starts) == everything for starts in full)
    assert len({tuple(starts) for starts in full}) == 3
