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
