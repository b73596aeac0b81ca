"""Oracles that no one here wrote: Keras's own LSTM, GRU and LayerNorm."""

import keras
import numpy as np
import pytest
from seqlab_testing import random_sequences
from seqlab_testing import to_numpy

import keras_seqlab

TOL = 1e-5
SETUPS = [
    dict(),
    dict(return_sequences=True, go_backwards=True),
    dict(return_sequences=True, mask="right"),
    dict(mask="left", initial_state=True),
]


def _run_pair(ours, theirs, setup, n_states):
    x = random_sequences(batch=4, timesteps=7, features=3, seed=5)
    ours.build(x.shape)
    theirs.build(x.shape)
    kwargs = {}
    if setup.get("mask"):
        mask = np.ones((4, 7), dtype=bool)
        if setup["mask"] == "right":
            mask[1, 4:] = False
            mask[2, 2:] = False
        else:
            mask[1, :3] = False
            mask[3, :5] = False
        kwargs["mask"] = mask
    if setup.get("initial_state"):
        rng = np.random.default_rng(9)
        kwargs["initial_state"] = [
            rng.uniform(-1, 1, (4, ours.units)).astype("float32")
            for _ in range(n_states)
        ]
    return to_numpy(ours(x, **kwargs)), to_numpy(theirs(x, **kwargs))


def _layer_kwargs(setup):
    return {
        k: setup[k] for k in ("return_sequences", "go_backwards") if k in setup
    }


@pytest.mark.parametrize("setup", SETUPS)
def test_peephole_lstm_with_zero_peepholes_is_keras_lstm(setup):
    kw = _layer_kwargs(setup)
    ours = keras_seqlab.PeepholeLSTM(5, peephole_initializer="zeros", **kw)
    theirs = keras.layers.LSTM(5, **kw)
    ours.build((4, 7, 3))
    theirs.build((4, 7, 3))
    theirs.set_weights(ours.get_weights()[:3])
    a, b = _run_pair(ours, theirs, setup, 2)
    np.testing.assert_allclose(a, b, atol=TOL, rtol=0)


def test_peephole_lstm_nonzero_peepholes_differ_from_keras_lstm():
    ours = keras_seqlab.PeepholeLSTM(5, peephole_initializer="ones")
    theirs = keras.layers.LSTM(5)
    ours.build((4, 7, 3))
    theirs.build((4, 7, 3))
    theirs.set_weights(ours.get_weights()[:3])
    a, b = _run_pair(ours, theirs, {}, 2)
    assert np.abs(a - b).max() > 1e-3


@pytest.mark.parametrize("setup", SETUPS)
@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_variants_are_keras_gru(setup, reset_after):
    kw = _layer_kwargs(setup)
    variant = "reset_after" if reset_after else "reset_before"
    ours = keras_seqlab.GRUVariant(5, variant=variant, **kw)
    theirs = keras.layers.GRU(5, reset_after=reset_after, **kw)
    ours.build((4, 7, 3))
    theirs.build((4, 7, 3))
    # Keras's own initial weights, so its bias layout is used as is.
    rng = np.random.default_rng(3)
    weights = [rng.uniform(-0.8, 0.8, w.shape) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    a, b = _run_pair(ours, theirs, setup, 1)
    np.testing.assert_allclose(a, b, atol=TOL, rtol=0)


class _KerasLNSimpleRNNCell(keras.layers.Layer):
    """The textbook cell built from Keras's SimpleRNNCell + LayerNorm."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units
        self.simple = keras.layers.SimpleRNNCell(units, activation=None)
        self.norm = keras.layers.LayerNormalization()

    def build(self, input_shape):
        self.simple.build(input_shape)
        self.norm.build((input_shape[0], self.units))

    def call(self, inputs, states):
        out, _ = self.simple(inputs, states)
        h = keras.activations.tanh(self.norm(out))
        return h, [h]


@pytest.mark.parametrize("setup", SETUPS)
def test_ln_simple_rnn_is_keras_simple_rnn_plus_layer_norm(setup):
    kw = _layer_kwargs(setup)
    ours = keras_seqlab.LNSimpleRNN(5, **kw)
    theirs = keras.layers.RNN(_KerasLNSimpleRNNCell(5), **kw)
    ours.build((4, 7, 3))
    theirs.build((4, 7, 3))
    rng = np.random.default_rng(4)
    weights = [rng.uniform(-0.8, 0.8, w.shape) for w in ours.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)  # kernel, recurrent, bias, gamma, beta
    a, b = _run_pair(ours, theirs, setup, 1)
    if setup.get("mask") == "left" and keras.backend.backend() == "jax":
        # keras.layers.RNN on JAX repeats the initial state at leading
        # masked steps; ours gives zeros there, like TensorFlow and torch.
        pytest.skip("keras.layers.RNN on JAX differs at leading masked steps")
    np.testing.assert_allclose(a, b, atol=TOL, rtol=0)


class _Zero(keras.constraints.Constraint):
    """Keeps a weight at zero through training (the peepholes here)."""

    def __call__(self, w):
        return w * 0.0


def _trained(layer, x, y):
    keras.utils.set_random_seed(4)
    model = keras.Sequential([keras.Input(x.shape[1:]), layer])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    return history.history["loss"], model.get_weights()


TRAINING_PAIRS = {
    "peephole_lstm-zero_peepholes": (
        lambda: keras_seqlab.PeepholeLSTM(
            4, peephole_initializer="zeros", peephole_constraint=_Zero()
        ),
        lambda: keras.layers.LSTM(4),
        3,
    ),
    "gru_variant-reset_after": (
        lambda: keras_seqlab.GRUVariant(4, variant="reset_after"),
        lambda: keras.layers.GRU(4),
        3,
    ),
    "gru_variant-reset_before": (
        lambda: keras_seqlab.GRUVariant(4, variant="reset_before"),
        lambda: keras.layers.GRU(4, reset_after=False),
        3,
    ),
}


@pytest.mark.parametrize("pair", TRAINING_PAIRS, ids=list(TRAINING_PAIRS))
def test_training_follows_the_keras_oracle(pair):
    """`model.fit` from the same weights: the same losses, the same weights.

    Three epochs of Adam on a regression target; a layer with swapped
    gates (or a wrong gradient) leaves the oracle's trajectory at once.
    """
    make_ours, make_theirs, n_keras_weights = TRAINING_PAIRS[pair]
    rng = np.random.default_rng(2)
    x = rng.normal(size=(32, 6, 3)).astype("float32")
    y = rng.normal(size=(32, 4)).astype("float32")
    ours, theirs = make_ours(), make_theirs()
    ours.build(x.shape)
    theirs.build(x.shape)
    theirs.set_weights(ours.get_weights()[:n_keras_weights])
    our_loss, our_weights = _trained(ours, x, y)
    their_loss, their_weights = _trained(theirs, x, y)
    np.testing.assert_allclose(our_loss, their_loss, rtol=TOL)
    for got, want in zip(our_weights, their_weights):
        np.testing.assert_allclose(got, want, atol=TOL, rtol=0)
