"""`keras_seqlab.stream`: stepping reproduces the full-sequence outputs.

Every comparison is against the model run on the whole sequence (or on
each prefix, for a vector output), float32, within 1e-5, with random
weights, batch 3, and masks (left and right padding, a hole) where the
model has a Masking layer.
"""

import keras
import numpy as np
import pytest
from keras import layers
from keras import ops
from seqlab_testing import BACKEND
from seqlab_testing import to_numpy

import keras_seqlab as ks
from keras_seqlab.models import names
from keras_seqlab.models import supported_heads
from keras_seqlab.streaming import stream

TOL = 1e-5
T, F = 9, 3


def _sequences(seed=0, masked=False):
    x = np.random.default_rng(seed).normal(size=(3, T, F)).astype("float32")
    if masked:
        x[1, :3] = 0.0  # left padding
        x[2, -2:] = 0.0  # right padding
        x[0, 4] = 0.0  # a hole
    return x


PREFIXES = (0, 4, T - 1)  # each prefix length costs JAX its compilations


def _prefix_outputs(model, x):
    """The model's output for the prefixes x[:, :t+1], t in PREFIXES."""
    return np.stack([to_numpy(model(x[:, : t + 1])) for t in PREFIXES], 1)


def _streamed(model, x, max_length=T, **kwargs):
    y, _ = stream(model, max_length=max_length, **kwargs).run(x)
    return to_numpy(y)


def _causal_builders():
    return [n for n in names() if "seq_to_seq" in supported_heads(n)]


@pytest.mark.parametrize("name", _causal_builders())
def test_every_causal_builder_steps_to_its_full_sequence_outputs(name):
    options = {"units": 6}
    if name == "min_gru" or name == "min_lstm":
        options["mode"] = "parallel"  # trained in parallel, stepped
    model = ks.build(name, (T, F), head="seq_to_seq", horizon=2, **options)
    x = _sequences()
    full = to_numpy(model(x))
    np.testing.assert_allclose(
        _streamed(model, x, max_length=T), full, atol=TOL, rtol=0
    )
    if name in ("wavenet", "attention"):  # eager, and a growing cache
        np.testing.assert_allclose(
            _streamed(model, x, jit=False), full, atol=TOL, rtol=0
        )


@pytest.mark.parametrize(
    "name, head, options",
    [
        ("gru", "many_to_one", {}),
        ("lstm", "seq_to_vector", {"depth": 2}),
        ("gru_variant", "seq_to_vector", {"variant": "mgu"}),
        ("min_lstm", "many_to_one", {"mode": "parallel"}),
        ("wavenet", "seq_to_vector", {}),
        ("attention", "many_to_one", {"causal": True}),
    ],
)
def test_vector_heads_step_to_each_prefix_output(name, head, options):
    horizon = 1 if head == "many_to_one" else 3
    model = ks.build(
        name, (None, F), head=head, horizon=horizon, units=6, **options
    )
    x = _sequences(seed=1)
    np.testing.assert_allclose(
        _streamed(model, x)[:, PREFIXES],
        _prefix_outputs(model, x),
        atol=TOL,
        rtol=0,
    )


def test_quantile_and_multi_target_heads_step():
    model = ks.build(
        "gru",
        (T, F),
        head="seq_to_seq",
        horizon=2,
        n_targets=2,
        units=5,
        quantiles=(0.1, 0.5, 0.9),
    )
    x = _sequences(seed=2)
    np.testing.assert_allclose(
        _streamed(model, x), to_numpy(model(x)), atol=TOL, rtol=0
    )


LAYER_FAMILIES = {
    "keras_lstm": lambda h: layers.LSTM(5, return_sequences=True)(h),
    "keras_gru_last": lambda h: layers.GRU(5)(h),
    "peephole_lstm": lambda h: ks.PeepholeLSTM(5, return_sequences=True)(h),
    "gru_variant_mgu": lambda h: ks.GRUVariant(
        5, variant="mgu", return_sequences=True
    )(h),
    "ln_simple_rnn": lambda h: ks.LNSimpleRNN(5, return_sequences=True)(h),
    "min_gru_parallel": lambda h: ks.MinGRU(
        5, mode="parallel", return_sequences=True
    )(h),
    "min_lstm_last": lambda h: ks.MinLSTM(5, mode="parallel")(h),
    "wavenet_gated": lambda h: ks.WaveNet(5, dilations=(1, 2, 4))(h),
    "wavenet_last_k3": lambda h: ks.WaveNet(
        5, dilations=(1, 2), kernel_size=3, return_sequences=False
    )(h),
    "wavenet_plain": lambda h: ks.WaveNet(5, dilations=(1, 2), gated=False)(h),
    "wavenet_block": lambda h: layers.Add()(ks.WaveNetBlock(4, 3, 2)(h)),
    "attention_positions": lambda h: ks.AttentionBlock(
        2, 3, ff_dim=6, causal=True
    )(ks.PositionalEncoding()(h)),
    "attention_pooling": lambda h: ks.AttentionPooling(4)(
        layers.LSTM(4, return_sequences=True)(h)
    ),
    "causal_conv": lambda h: layers.LSTM(4, return_sequences=True)(
        layers.Conv1D(4, 3, padding="causal", dilation_rate=2)(h)
    ),
    "pointwise": lambda h: layers.LayerNormalization()(
        layers.TimeDistributed(layers.Dense(4))(layers.Dropout(0.5)(h))
    ),
}


def _masked_model(family):
    inputs = keras.Input((None, F))
    h = layers.Masking(0.0)(inputs)
    return keras.Model(inputs, layers.Dense(2)(LAYER_FAMILIES[family](h)))


@pytest.mark.filterwarnings("ignore:.*does not support masking")
@pytest.mark.filterwarnings("ignore:You are using a softmax")
@pytest.mark.parametrize("family", sorted(LAYER_FAMILIES))
def test_every_layer_family_steps_with_masks(family):
    model = _masked_model(family)
    x = _sequences(seed=3, masked=True)
    expected, got = to_numpy(model(x)), _streamed(model, x)
    if expected.ndim == 2:  # a reduced output: the output of each prefix
        expected, got = _prefix_outputs(model, x), got[:, PREFIXES]
    np.testing.assert_allclose(got, expected, atol=TOL, rtol=0)


def test_step_mask_argument_is_the_models_mask():
    inputs = keras.Input((None, F))
    h = ks.PeepholeLSTM(4, return_sequences=True)(inputs)
    model = keras.Model(inputs, layers.Dense(1)(h))
    x = _sequences(seed=4)
    mask = np.ones((3, T), bool)
    mask[1, :4] = False
    mask[0, 5] = False
    expected = to_numpy(model(x, mask=ops.convert_to_tensor(mask)))
    y, _ = stream(model).run(x, mask=mask)
    np.testing.assert_allclose(to_numpy(y), expected, atol=TOL, rtol=0)


@pytest.mark.slow
def test_a_model_loaded_from_keras_file_in_safe_mode_steps(tmp_path):
    model = ks.build("wavenet", (T, F), head="seq_to_seq", units=4)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    x = _sequences(seed=5)
    np.testing.assert_allclose(
        _streamed(loaded, x), to_numpy(model(x)), atol=TOL, rtol=0
    )


@pytest.mark.slow
def test_step_model_saves_and_steps_with_explicit_state(tmp_path):
    model = ks.build("attention", (None, F), head="seq_to_seq", units=4)
    s = stream(model, max_length=T)
    path = tmp_path / "step.keras"
    s.step_model().save(path)
    step = keras.saving.load_model(path, safe_mode=True)
    x = _sequences(seed=6)[:, :5]
    state = s.initial_state(3)
    outputs = []
    for t in range(5):
        y, *state = step([ops.convert_to_tensor(x[:, t]), *state])
        outputs.append(to_numpy(y))
    np.testing.assert_allclose(
        np.stack(outputs, 1), to_numpy(model(x)), atol=TOL, rtol=0
    )


def _compiled(function, variables):
    if BACKEND == "jax":
        import jax

        return jax.jit(function)
    if BACKEND == "tensorflow":
        import tensorflow as tf

        return tf.function(function)
    import torch

    traced = {}

    # torch.jit.trace records the torch operations of one call; the
    # weights, read without their gradient, enter the trace as constants.
    mapping = [(v, v.value.detach()) for v in variables]

    def pure(x_t, state):
        with keras.StatelessScope(state_mapping=mapping):
            return function(x_t, state)

    def step(x_t, state):
        with torch.no_grad():
            if "f" not in traced:
                traced["f"] = torch.jit.trace(
                    pure, (x_t, state), strict=False, check_trace=False
                )
            return traced["f"](x_t, state)

    return step


def test_step_is_a_pure_function_that_compiles():
    model = ks.build("wavenet", (T, F), head="seq_to_seq", units=4)
    s = stream(model)
    step = _compiled(
        lambda x_t, state: s.pure_step(x_t, state), model.variables
    )
    x = _sequences(seed=7)
    state, outputs = s.initial_state(3), []
    for t in range(T):
        y, state = step(ops.convert_to_tensor(x[:, t]), state)
        state = list(state)
        outputs.append(to_numpy(y))
    np.testing.assert_allclose(
        np.stack(outputs, 1), to_numpy(model(x)), atol=TOL, rtol=0
    )


def test_stateful_convenience_matches_explicit_state():
    model = ks.build("gru", (None, F), head="seq_to_seq", units=4)
    s = stream(model)
    x = _sequences(seed=8)
    first = [to_numpy(s(x[:, t])) for t in range(4)]
    s.reset(3)
    again = [to_numpy(s(x[:, t])) for t in range(4)]
    expected = to_numpy(model(x[:, :4]))
    np.testing.assert_allclose(np.stack(first, 1), expected, atol=TOL, rtol=0)
    np.testing.assert_allclose(np.stack(again, 1), expected, atol=TOL, rtol=0)


def test_attention_cache_max_length_drops_the_oldest_steps():
    inputs = keras.Input((None, F))
    y = ks.AttentionBlock(2, 3, ff_dim=4, causal=True)(inputs)
    model = keras.Model(inputs, y)
    x = _sequences(seed=9)
    got = _streamed(model, x, max_length=4)
    assert stream(model, max_length=4).layer.fixed_shapes
    for t in (2, 6, T - 1):
        start = max(0, t - 3)
        window = to_numpy(model(x[:, start : t + 1]))[:, -1]
        np.testing.assert_allclose(got[:, t], window, atol=TOL, rtol=0)


@pytest.mark.parametrize(
    "make, culprit",
    [
        (lambda: ks.build("bidirectional", (T, F)), "bidirectional_0"),
        (lambda: ks.build("attention", (T, F)), "attention_0"),
        (lambda: ks.build("dense", (T, F)), "flatten"),
        (
            lambda: keras.Sequential(
                [
                    keras.Input((T, F)),
                    layers.Conv1D(2, 3, padding="same", name="same_conv"),
                ]
            ),
            "same_conv",
        ),
        (
            lambda: keras.Sequential(
                [
                    keras.Input((T, F)),
                    layers.LSTM(2, go_backwards=True, name="backwards"),
                ]
            ),
            "backwards",
        ),
    ],
)
def test_non_causal_models_are_refused_naming_the_layer(make, culprit):
    with pytest.raises(ValueError, match=f"layer '{culprit}'"):
        stream(make())


def test_bad_arguments_are_refused():
    model = ks.build("gru", (T, F), head="seq_to_seq", units=4)
    with pytest.raises(TypeError, match="stream: expected a keras.Model"):
        stream(layers.GRU(3))
    with pytest.raises(ValueError, match="max_length"):
        stream(model, max_length=0)
    s = stream(model)
    state = s.initial_state(2)
    with pytest.raises(ValueError, match=r"shape \(batch, 3\), got \(2, 4\)"):
        s.step(np.zeros((2, 4)), state)
    with pytest.raises(ValueError, match="the state holds"):
        s.step(np.zeros((2, 3)), state[:-1])
    with pytest.raises(ValueError, match="batch_size"):
        s.initial_state(0)


def test_compiled_step_reads_weights_changed_since():
    # The compiled step holds the weights as constants: after training
    # (here: new weights set in place) `run` and `reset` compile again.
    model = ks.build("wavenet", (T, F), head="seq_to_seq", units=4)
    s = stream(model)
    x = _sequences(seed=11)
    before, _ = s.run(x)
    rng = np.random.default_rng(12)
    model.set_weights(
        [
            (0.3 * rng.standard_normal(w.shape)).astype("float32")
            for w in model.get_weights()
        ]
    )
    after, _ = s.run(x)
    np.testing.assert_allclose(
        to_numpy(after), to_numpy(model(x)), atol=TOL, rtol=0
    )
    assert np.abs(to_numpy(after) - to_numpy(before)).max() > 1e-2
    s.reset(3)
    first = to_numpy(s(x[:, 0]))
    np.testing.assert_allclose(
        first, to_numpy(model(x))[:, 0], atol=TOL, rtol=0
    )
    # `step` (compiled) reads them at `initial_state`; `pure_step` always.
    model.set_weights([0.5 * w for w in model.get_weights()])
    stale, _ = s.step(x[:, 0], s.state)
    fresh, _ = s.step(x[:, 0], s.initial_state(3))
    pure, _ = s.pure_step(x[:, 0], s.initial_state(3))
    expected = to_numpy(model(x))[:, 0]
    np.testing.assert_allclose(to_numpy(fresh), expected, atol=TOL, rtol=0)
    np.testing.assert_allclose(to_numpy(pure), expected, atol=TOL, rtol=0)
    assert np.abs(to_numpy(stale) - expected).max() > 1e-3


@pytest.mark.parametrize("cell", ["gru", "peephole_lstm"])
def test_token_classifiers_stream(cell):
    """`build_classifier` (Embedding with mask_zero, two recurrent layers,
    a Dense head) steps token by token: each step's output is the model's
    for the tokens so far, padding (token 0) skipped."""
    model = ks.build_classifier(20, 3, cell=cell, units=4, depth=2, embed_dim=5)
    tokens = np.random.default_rng(0).integers(1, 20, size=(3, T))
    tokens[1, :3] = 0  # left padding
    tokens[0, 4] = 0  # a hole
    y, _ = stream(model).run(tokens)
    expected = _prefix_outputs(model, tokens)
    np.testing.assert_allclose(to_numpy(y)[:, PREFIXES], expected, atol=TOL)
    s = stream(model)
    y_t, state = s.step(tokens[:, 0], s.initial_state(3))
    assert tuple(y_t.shape) == (3, 3)
    with pytest.raises(ValueError, match=r"shape \(batch\), got \(3, 1\)"):
        s.step(tokens[:, :1], state)


def test_prelu_streams_when_shared_over_time():
    shared = keras.Sequential(
        [keras.Input((T, F)), layers.Dense(4), layers.PReLU(shared_axes=[1])]
    )
    shared.layers[-1].alpha.assign(np.full((1, 4), 0.3, "float32"))
    x = _sequences()
    np.testing.assert_allclose(
        _streamed(shared, x), to_numpy(shared(x)), atol=TOL
    )
    per_step = keras.Sequential([keras.Input((T, F)), layers.PReLU(name="p")])
    with pytest.raises(ValueError, match="'p'.*shared_axes=\\[1\\]"):
        stream(per_step)
