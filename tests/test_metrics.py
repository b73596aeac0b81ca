"""Forecast metrics against hand computations and published identities;
PinballLoss against the numpy pinball; a quantile model trained with it."""

import keras
import numpy as np
import pytest
from seqlab_testing import to_numpy

from keras_seqlab import models
from keras_seqlab.forecasting.metrics import LastTimeStepMSE
from keras_seqlab.forecasting.metrics import PinballLoss
from keras_seqlab.forecasting.metrics import coverage
from keras_seqlab.forecasting.metrics import interval_width
from keras_seqlab.forecasting.metrics import last_time_step_mse
from keras_seqlab.forecasting.metrics import mae
from keras_seqlab.forecasting.metrics import mase
from keras_seqlab.forecasting.metrics import pinball
from keras_seqlab.forecasting.metrics import rmse
from keras_seqlab.forecasting.metrics import smape

LEVELS = (0.1, 0.5, 0.9)


def test_mae_and_rmse_by_hand():
    y = [1.0, 2.0, 3.0, 4.0]
    f = [2.0, 2.0, 1.0, 4.0]  # errors -1, 0, 2, 0
    assert mae(y, f) == pytest.approx(3 / 4)
    assert rmse(y, f) == pytest.approx(np.sqrt(5 / 4))


def test_mase_of_the_naive_forecast_in_sample_is_one():
    # Hyndman & Koehler (2006): the scale is the in-sample MAE of the
    # naive forecast, so the naive forecast scored on the training series
    # itself has MASE exactly 1 (and the seasonal naive one for m).
    x = np.random.default_rng(0).normal(size=200).cumsum()
    assert mase(x[1:], x[:-1], x) == pytest.approx(1.0, abs=1e-12)
    assert mase(x[12:], x[:-12], x, m=12) == pytest.approx(1.0, abs=1e-12)


def test_mase_by_hand():
    insample = [1.0, 3.0, 2.0, 5.0]  # naive errors 2, 1, 3: scale 2
    assert mase([6.0, 7.0], [5.0, 4.0], insample) == pytest.approx(4 / 2 / 2)
    # Per column for several targets: scales 2 and 1.
    two = np.array([[0.0, 0.0], [2.0, 1.0], [4.0, 2.0]])
    got = mase([[1.0, 1.0]], [[0.0, 0.0]], two)
    assert got == pytest.approx((1 / 2 + 1 / 1) / 2)


def test_smape_by_hand():
    # 2 |100 - 110| / (100 + 110) = 0.0952381; 0/0 counts as 0.
    assert smape([100.0, 0.0], [110.0, 0.0]) == pytest.approx(
        100 * 0.0952381 / 2, abs=1e-5
    )
    # Opposite signs give the maximum, 200; a perfect forecast 0.
    assert smape([1.0, -2.0], [-1.0, 2.0]) == pytest.approx(200.0)
    assert smape([3.0, 0.0], [3.0, 0.0]) == 0.0


def test_coverage_and_width_by_hand():
    y = [0.0, 1.0, 2.0, 3.0]
    lower = [-1.0, 1.0, 2.5, 0.0]
    upper = [1.0, 2.0, 3.0, 2.0]  # in, in (at the end), out, out
    assert coverage(y, lower, upper) == 0.5
    assert interval_width(lower, upper) == pytest.approx((2 + 1 + 0.5 + 2) / 4)


def test_pinball_by_hand_and_half_the_mae_at_the_median():
    y = np.array([1.0, 3.0])
    q = np.array([[0.0, 2.0, 4.0], [1.0, 2.0, 2.5]])
    # errors y - q: [1, -1, -3], [2, 1, 0.5]; tau 0.1, 0.5, 0.9:
    # [0.1, 0.5, 0.3], [0.2, 0.5, 0.45] -> mean 2.05 / 6.
    assert pinball(y, q, LEVELS) == pytest.approx(2.05 / 6)
    rng = np.random.default_rng(1)
    y, f = rng.normal(size=50), rng.normal(size=50)
    assert pinball(y, f[:, None], [0.5]) == pytest.approx(mae(y, f) / 2)


def test_last_time_step_mse_by_hand():
    y = np.zeros((2, 3, 2))
    f = np.zeros((2, 3, 2))
    f[:, :-1] = 10.0  # earlier steps do not count
    f[0, -1] = [1.0, 2.0]
    f[1, -1] = [0.0, 3.0]
    assert last_time_step_mse(y, f) == pytest.approx((1 + 4 + 0 + 9) / 4)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: mae([1.0, 2.0], [1.0]), "mae: expected y_true, y_pred of"),
        (lambda: rmse([], []), "rmse: `y_true` must be a non-empty"),
        (lambda: mase([1.0], [1.0], [2.0, 2.0, 2.0]), "not constant"),
        (lambda: mase([1.0], [1.0], [1.0], m=1), "longer than m=1"),
        (
            lambda: mase([1.0], [1.0], [[0.0, 0.0], [1.0, 2.0]]),
            "last axis of y_true must have 2",
        ),
        (lambda: coverage([0.0], [1.0], [0.0]), "1 crossed interval"),
        (lambda: pinball([1.0], [[1.0, 2.0]], LEVELS), "y.shape + (Q,)"),
        (lambda: pinball([1.0], [[1.0]], [0.5, 0.5]), "strictly increasing"),
        (lambda: last_time_step_mse([1.0], [1.0]), "rank >= 3"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)


# -- Keras versions ------------------------------------------------------------


@pytest.mark.parametrize(
    "y_shape", [(5, 1), (5, 3), (5, 3, 2), (5, 4, 3, 2)], ids=str
)
def test_pinball_loss_equals_numpy_pinball(y_shape):
    rng = np.random.default_rng(2)
    y = rng.normal(size=y_shape).astype("float32")
    q = np.sort(rng.normal(size=y_shape + (3,)), axis=-1).astype("float32")
    got = float(to_numpy(PinballLoss(LEVELS)(y, q)))
    assert got == pytest.approx(pinball(y, q, LEVELS), abs=1e-5)


def test_pinball_loss_sample_weight():
    rng = np.random.default_rng(3)
    y = rng.normal(size=(4, 2)).astype("float32")
    q = rng.normal(size=(4, 2, 3)).astype("float32")
    weights = np.array([1.0, 0.0, 2.0, 0.0], "float32")
    got = float(to_numpy(PinballLoss(LEVELS)(y, q, sample_weight=weights)))
    per_sample = [pinball(y[i], q[i], LEVELS) for i in range(4)]
    expected = np.sum(weights * per_sample) / 4  # sum_over_batch_size
    assert got == pytest.approx(expected, abs=1e-5)


def test_pinball_loss_checks_shapes():
    y = np.zeros((4, 2), "float32")
    with pytest.raises(ValueError) as info:
        PinballLoss(LEVELS)(y, np.zeros((4, 2, 5), "float32"))
    message = str(info.value)
    assert "PinballLoss: expected y_pred of shape y_true's shape + (3,)" in (
        message
    )
    assert "y_true (4, 2) and y_pred (4, 2, 5)" in message
    with pytest.raises(ValueError, match="PinballLoss"):
        PinballLoss(LEVELS)(y, np.zeros((4, 3), "float32"))
    with pytest.raises(ValueError, match=r"PinballLoss: `quantiles\[1\]`"):
        PinballLoss((0.5, 1.5))


def test_pinball_loss_config_round_trip():
    loss = PinballLoss(LEVELS, name="q_loss", reduction="sum")
    config = loss.get_config()
    assert config["quantiles"] == list(LEVELS)
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(loss)
    )
    assert isinstance(restored, PinballLoss)
    assert restored.get_config() == config


def test_last_time_step_mse_metric_matches_numpy():
    rng = np.random.default_rng(4)
    y = rng.normal(size=(6, 5, 3)).astype("float32")
    f = rng.normal(size=(6, 5, 3)).astype("float32")
    metric = LastTimeStepMSE()
    metric.update_state(y, f)
    got = float(to_numpy(metric.result()))
    assert got == pytest.approx(last_time_step_mse(y, f), abs=1e-5)
    clone = LastTimeStepMSE.from_config(metric.get_config())
    assert clone.name == "last_time_step_mse"


def _quantile_data(n=512, seed=0):
    """Windows of a noisy sine; the target is the next value."""
    rng = np.random.default_rng(seed)
    t = np.arange(n + 8)
    series = np.sin(t / 3.0) + 0.3 * rng.normal(size=t.size)
    x = np.lib.stride_tricks.sliding_window_view(series[:-1], 8)[:n]
    y = series[8 : 8 + n]
    return x[..., None].astype("float32"), y[:, None].astype("float32")


def test_fit_with_pinball_loss_trains_a_non_crossing_quantile_model(
    tmp_path,
):
    keras.utils.set_random_seed(0)
    x, y = _quantile_data()
    model = models.build("dense", (8, 1), units=16, quantiles=LEVELS)
    model.compile(keras.optimizers.Adam(0.01), PinballLoss(LEVELS))
    before = model.evaluate(x, y, verbose=0)
    history = model.fit(x, y, epochs=15, batch_size=64, verbose=0)
    after = history.history["loss"][-1]
    assert after < 0.5 * before
    q = to_numpy(model.predict(x, verbose=0))
    assert q.shape == (len(x), 1, 3)
    assert (np.diff(q, axis=-1) > 0).all()
    # The fitted loss is the numpy pinball of the predictions.
    assert model.evaluate(x, y, verbose=0) == pytest.approx(
        pinball(y, q, LEVELS), abs=1e-5
    )
    # Compiled with the registered loss, it loads in safe mode.
    path = tmp_path / "q.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded.loss, PinballLoss)
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(
        pinball(y, q, LEVELS), abs=1e-5
    )


def test_last_time_step_mse_in_compile():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(16, 6, 1)).astype("float32")
    y = rng.normal(size=(16, 6, 2)).astype("float32")
    model = models.build("linear", (6, 1), head="seq_to_seq", horizon=2)
    model.compile("adam", "mse", metrics=[LastTimeStepMSE()])
    scores = model.evaluate(x, y, verbose=0, return_dict=True)
    expected = last_time_step_mse(y, to_numpy(model.predict(x, verbose=0)))
    assert scores["last_time_step_mse"] == pytest.approx(expected, abs=1e-5)
