"""`forecast(..., method="stream")`: the forecaster's autoregressive loop
steps the model instead of re-running it on every window."""

import numpy as np
import pytest
from seqlab_testing import to_numpy

import keras_seqlab as ks
from keras_seqlab.forecasting import forecast

WINDOW, HORIZON = 12, 2


def _forecaster(name, head="seq_to_vector", input_shape=(WINDOW, 1), **kw):
    horizon = 1 if head == "many_to_one" else HORIZON
    model = ks.build(name, input_shape, head=head, horizon=horizon, **kw)
    wrapped = ks.forecaster(model, ["y"], "y", head, horizon)
    return model, wrapped


def _series(rows=30, seed=0):
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.normal(size=(rows, 1)), 0).astype("float32")


@pytest.mark.parametrize("head", ["seq_to_vector", "seq_to_seq"])
def test_wavenet_within_its_window_streams_to_the_window_forecasts(head):
    # Receptive field 1 + (1 + 2 + 4) = 8 <= window 12: both ways see the
    # same inputs, so they must agree exactly.
    _, model = _forecaster("wavenet", head, dilations=(1, 2, 4), units=4)
    data = _series()
    by_window = forecast(model, data, steps=9, method="window")
    streamed = forecast(model, data, steps=9, method="stream")
    np.testing.assert_allclose(streamed, by_window, atol=1e-5, rtol=0)


def test_recurrent_stream_forecast_is_the_model_on_the_growing_series():
    inner, model = _forecaster("gru", "many_to_one", units=5)
    data = _series(seed=1)
    streamed = forecast(model, data, steps=5, method="stream")
    # The same GRU on any length: each forecast is its output on the last
    # window followed by the forecasts so far (the state never restarts).
    free = ks.build("gru", (None, 1), head="many_to_one", units=5)
    free.set_weights(inner.get_weights())
    sequence = data[-WINDOW:]
    for k in range(5):
        expected = to_numpy(free(sequence[None]))[0, 0]
        np.testing.assert_allclose(streamed[k], expected, atol=1e-5, rtol=0)
        sequence = np.concatenate([sequence, [[streamed[k]]]]).astype("float32")
    by_window = forecast(model, data, steps=5, method="window")
    np.testing.assert_allclose(streamed[0], by_window[0], atol=1e-5, rtol=0)


def test_auto_falls_back_to_windows_for_a_model_that_does_not_step():
    _, model = _forecaster("dense", "seq_to_vector", units=4)
    data = _series(seed=2)
    auto = forecast(model, data, steps=6)
    np.testing.assert_allclose(
        auto, forecast(model, data, steps=6, method="window"), rtol=0
    )
    with pytest.raises(ValueError, match="method='stream' needs a causal"):
        forecast(model, data, steps=6, method="stream")
    with pytest.raises(ValueError, match="method"):
        forecast(model, data, steps=6, method="fast")


@pytest.mark.slow
def test_a_saved_forecaster_streams_after_loading(tmp_path):
    _, model = _forecaster("wavenet", dilations=(1, 2), units=4)
    path = tmp_path / "f.keras"
    model.save(path)
    loaded = ks.load_forecaster(path)
    data = _series(seed=3)
    np.testing.assert_allclose(
        forecast(loaded, data, steps=7, method="stream"),
        forecast(model, data, steps=7, method="window"),
        atol=1e-5,
        rtol=0,
    )


def test_the_future_rows_cover_every_step_fed_back():
    # Horizon 2, 5 steps: steps 1-2 from the window, 3-4 after steps 1-2
    # are fed back, 5 after steps 3-4: four future rows (not 5 - 2).
    model = ks.build("dense", (WINDOW, 2), head="seq_to_vector", horizon=2)
    wrapped = ks.forecaster(model, ["y", "x"], "y", "seq_to_vector", 2)
    data = np.concatenate([_series(), _series(seed=5)], axis=1)
    future = np.arange(8.0, dtype="float32").reshape(4, 2)
    with pytest.raises(ValueError, match=r"has 3 row\(s\); 5 steps with "):
        forecast(wrapped, data, steps=5, future=future[:3], method="window")
    got = forecast(wrapped, data, steps=5, future=future, method="window")
    history, expected = data[-WINDOW:], []
    for k in range(3):
        y = np.asarray(wrapped.predict(history[None], verbose=0))[0]
        expected.extend(y)
        if k == 2:
            break
        fed = future[2 * k : 2 * k + 2].copy()
        fed[:, 0] = y
        history = np.concatenate([history, fed])[-WINDOW:]
    np.testing.assert_allclose(got, expected[:5], rtol=1e-6)
