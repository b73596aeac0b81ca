"""QuantileHead, RepeatQuantiles, ConformalInterval and model_quantiles:
values against a hand computation, ordering for any input, checks, configs
and safe-mode round trips of quantile models."""

import keras
import numpy as np
import pytest
from seqlab_testing import to_numpy

from keras_seqlab import models
from keras_seqlab.layers import ConformalInterval
from keras_seqlab.layers import QuantileHead
from keras_seqlab.layers import RepeatQuantiles
from keras_seqlab.layers import model_quantiles
from keras_seqlab.testing import layer_test

LEVELS = (0.1, 0.5, 0.9)


def _softplus(x):
    return np.logaddexp(0.0, x)


def test_quantile_head_values_by_hand():
    a = np.array([[-1.0, 0.0, 2.0], [3.0, -2.0, 0.5]], dtype="float32")
    got = to_numpy(QuantileHead(LEVELS)(a))
    # q0 = a0, q1 = q0 + softplus(a1), q2 = q1 + softplus(a2), by hand:
    # softplus(0) = ln 2 = 0.693147, softplus(2) = 2.126928,
    # softplus(-2) = 0.126928, softplus(0.5) = 0.974077.
    expected = np.array(
        [
            [-1.0, -1.0 + 0.693147, -1.0 + 0.693147 + 2.126928],
            [3.0, 3.0 + 0.126928, 3.0 + 0.126928 + 0.974077],
        ]
    )
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)


def test_quantile_head_matches_numpy_on_any_rank():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2, 4, 3, 5)).astype("float32")
    got = to_numpy(QuantileHead((0.05, 0.25, 0.5, 0.75, 0.95))(a))
    expected = a[..., :1] + np.concatenate(
        [np.zeros_like(a[..., :1]), np.cumsum(_softplus(a[..., 1:]), -1)], -1
    )
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)


def test_quantile_head_never_crosses():
    # Wild raw values, including ones where softplus underflows to 0 in
    # float32 (a = -200) and huge offsets: never decreasing, and strictly
    # increasing wherever the increment is above float32 resolution.
    rng = np.random.default_rng(1)
    a = rng.normal(size=(500, 4)) * rng.choice([1, 10, 100], (500, 4))
    a[:10, 1:] = -200.0
    a[10:20, 0] = 1e6
    got = to_numpy(QuantileHead((0.1, 0.3, 0.6, 0.9))(a.astype("float32")))
    steps = np.diff(got, axis=-1)
    assert (steps >= 0).all()
    # Strict wherever softplus(a_k) is above float32 resolution at q_{k-1}
    # (the documented condition): about 80% of the entries here.
    increment = _softplus(a[:, 1:])
    resolution = 2 * np.spacing(np.abs(got[:, :-1]).astype("float32"))
    resolved = increment > resolution
    assert resolved.mean() > 0.7
    assert (steps[resolved] > 0).all()


def test_quantile_head_single_quantile_is_identity():
    a = np.array([[1.5], [-2.0]], dtype="float32")
    np.testing.assert_array_equal(to_numpy(QuantileHead([0.5])(a)), a)


@pytest.mark.parametrize(
    "quantiles, message",
    [
        ((), "non-empty sequence"),
        (None, "non-empty sequence"),
        ("0.5", "non-empty sequence"),
        ((0.0, 0.5), "`quantiles[0]` must be in (0, 1), got 0.0"),
        ((0.5, 1.0), "`quantiles[1]` must be in (0, 1), got 1.0"),
        ((0.5, "a"), "`quantiles[1]` must be a number in (0, 1)"),
        ((0.9, 0.1), "strictly increasing, got (0.9, 0.1) (unsorted"),
        ((0.1, 0.5, 0.5), "(repeated: 0.5 then 0.5)"),
    ],
)
def test_quantiles_are_checked(quantiles, message):
    with pytest.raises(ValueError) as info:
        QuantileHead(quantiles)
    assert str(info.value).startswith("QuantileHead: ")
    assert message in str(info.value)


@pytest.mark.parametrize("quantiles", [(0.9, 0.1), (0.5, 0.5), (0, 0.5)])
def test_builders_check_quantiles(quantiles):
    with pytest.raises(ValueError) as info:
        models.build("lstm", (6, 2), quantiles=quantiles)
    assert str(info.value).startswith("build_lstm: ")
    assert "quantile" in str(info.value)


def test_quantile_head_checks_the_last_axis():
    with pytest.raises(ValueError) as info:
        QuantileHead(LEVELS)(np.zeros((2, 4), "float32"))
    message = str(info.value)
    assert "QuantileHead" in message
    assert "last axis of size 3 (one per quantile)" in message
    assert "(2, 4)" in message


def test_repeat_quantiles():
    x = np.array([[1.0, 2.0]], dtype="float32")
    got = to_numpy(RepeatQuantiles(LEVELS)(x))
    assert got.shape == (1, 2, 3)
    np.testing.assert_array_equal(got, [[[1, 1, 1], [2, 2, 2]]])


def test_conformal_interval_moves_the_outer_quantiles():
    q = np.array([[[0.0, 1.0, 2.0]], [[-1.0, 0.0, 4.0]]], "float32")
    got = to_numpy(ConformalInterval(0.5)(q))
    np.testing.assert_allclose(
        got, [[[-0.5, 1.0, 2.5]], [[-1.5, 0.0, 4.5]]], atol=1e-6
    )


def test_conformal_interval_negative_margin_keeps_the_order():
    q = np.array([[0.0, 1.0, 2.0], [0.0, 0.1, 3.0]], "float32")
    got = to_numpy(ConformalInterval(-0.5)(q))
    # Narrowed by 0.5, but never past the neighbouring quantile.
    np.testing.assert_allclose(got, [[0.5, 1.0, 1.5], [0.1, 0.1, 2.5]])
    two = np.array([[0.0, 2.0], [0.0, 0.4]], "float32")
    got = to_numpy(ConformalInterval(-0.5)(two))
    np.testing.assert_allclose(got, [[0.5, 1.5], [0.2, 0.2]], atol=1e-6)


def test_conformal_interval_checks():
    with pytest.raises(ValueError, match="ConformalInterval: `margin`"):
        ConformalInterval(float("nan"))
    with pytest.raises(ValueError, match="`coverage` must be None"):
        ConformalInterval(0.1, coverage=90)
    with pytest.raises(ValueError) as info:
        ConformalInterval(0.1)(np.zeros((2, 1), "float32"))
    assert "last (quantile) axis of size >= 2" in str(info.value)


@pytest.mark.parametrize(
    "layer",
    [
        QuantileHead(LEVELS, name="q"),
        RepeatQuantiles(LEVELS, name="r"),
        ConformalInterval(0.25, coverage=0.8, name="c"),
    ],
    ids=["QuantileHead", "RepeatQuantiles", "ConformalInterval"],
)
def test_config_round_trip(layer):
    config = layer.get_config()
    clone = layer.__class__.from_config(config)
    assert clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(layer)
    )
    assert restored.get_config() == config


def test_quantile_model_loads_in_safe_mode_and_knows_its_quantiles(tmp_path):
    model = models.build(
        "lstm", (6, 2), head="seq_to_vector", horizon=3, units=4,
        quantiles=LEVELS,
    )  # fmt: skip
    x = np.random.default_rng(0).normal(size=(4, 6, 2)).astype("float32")
    path = tmp_path / "q.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert model_quantiles(loaded) == LEVELS
    np.testing.assert_allclose(
        to_numpy(loaded(x)), to_numpy(model(x)), rtol=0, atol=1e-5
    )


def test_model_quantiles_is_none_for_a_point_model():
    assert model_quantiles(models.build("dense", (6, 2), units=4)) is None


def test_persistence_quantiles_repeat_the_last_value():
    model = models.build(
        "persistence", (4, 2), head="seq_to_vector", horizon=2,
        quantiles=LEVELS,
    )  # fmt: skip
    x = np.arange(8.0, dtype="float32").reshape(1, 4, 2)
    got = to_numpy(model(x))
    assert got.shape == (1, 2, 3)
    np.testing.assert_array_equal(got, np.full((1, 2, 3), 6.0))
    assert model_quantiles(model) == LEVELS
    assert model.count_params() == 0


@pytest.mark.parametrize(
    "layer_class, kwargs, shape",
    [
        (QuantileHead, {"quantiles": [0.1, 0.5, 0.9]}, (2, 4, 3)),
        (RepeatQuantiles, {"quantiles": [0.1, 0.9]}, (2, 4)),
        (ConformalInterval, {"margin": 0.3, "coverage": 0.8}, (2, 4, 3)),
    ],
    ids=["QuantileHead", "RepeatQuantiles", "ConformalInterval"],
)
def test_quantile_layers_pass_the_harness(layer_class, kwargs, shape):
    # No weights: nothing to train, so no training step.
    layer_test.run_layer_test(layer_class, kwargs, shape, training=False)
