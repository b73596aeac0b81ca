"""AttentionBlock, AttentionPooling and PositionalEncoding.

Forward values and gradients against the pure-Python reference
(`keras_seqlab.reference.attention`), masks, causality, serialization,
training and bad inputs, on the current backend.
"""

import inspect
import math
import re

import keras
import numpy as np
import pytest
from keras import ops
from seqlab_testing import random_sequences
from seqlab_testing import to_numpy

from keras_seqlab import reference
from keras_seqlab.layers.attention.block import AttentionBlock
from keras_seqlab.layers.attention.pooling import AttentionPooling
from keras_seqlab.layers.attention.positional import PositionalEncoding
from keras_seqlab.reference import attention as ref_attention
from keras_seqlab.testing import families
from keras_seqlab.testing import reference_check as check

TOL = 1e-5
BATCH, STEPS, D_MODEL, HEADS, KEY_DIM, FF_DIM = 2, 5, 4, 2, 3, 6

MASKS = {
    None: None,
    "left": np.array([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]], bool),
    "right": np.array([[1, 1, 1, 1, 0], [1, 1, 1, 0, 0]], bool),
    "holes": np.array([[1, 0, 1, 0, 1], [0, 0, 0, 0, 0]], bool),
}


# Helpers --------------------------------------------------------------------


def _inputs(seed=0, features=D_MODEL):
    return random_sequences(BATCH, STEPS, features, seed=seed)


def _block(ff_dim=FF_DIM, causal=False, seed=0, **kwargs):
    layer = AttentionBlock(
        HEADS, KEY_DIM, ff_dim=ff_dim, causal=causal, name="block", **kwargs
    )
    layer.build((BATCH, STEPS, D_MODEL))
    check.randomize_weights(layer, np.random.default_rng(seed), scale=0.5)
    return layer


def _pooling(units=3, seed=0):
    layer = AttentionPooling(units, name="pool")
    layer.build((BATCH, STEPS, D_MODEL))
    check.randomize_weights(layer, np.random.default_rng(seed), scale=0.5)
    return layer


# The comparison with the reference is keras_seqlab.testing's; its cases are
# declared in keras_seqlab/layers/attention/block.py and pooling.py
# (REFERENCE_CASES) and run by tests/test_against_reference.py.
_keys = families.weight_keys


def _close(actual, expected, tol=TOL):
    np.testing.assert_allclose(
        np.asarray(actual, "float64"),
        np.asarray(expected, "float64"),
        atol=tol,
        rtol=0,
    )


# Reference ------------------------------------------------------------------


def test_reference_softmax_excludes_masked_entries():
    alpha = ref_attention.softmax([1.0, 5.0, 2.0], [True, False, True])
    e1, e2 = math.exp(1.0), math.exp(2.0)
    assert alpha[1] == 0.0
    assert math.isclose(alpha[0], e1 / (e1 + e2), rel_tol=1e-12)
    assert ref_attention.softmax([1e4, -1e4], None) == [1.0, 0.0]
    assert ref_attention.softmax([1.0, 2.0], [False, False]) == [0.0, 0.0]


def test_reference_softmax_gradient_matches_finite_differences():
    logits, mask, w = [0.3, -1.2, 0.8, 2.0], [True, True, False, True], 0.01

    def loss(s):
        alpha = ref_attention.softmax(s, mask)
        return sum(a * (k + 1.0) for k, a in enumerate(alpha))

    _, (grads,) = reference.value_and_grad(loss, logits)
    for k in range(len(logits)):
        up = logits[:k] + [logits[k] + w] + logits[k + 1 :]
        down = logits[:k] + [logits[k] - w] + logits[k + 1 :]
        numeric = (loss(up) - loss(down)) / (2 * w)
        assert math.isclose(grads[k], numeric, abs_tol=1e-4)


def test_reference_pooling_of_a_fully_masked_sequence_is_zero():
    params = {"kernel": [[0.5]], "bias": [0.1], "score_vector": [1.0]}
    context, alpha = ref_attention.additive_pooling(
        params, [[1.0], [2.0]], [False, False]
    )
    assert context == [0.0] and alpha == [0.0, 0.0]


def test_reference_positional_encoding_formula():
    pe = ref_attention.positional_encoding(3, 5)
    assert pe[0] == [0.0, 1.0, 0.0, 1.0, 0.0]
    assert math.isclose(pe[2][2], math.sin(2 / 10000 ** (2 / 5)))
    assert math.isclose(pe[2][3], math.cos(2 / 10000 ** (2 / 5)))
    assert math.isclose(pe[1][4], math.sin(1 / 10000 ** (4 / 5)))


# AttentionBlock against the reference ---------------------------------------


def test_block_weight_layout_is_keras_multi_head_attention():
    shapes = {
        "/".join(_keys(layer, w)): tuple(w.shape)
        for layer in [_block()]
        for w in layer.weights
    }
    assert shapes == {
        "attention/query/kernel": (D_MODEL, HEADS, KEY_DIM),
        "attention/query/bias": (HEADS, KEY_DIM),
        "attention/key/kernel": (D_MODEL, HEADS, KEY_DIM),
        "attention/key/bias": (HEADS, KEY_DIM),
        "attention/value/kernel": (D_MODEL, HEADS, KEY_DIM),
        "attention/value/bias": (HEADS, KEY_DIM),
        "attention/attention_output/kernel": (HEADS, KEY_DIM, D_MODEL),
        "attention/attention_output/bias": (D_MODEL,),
        "attention_norm/gamma": (D_MODEL,),
        "attention_norm/beta": (D_MODEL,),
        "ffn_hidden/kernel": (D_MODEL, FF_DIM),
        "ffn_hidden/bias": (FF_DIM,),
        "ffn_output/kernel": (FF_DIM, D_MODEL),
        "ffn_output/bias": (D_MODEL,),
        "ffn_norm/gamma": (D_MODEL,),
        "ffn_norm/beta": (D_MODEL,),
    }


def test_reference_cases_cover_masks_causality_and_gradients():
    blocks = [c for c in check.CASES if c.kind == "attention_block"]
    pooling = [c for c in check.CASES if c.kind == "attention_pooling"]
    assert {
        (c.layer_kwargs["ff_dim"], c.layer_kwargs["causal"]) for c in blocks
    } == {(ff, causal) for ff in (None, FF_DIM) for causal in (0, 1)}
    for case in blocks + pooling:
        if case.forward_setups:
            masks = {s.mask for s in case.forward_setups}
            assert masks == {None, "left", "right", "holes"}, case.name
    forward = [c for c in blocks if c.forward_setups]
    assert len(forward) == 4
    # Gradients at the layer's default epsilon, as in the original tests.
    assert all(
        "epsilon" not in c.layer_kwargs for c in blocks if c.gradient_setups
    )
    gradient = [s for c in blocks for s in c.gradient_setups]
    assert {s.mask for s in gradient} == {None, "left", "right"}
    assert any(c.layer_kwargs["causal"] and c.gradient_setups for c in blocks)
    masks = {s.mask for c in pooling for s in c.gradient_setups}
    assert masks == {None, "holes"}
    assert check.padding_mask(BATCH, STEPS, "holes").tolist() == (
        MASKS["holes"].tolist()
    )


# AttentionBlock: masks, causality, dropout ----------------------------------


@pytest.mark.parametrize("causal", [False, True])
def test_block_padded_steps_get_zero_weight_and_zero_output(causal):
    layer = _block(causal=causal)
    mask = MASKS["holes"]
    outputs, scores = layer(_inputs(), mask=mask, return_attention_scores=True)
    outputs, scores = to_numpy(outputs), to_numpy(scores)
    padded = ~mask
    assert np.all(scores.transpose(0, 2, 1, 3)[padded] == 0.0)  # queries
    assert np.all(scores.transpose(0, 3, 1, 2)[padded] == 0.0)  # keys
    assert np.all(outputs[padded] == 0.0)
    real_rows = scores.transpose(0, 2, 1, 3)[mask]
    np.testing.assert_allclose(real_rows.sum(-1), 1.0, atol=1e-6)
    assert np.all(np.isfinite(outputs))  # sample 1 is fully masked


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("side", ["left", "right", "holes"])
def test_block_ignores_what_padded_steps_hold(side, causal):
    layer, mask, x = _block(causal=causal), MASKS[side], _inputs()
    changed = x.copy()
    garbage = np.random.default_rng(5).uniform(-1e3, 1e3, x.shape)
    changed[~mask] = garbage[~mask]
    changed[0, ~mask[0]] = np.nan  # not even NaN leaks
    reference_output = to_numpy(layer(x, mask=mask))
    np.testing.assert_allclose(
        to_numpy(layer(changed, mask=mask)), reference_output, atol=1e-6
    )


@pytest.mark.parametrize("mask", [None, "right"])
def test_causal_block_does_not_look_ahead(mask):
    layer, mask, x = _block(causal=True), MASKS[mask], _inputs()
    real = np.ones(STEPS, bool) if mask is None else mask[0]
    rng = np.random.default_rng(3)
    outputs = to_numpy(layer(x, mask=mask))
    for t in range(STEPS - 1):
        changed = x.copy()
        changed[:, t + 1 :] = rng.uniform(-3, 3, changed[:, t + 1 :].shape)
        new = to_numpy(layer(changed, mask=mask))
        np.testing.assert_allclose(new[:, : t + 1], outputs[:, : t + 1], 1e-6)
        ahead = real[t + 1 :]  # the real steps ahead do change
        if ahead.any():
            assert not np.allclose(
                new[0, t + 1 :][ahead], outputs[0, t + 1 :][ahead]
            )


def test_non_causal_block_looks_ahead():
    layer, x = _block(causal=False), _inputs()
    changed = x.copy()
    changed[:, -1] += 1.0
    assert not np.allclose(
        to_numpy(layer(changed))[:, 0], to_numpy(layer(x))[:, 0]
    )


def test_block_dropout_only_in_training():
    layer = _block(dropout=0.5, seed=7)
    plain = _block(dropout=0.0)
    plain.set_weights(layer.get_weights())
    x, mask = _inputs(), MASKS["right"]
    inference = to_numpy(layer(x, mask=mask, training=False))
    np.testing.assert_allclose(
        inference, to_numpy(plain(x, mask=mask)), rtol=0, atol=1e-5
    )
    np.testing.assert_allclose(to_numpy(layer(x, mask=mask)), inference, 1e-6)
    training = to_numpy(layer(x, mask=mask, training=True))
    assert not np.allclose(training, inference)
    assert np.all(training[~mask] == 0.0)  # padding stays zero


def test_block_attention_dropout_alone():
    layer = _block(ff_dim=None, attention_dropout=0.5)
    assert layer.dropout == 0.0 and layer.attention_dropout == 0.5
    x = _inputs()
    _, scores = layer(x, return_attention_scores=True, training=True)
    # The returned scores are the weights before dropout: they sum to 1.
    np.testing.assert_allclose(to_numpy(scores).sum(-1), 1.0, atol=1e-6)
    assert not np.allclose(
        to_numpy(layer(x, training=True)), to_numpy(layer(x, training=False))
    )


def test_mask_propagates_through_the_block_in_a_model():
    """Masking → PositionalEncoding → AttentionBlock → AttentionPooling
    equals the same layers called with the mask by hand, for any length."""
    x = _inputs()
    x[1, 3:] = 0.0  # padded by keras.layers.Masking
    mask = np.array([[True] * STEPS, [True] * 3 + [False] * 2])
    encoding, block, pool = (
        PositionalEncoding(),
        _block(causal=True),
        _pooling(),
    )
    inputs = keras.Input((None, D_MODEL))
    masked = keras.layers.Masking()(inputs)
    model = keras.Model(inputs, pool(block(encoding(masked))))
    by_hand = to_numpy(pool(block(encoding(x), mask=mask), mask=mask))
    _close(to_numpy(model(x)), by_hand, 1e-6)
    _close(model.predict(x, verbose=0), by_hand, 1e-6)
    # More padding on the right changes nothing.
    longer = np.concatenate([x, np.zeros((BATCH, 3, D_MODEL), "float32")], 1)
    _close(model.predict(longer, verbose=0), by_hand, 1e-6)
    np.testing.assert_array_equal(
        to_numpy(block.compute_mask(x, ops.convert_to_tensor(mask))), mask
    )


# AttentionPooling ---------------------------------------------------------


def test_pooling_weights_are_named_and_shaped():
    layer = _pooling(units=3)
    assert [(w.name, tuple(w.shape)) for w in layer.weights] == [
        ("kernel", (D_MODEL, 3)),
        ("bias", (3,)),
        ("score_vector", (3,)),
    ]


def test_pooling_masked_steps_get_exactly_zero_weight():
    layer, mask, x = _pooling(), MASKS["holes"], _inputs()
    changed = x.copy()
    changed[~mask] = np.nan
    context, weights = layer(changed, mask=mask, return_attention_weights=True)
    context, weights = to_numpy(context), to_numpy(weights)
    assert np.all(weights[~mask] == 0.0)
    np.testing.assert_allclose(weights[0].sum(), 1.0, atol=1e-6)
    # Sample 1 is fully masked: zero weights and a zero context, no NaN.
    assert np.all(weights[1] == 0.0) and np.all(context[1] == 0.0)
    expected, _ = layer(x, mask=mask, return_attention_weights=True)
    np.testing.assert_allclose(context, to_numpy(expected), atol=1e-6)


# PositionalEncoding -------------------------------------------------------


def _encoding_formula(steps, depth, max_wavelength=10000.0):
    t = np.arange(steps)[:, None]
    i2 = (np.arange(depth) // 2 * 2)[None, :]
    angles = t / max_wavelength ** (i2 / depth)
    return np.where(np.arange(depth) % 2 == 0, np.sin(angles), np.cos(angles))


@pytest.mark.parametrize("depth", [4, 5])
def test_positional_encoding_values(depth):
    x = random_sequences(2, 9, depth)
    encoded = to_numpy(PositionalEncoding()(x))
    _close(encoded - x, np.broadcast_to(_encoding_formula(9, depth), x.shape))
    _close(encoded[0] - x[0], ref_attention.positional_encoding(9, depth))
    short = to_numpy(PositionalEncoding(max_wavelength=50)(x))
    _close(short - x, np.broadcast_to(_encoding_formula(9, depth, 50), x.shape))


def test_positional_encoding_with_unknown_length():
    inputs = keras.Input((None, 3))
    model = keras.Model(inputs, PositionalEncoding()(inputs))
    assert model.output_shape == (None, None, 3)
    for steps in (2, 11):
        x = random_sequences(2, steps, 3)
        expected = x + _encoding_formula(steps, 3)[None]
        _close(to_numpy(model(x)), expected)
        _close(model.predict(x, verbose=0), expected)


def test_positional_encoding_passes_the_mask_on():
    layer, mask = PositionalEncoding(), MASKS["left"]
    x = _inputs()
    mask_tensor = ops.convert_to_tensor(mask)
    np.testing.assert_array_equal(
        to_numpy(layer.compute_mask(x, mask_tensor)), mask
    )
    _close(to_numpy(layer(x, mask=mask)), to_numpy(layer(x)))


# Serialization, training --------------------------------------------------


def _model(**block_kwargs):
    inputs = keras.Input((STEPS, D_MODEL))
    h = PositionalEncoding()(inputs)
    h = AttentionBlock(HEADS, KEY_DIM, ff_dim=FF_DIM, **block_kwargs)(h)
    h = AttentionPooling(3)(h)
    return keras.Model(inputs, keras.layers.Dense(1)(h))


def test_model_round_trips_through_keras_file_in_safe_mode(tmp_path):
    model = _model(causal=True, dropout=0.1, seed=3)
    x = _inputs()
    path = tmp_path / "attention.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6
    )
    (block,) = [b for b in loaded.layers if isinstance(b, AttentionBlock)]
    assert block.causal and block.dropout == 0.1 and block.seed == 3


@pytest.mark.parametrize(
    "layer",
    [
        AttentionBlock(
            3,
            2,
            ff_dim=7,
            causal=True,
            dropout=0.1,
            attention_dropout=0.2,
            epsilon=1e-3,
            kernel_initializer="he_normal",
            bias_initializer="ones",
            kernel_regularizer="l2",
            bias_regularizer="l1",
            kernel_constraint="non_neg",
            bias_constraint="unit_norm",
            seed=11,
        ),
        AttentionPooling(
            5,
            kernel_initializer="he_normal",
            bias_initializer="ones",
            score_vector_initializer="zeros",
            kernel_regularizer="l2",
            bias_regularizer="l1",
            score_vector_regularizer="l2",
            kernel_constraint="non_neg",
            bias_constraint="unit_norm",
            score_vector_constraint="max_norm",
        ),
        PositionalEncoding(max_wavelength=100.0),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_get_config_holds_every_constructor_argument(layer):
    config = layer.get_config()
    arguments = set(inspect.signature(type(layer).__init__).parameters)
    assert arguments - {"self", "kwargs"} <= set(config)
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    serialized = keras.saving.serialize_keras_object(layer)
    assert (
        serialized["registered_name"] == f"keras_seqlab>{type(layer).__name__}"
    )


def test_functional_model_trains():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (16, STEPS, D_MODEL)).astype("float32")
    y = (x[:, :, 0].mean(axis=1, keepdims=True) > 0).astype("float32")
    model = _model(dropout=0.1)
    model.compile(keras.optimizers.Adam(0.02), "mse")
    losses = [model.train_on_batch(x, y) for _ in range(15)]
    assert losses[-1] < 0.9 * losses[0]


def test_mixed_precision_masked_rows_stay_finite():
    keras.config.set_dtype_policy("mixed_float16")
    block = AttentionBlock(HEADS, KEY_DIM, ff_dim=FF_DIM)
    pool = AttentionPooling(3)
    mask = MASKS["holes"]
    outputs, scores = block(_inputs(), mask=mask, return_attention_scores=True)
    context, weights = pool(outputs, mask=mask, return_attention_weights=True)
    for value in (outputs, scores, context, weights):
        assert np.all(np.isfinite(to_numpy(value).astype("float32")))
    assert np.all(to_numpy(weights)[~mask] == 0.0)


# Bad input ----------------------------------------------------------------

BAD_ARGUMENTS = [
    (
        (AttentionBlock, 0, 3),
        "AttentionBlock: `num_heads` must be a positive integer, got 0",
    ),
    (
        (AttentionBlock, 2.5, 3),
        "`num_heads` must be a positive integer, got 2.5",
    ),
    (
        (AttentionBlock, 2, -1),
        "AttentionBlock: `key_dim` must be a positive integer, got -1",
    ),
    (
        (AttentionBlock, 2, None),
        "`key_dim` must be a positive integer, got None",
    ),
    (
        (AttentionBlock, 2, 3, {"ff_dim": 0}),
        "AttentionBlock: `ff_dim` must be a positive integer, got 0",
    ),
    (
        (AttentionBlock, 2, 3, {"dropout": 1.0}),
        "AttentionBlock: `dropout` must be in [0, 1), got 1.0",
    ),
    (
        (AttentionBlock, 2, 3, {"dropout": -0.1}),
        "`dropout` must be in [0, 1), got -0.1",
    ),
    (
        (AttentionBlock, 2, 3, {"attention_dropout": 1.5}),
        "AttentionBlock: `attention_dropout` must be in [0, 1), got 1.5",
    ),
    (
        (AttentionBlock, 2, 3, {"epsilon": 0}),
        "AttentionBlock: `epsilon` must be a positive number, got 0",
    ),
    (
        (AttentionPooling, 0),
        "AttentionPooling: `units` must be a positive integer, got 0",
    ),
    ((AttentionPooling, -2), "`units` must be a positive integer, got -2"),
    (
        (PositionalEncoding, {"max_wavelength": 0}),
        "PositionalEncoding: `max_wavelength` must be a positive number, got 0",
    ),
]


def test_bad_arguments():
    for (cls, *args), message in BAD_ARGUMENTS:
        kwargs = args.pop() if args and isinstance(args[-1], dict) else {}
        with pytest.raises(ValueError, match=re.escape(message)):
            cls(*args, **kwargs)


LAYERS = {
    "AttentionBlock": lambda: AttentionBlock(HEADS, KEY_DIM, name="layer"),
    "AttentionPooling": lambda: AttentionPooling(3, name="layer"),
    "PositionalEncoding": lambda: PositionalEncoding(name="layer"),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_bad_inputs(name):
    owner = f"{name} 'layer': "
    with pytest.raises(
        ValueError,
        match=re.escape(
            owner + "expected inputs of rank 3 (batch, timesteps, "
            "features), got shape (2, 4) (rank 2)"
        ),
    ):
        LAYERS[name]()(np.zeros((2, 4), "float32"))
    with pytest.raises(
        ValueError,
        match=re.escape(
            owner + "the feature dimension (last axis) must be "
            "defined, got shape (None, 5, None)"
        ),
    ):
        LAYERS[name]()(keras.Input((5, None)))
    layer, x = LAYERS[name](), _inputs()
    wrong_mask = re.escape(
        owner + "expected a mask of shape (batch, 5) for "
        "inputs of shape (2, 5, 4), got shape (2, 4)"
    )
    with pytest.raises(ValueError, match=wrong_mask):
        layer(x, mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match=wrong_mask):  # symbolic
        layer(
            keras.Input((5, 4), batch_size=2),
            mask=keras.Input((4,), batch_size=2, dtype="bool"),
        )
    layer(x)
    with pytest.raises(
        ValueError,
        match=re.escape(
            owner + "expected inputs with 4 features (the size it was "
            "built with), got shape (2, 5, 3)"
        ),
    ):
        layer(_inputs(features=3))
