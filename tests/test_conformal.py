"""Split-conformal calibration: the margin by hand, widening, and coverage
on fresh data from the same process within a few points of nominal."""

import keras
import numpy as np
import pytest
from seqlab_testing import to_numpy

from keras_seqlab.forecasting.conformal import conformal_margin
from keras_seqlab.forecasting.conformal import conformalize
from keras_seqlab.forecasting.conformal import conformity_scores
from keras_seqlab.forecasting.conformal import widen
from keras_seqlab.forecasting.metrics import coverage
from keras_seqlab.layers import ConformalInterval


def test_margin_is_the_conformal_order_statistic():
    # lower = upper = y - s gives the scores |s| = 1..9 (shuffled); with
    # n = 9 and coverage 0.8 the rank is ceil(10 * 0.8) = 8: margin 8.
    s = np.array([3.0, 1.0, 9.0, 2.0, 8.0, 4.0, 7.0, 5.0, 6.0])
    y = np.zeros(9)
    assert conformal_margin(y, y - s, y - s, 0.8) == 8.0
    # ceil(10 * 0.5) = 5: the 5th smallest.
    assert conformal_margin(y, y - s, y - s, 0.5) == 5.0
    # Inside the interval the scores are negative: max(l - y, y - u).
    np.testing.assert_array_equal(
        conformity_scores([0.0, 0.0], [-1.0, -3.0], [2.0, 1.0]), [-1.0, -1.0]
    )


def test_too_few_calibration_values():
    y = np.zeros(3)
    with pytest.raises(ValueError) as info:
        conformal_margin(y, y - 1, y + 1, 0.9)
    message = str(info.value)
    assert "conformal_margin: 3 calibration value(s) are too few" in message
    assert "need at least 9" in message
    # 9 values are enough for 0.9: ceil(10 * 0.9) = 9.
    assert conformal_margin(np.zeros(9), -np.ones(9), np.ones(9), 0.9) == -1


@pytest.mark.parametrize(
    "args, message",
    [
        (([0.0], [0.0], [0.0], 1.0), "`coverage` must be in (0, 1)"),
        (([0.0], [0.0], [0.0], 0), "`coverage` must be in (0, 1)"),
        (([0.0], [0.0], [0.0], 80), "80% interval), got 80."),
        (([0.0], [0.0], [0.0], "0.8"), "`coverage` must be a number in"),
        (([0.0, 1.0], [0.0], [0.0], 0.5), "of the same shape"),
        (([], [], [], 0.5), "non-empty array"),
        (([np.nan], [0.0], [0.0], 0.5), "finite"),
    ],
)
def test_margin_bad_input(args, message):
    with pytest.raises(ValueError) as info:
        conformal_margin(*args)
    assert str(info.value).startswith("conformal_margin: ")
    assert message in str(info.value)


def test_widen_by_hand():
    low, high = widen([0.0, 1.0], [2.0, 1.5], 0.5)
    np.testing.assert_array_equal(low, [-0.5, 0.5])
    np.testing.assert_array_equal(high, [2.5, 2.0])
    # A negative margin narrows, down to the midpoint at most.
    low, high = widen([0.0, 1.0], [2.0, 1.5], -0.5)
    np.testing.assert_array_equal(low, [0.5, 1.25])
    np.testing.assert_array_equal(high, [1.5, 1.25])
    with pytest.raises(ValueError, match="widen: `margin` must be a finite"):
        widen([0.0], [1.0], float("inf"))


def _series(n, seed):
    """y_t = sin(2 pi t / 50) + i.i.d. N(0, 0.5^2) noise; the signal."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    signal = np.sin(2 * np.pi * t / 50)
    return signal + 0.5 * rng.normal(size=n), signal


@pytest.mark.parametrize("half_width", [0.3, 2.0], ids=["narrow", "wide"])
def test_calibrated_coverage_holds_on_fresh_data(half_width):
    """A forecaster that knows the signal but states a miscalibrated 80%
    interval signal ± half_width, on a series with i.i.d. N(0, 0.5²) noise
    (so calibration and test scores are exchangeable). Calibrated on 1,000
    values, scored on 50,000 fresh ones from the same process (seed 0/1):

        half width 0.3 (too narrow): coverage 45.4% before, 79.3% after
        half width 2.0 (too wide):   coverage 99.996% before, 79.3% after

    Theory: 0.8 <= coverage <= 0.8 + 1/1001 in expectation over the
    calibration draw, with a spread of about 1.3 points for one draw; the
    test asks for 0.77..0.83 after and more than 10 points off before.
    """
    y_val, signal_val = _series(1000, seed=0)
    y_test, signal_test = _series(50_000, seed=1)
    lower_val, upper_val = signal_val - half_width, signal_val + half_width
    lower, upper = signal_test - half_width, signal_test + half_width

    before = coverage(y_test, lower, upper)
    margin = conformal_margin(y_val, lower_val, upper_val, 0.8)
    after = coverage(y_test, *widen(lower, upper, margin))
    assert abs(before - 0.8) > 0.10, before
    assert 0.77 <= after <= 0.83, after
    # Positive (widen) below the true 80% half width 0.5 * 1.2816.
    assert np.sign(margin) == (1 if half_width < 0.5 * 1.2816 else -1)


def test_conformal_layer_calibrates_a_saved_model(tmp_path):
    """A quantile model (y = 2x, stated interval ±0.2, N(0, 0.5²) noise)
    conformalized on 2,000 values: its saved-and-reloaded outputs are the
    numpy `widen` of the raw ones and cover 80% ± 3 points of 20,000 fresh
    values (seed 0: 30.5% before, 79.4% after)."""
    inputs = keras.Input((1,))
    raw = keras.layers.Dense(3, name="quantile_values")
    model = keras.Model(inputs, raw(inputs))
    raw.set_weights(
        [np.full((1, 3), 2.0, "float32"), np.array([-0.2, 0.0, 0.2], "f4")]
    )
    rng = np.random.default_rng(0)
    x_val = rng.uniform(-1, 1, (2000, 1)).astype("float32")
    y_val = 2 * x_val[:, 0] + 0.5 * rng.normal(size=2000)
    x_test = rng.uniform(-1, 1, (20_000, 1)).astype("float32")
    y_test = 2 * x_test[:, 0] + 0.5 * rng.normal(size=20_000)

    q_val = to_numpy(model.predict(x_val, verbose=0))
    margin = conformal_margin(y_val, q_val[:, 0], q_val[:, -1], 0.8)
    calibrated = conformalize(model, margin, coverage=0.8)
    path = tmp_path / "calibrated.keras"
    calibrated.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    (layer,) = [la for la in loaded.layers if isinstance(la, ConformalInterval)]
    assert layer.margin == pytest.approx(margin)
    assert layer.coverage == 0.8

    q = to_numpy(model.predict(x_test, verbose=0))
    got = to_numpy(loaded.predict(x_test, verbose=0))
    low, high = widen(q[:, 0], q[:, -1], margin)
    np.testing.assert_allclose(got[:, 0], low, atol=1e-5)
    np.testing.assert_allclose(got[:, -1], high, atol=1e-5)
    np.testing.assert_allclose(got[:, 1], q[:, 1], atol=1e-5)
    assert coverage(y_test, q[:, 0], q[:, -1]) < 0.4
    assert 0.77 <= coverage(y_test, got[:, 0], got[:, -1]) <= 0.83


def test_conformalize_needs_a_model():
    with pytest.raises(TypeError, match="conformalize: expected a keras"):
        conformalize("model.keras", 0.1)
