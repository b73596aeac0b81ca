"""Migration parity with TensorFlow Addons and Keras 2 (issue 15).

The configs below are literal dicts of what `get_config` wrote in Keras 2
(tf-keras) and TensorFlow Addons 0.23. They are derived from the sources,
not observed (Addons 0.23 no longer imports next to Keras 3):

- tf-keras dd0a7237: `tf_keras/engine/base_layer.py` `Layer.get_config`
  (name, trainable, dtype; `implementation` among the accepted kwargs),
  `layers/rnn/lstm.py` `LSTMCell.get_config`, `layers/rnn/gru.py`
  `GRU.get_config`, `layers/rnn/base_rnn.py` `RNN.get_config`
  (`time_major`), `saving/serialization_lib.py` (initializers as
  `{"module": "keras.initializers", ...}` since Keras 2.13).
- tensorflow/addons d208d752: `rnn/peephole_lstm_cell.py` (LSTMCell's
  config, nothing added), `rnn/layer_norm_simple_rnn_cell.py` lines
  254-267 (SimpleRNNCell's config without `name`, plus
  `layernorm_epsilon`, `gamma_initializer`, `gamma_regularizer`,
  `gamma_constraint`).

`tfa.rnn.LayerNormLSTMCell`, `NASCell` and `ESNCell` are tested in
tests/test_addons_cells.py.
"""

import keras
import numpy as np
import pytest
from seqlab_testing import random_sequences
from seqlab_testing import to_numpy

import keras_seqlab

TOL = 1e-6


def _init(class_name, legacy=False, **config):
    """An initializer as Keras 2.13+ (or, legacy, Keras <= 2.12) wrote it."""
    if legacy:
        return {"class_name": class_name, "config": config}
    return {
        "module": "keras.initializers",
        "class_name": class_name,
        "config": config,
        "registered_name": None,
    }


def addons_peephole_config(legacy=False, **changes):
    """`tfa.rnn.PeepholeLSTMCell(4).get_config()`: tf.keras LSTMCell's."""
    config = {
        "name": "peephole_lstm_cell",
        "trainable": True,
        "dtype": "float32",
        "units": 4,
        "activation": "tanh",
        "recurrent_activation": "sigmoid",
        "use_bias": True,
        "kernel_initializer": _init("GlorotUniform", legacy, seed=None),
        "recurrent_initializer": _init(
            "Orthogonal", legacy, gain=1.0, seed=None
        ),
        "bias_initializer": _init("Zeros", legacy),
        "unit_forget_bias": True,
        "kernel_regularizer": None,
        "recurrent_regularizer": None,
        "bias_regularizer": None,
        "kernel_constraint": None,
        "recurrent_constraint": None,
        "bias_constraint": None,
        "dropout": 0.0,
        "recurrent_dropout": 0.0,
        "implementation": 2,
    }
    return {**config, **changes}


def addons_ln_simple_rnn_config(legacy=False, **changes):
    """`tfa.rnn.LayerNormSimpleRNNCell(4).get_config()`: no `name`."""
    config = {
        "trainable": True,
        "dtype": "float32",
        "units": 4,
        "activation": "tanh",
        "use_bias": True,
        "kernel_initializer": _init("GlorotUniform", legacy, seed=None),
        "recurrent_initializer": _init(
            "Orthogonal", legacy, gain=1.0, seed=None
        ),
        "bias_initializer": _init("Zeros", legacy),
        "kernel_regularizer": None,
        "recurrent_regularizer": None,
        "bias_regularizer": None,
        "kernel_constraint": None,
        "recurrent_constraint": None,
        "bias_constraint": None,
        "dropout": 0.0,
        "recurrent_dropout": 0.0,
        "layernorm_epsilon": 1e-05,
        "gamma_initializer": _init("Ones", legacy),
        "gamma_regularizer": None,
        "gamma_constraint": None,
    }
    return {**config, **changes}


def keras2_gru_config(reset_after):
    """`tf.keras.layers.GRU(4, return_sequences=True).get_config()`."""
    return {
        "name": "gru",
        "trainable": True,
        "dtype": "float32",
        "return_sequences": True,
        "return_state": False,
        "go_backwards": False,
        "stateful": False,
        "unroll": False,
        "time_major": False,
        "units": 4,
        "activation": "tanh",
        "recurrent_activation": "sigmoid",
        "use_bias": True,
        "kernel_initializer": _init("GlorotUniform", seed=None),
        "recurrent_initializer": _init("Orthogonal", gain=1.0, seed=None),
        "bias_initializer": _init("Zeros"),
        "kernel_regularizer": None,
        "recurrent_regularizer": None,
        "bias_regularizer": None,
        "activity_regularizer": None,
        "kernel_constraint": None,
        "recurrent_constraint": None,
        "bias_constraint": None,
        "dropout": 0.0,
        "recurrent_dropout": 0.0,
        "implementation": 2,
        "reset_after": reset_after,
    }


def _addons_golden_inputs():
    # tf.one_hot([1, 2, 3, 4], 4): the last index is out of range, a zero row.
    x = np.zeros((4, 4), "float32")
    x[0, 1] = x[1, 2] = x[2, 3] = 1.0
    return x


def _one_step(cell, x):
    return to_numpy(cell(x, cell.get_initial_state(batch_size=x.shape[0]))[0])


def _copy_weights(source, target):
    target.set_weights([to_numpy(w) for w in source.weights])


# -- the Addons golden test ---------------------------------------------------


@pytest.mark.parametrize("implementation", [1, 2])
def test_addons_peephole_golden_values(implementation):
    # tensorflow_addons/rnn/tests/peephole_lstm_cell_test.py lines 23-61:
    # kernel_initializer="ones", no peephole_initializer; the output gate's
    # peephole (p_o = 1, not a random draw) gives 0.417551.
    cell = keras_seqlab.PeepholeLSTMCell(
        5,
        kernel_initializer="ones",
        recurrent_activation="sigmoid",
        implementation=implementation,
    )
    cell.build((4, 4))
    for vector in cell.weights[3:]:
        np.testing.assert_array_equal(to_numpy(vector), np.ones(5))
    expected = np.asarray(
        [[0.417551] * 5, [0.417551] * 5, [0.417551] * 5, [0.0] * 5],
        dtype=np.float32,
    )
    output = _one_step(cell, _addons_golden_inputs())
    np.testing.assert_allclose(output, expected, rtol=1e-6, atol=1e-6)


# -- peephole_initializer ------------------------------------------------------


def test_peephole_initializer_defaults_to_the_kernel_initializer():
    cell = keras_seqlab.PeepholeLSTMCell(3, kernel_initializer="zeros")
    assert cell.get_config()["peephole_initializer"] is None
    cell.build((2, 5))
    for vector in cell.weights[3:]:
        np.testing.assert_array_equal(to_numpy(vector), np.zeros(3))
    explicit = keras_seqlab.PeepholeLSTMCell(
        3, kernel_initializer="zeros", peephole_initializer="ones"
    )
    explicit.build((2, 5))
    for vector in explicit.weights[3:]:
        np.testing.assert_array_equal(to_numpy(vector), np.ones(3))


def test_old_config_with_explicit_peephole_initializer_loads_identically():
    # What PeepholeLSTMCell.get_config wrote before `None` was the default.
    old = keras_seqlab.PeepholeLSTMCell(3, kernel_initializer="zeros")
    config = old.get_config()
    config["peephole_initializer"] = {
        "module": "keras.initializers",
        "class_name": "Constant",
        "config": {"value": 0.25},
        "registered_name": None,
    }
    cell = keras_seqlab.PeepholeLSTMCell.from_config(config)
    assert cell.get_config() == config
    cell.build((2, 5))
    for vector in cell.weights[3:]:
        np.testing.assert_array_equal(to_numpy(vector), np.full(3, 0.25))


# -- implementation ------------------------------------------------------------

CLASSES = [
    keras_seqlab.PeepholeLSTMCell,
    keras_seqlab.PeepholeLSTM,
    keras_seqlab.GRUVariantCell,
    keras_seqlab.GRUVariant,
    keras_seqlab.LNSimpleRNNCell,
    keras_seqlab.LNSimpleRNN,
    keras_seqlab.LayerNormSimpleRNNCell,
]


def test_keras_leaves_implementation_out_of_its_config():
    # The decision below follows Keras 3: accepted, ignored, not saved.
    for cls in (keras.layers.LSTMCell, keras.layers.GRU):
        assert "implementation" not in cls(3, implementation=1).get_config()


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("implementation", [1, 2])
def test_implementation_is_accepted_and_ignored(cls, implementation):
    plain = cls(3, seed=5, name="x")
    other = cls(3, seed=5, name="x", implementation=implementation)
    assert other.get_config() == plain.get_config()
    assert "implementation" not in other.get_config()
    x = random_sequences(features=2)
    if cls.__name__.endswith("Cell"):
        plain, other = keras.layers.RNN(plain), keras.layers.RNN(other)
    plain.build(x.shape)
    other.build(x.shape)
    _copy_weights(plain, other)
    np.testing.assert_array_equal(to_numpy(other(x)), to_numpy(plain(x)))


def test_time_major_true_is_refused():
    with pytest.raises(ValueError, match="GRUVariantCell: expected time_maj"):
        keras_seqlab.GRUVariant(4, time_major=True)


# -- Keras GRU configs -> GRUVariant ---------------------------------------


@pytest.mark.parametrize("reset_after", [True, False])
def test_keras2_gru_config_builds_the_matching_gru_variant(reset_after):
    config = keras2_gru_config(reset_after)
    layer = keras_seqlab.GRUVariant.from_config(dict(config))
    expected = "reset_after" if reset_after else "reset_before"
    assert layer.variant == expected
    assert layer.get_config()["variant"] == expected
    assert "reset_after" not in layer.get_config()
    x = random_sequences(features=2)
    gru = keras.layers.GRU(4, reset_after=reset_after, return_sequences=True)
    gru.build(x.shape)
    layer.build(x.shape)
    layer.set_weights(gru.get_weights())
    assert to_numpy(layer(x)).shape == (3, 6, 4)
    np.testing.assert_allclose(
        to_numpy(layer(x)), to_numpy(gru(x)), atol=1e-5, rtol=0
    )


@pytest.mark.parametrize("reset_after", [True, False])
def test_keras3_gru_cell_config_builds_a_gru_variant_cell(reset_after):
    gru_cell = keras.layers.GRUCell(4, reset_after=reset_after)
    config = {**gru_cell.get_config(), "implementation": 1}
    cell = keras_seqlab.GRUVariantCell.from_config(config)
    assert cell.variant == ("reset_after" if reset_after else "reset_before")
    x = random_sequences(features=2)[:, 0]
    gru_cell.build(x.shape)
    cell.build(x.shape)
    _copy_weights(gru_cell, cell)
    h = np.full((3, 4), 0.3, "float32")
    want = to_numpy(gru_cell(x, [h])[0])
    np.testing.assert_allclose(to_numpy(cell(x, [h])[0]), want, atol=1e-5)


def test_reset_after_against_another_variant_is_refused():
    with pytest.raises(ValueError) as info:
        keras_seqlab.GRUVariantCell(4, variant="mgu", reset_after=False)
    assert (
        "GRUVariantCell: reset_after=False means variant 'reset_before', "
        "got variant 'mgu' as well." in str(info.value)
    )
    cell = keras_seqlab.GRUVariantCell(4, variant="reset_before", reset_after=0)
    assert cell.variant == "reset_before"


# -- Addons cell configs -> keras_seqlab cells ---------------------------------


@pytest.mark.parametrize("legacy", [False, True], ids=["k2.13+", "k2.12-"])
def test_addons_peephole_config_builds_the_cell(legacy):
    config = addons_peephole_config(
        legacy, units=5, kernel_initializer=_init("Ones", legacy)
    )
    cell = keras_seqlab.PeepholeLSTMCell.from_config(config)
    cell.build((4, 4))
    # Addons' own golden numbers, from a config that names no peephole
    # initializer.
    output = _one_step(cell, _addons_golden_inputs())
    np.testing.assert_allclose(output[:3], 0.417551, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(output[3], np.zeros(5))
    direct = keras_seqlab.PeepholeLSTMCell(5, recurrent_activation="sigmoid")
    direct.build((4, 4))
    _copy_weights(cell, direct)
    x = random_sequences(batch=4, features=4)[:, 0]
    np.testing.assert_allclose(
        _one_step(cell, x), _one_step(direct, x), atol=TOL, rtol=0
    )


def test_addons_peephole_config_keeps_its_hyperparameters():
    config = addons_peephole_config(
        activation="relu", unit_forget_bias=False, use_bias=False, dropout=0.5
    )
    cell = keras_seqlab.PeepholeLSTMCell.from_config(config)
    assert (cell.units, cell.use_bias, cell.unit_forget_bias) == (
        4,
        False,
        False,
    )
    assert cell.dropout == 0.5
    assert keras.activations.serialize(cell.activation) == "relu"
    direct = keras_seqlab.PeepholeLSTMCell(
        4, activation="relu", use_bias=False, unit_forget_bias=False
    )
    x = random_sequences(features=2)
    layers = [keras.layers.RNN(c) for c in (cell, direct)]
    for layer in layers:
        layer.build(x.shape)
    _copy_weights(*layers)
    np.testing.assert_allclose(
        to_numpy(layers[0](x)), to_numpy(layers[1](x)), atol=TOL, rtol=0
    )


@pytest.mark.parametrize(
    "name, config",
    [
        ("PeepholeLSTMCell", addons_peephole_config()),
        ("LayerNormSimpleRNNCell", addons_ln_simple_rnn_config()),
    ],
    ids=["peephole", "ln_simple_rnn"],
)
def test_addons_registered_names_map_to_ours(name, config):
    module = (
        "peephole_lstm_cell" if name[0] == "P" else "layer_norm_simple_rnn_cell"
    )
    serialized = {
        "module": f"tensorflow_addons.rnn.{module}",
        "class_name": name,
        "config": config,
        "registered_name": f"Addons>{name}",
    }
    cls = getattr(keras_seqlab, name)
    cell = keras.saving.deserialize_keras_object(
        serialized, custom_objects={f"Addons>{name}": cls}
    )
    assert type(cell) is cls and cell.units == 4


def _addons_ln_simple_rnn(x, h, kernel, recurrent, bias, gamma, epsilon):
    """Addons' equation: y = tanh(gamma * norm(x W + h U) + b), numpy."""
    a = x @ kernel + h @ recurrent
    mean = a.mean(-1, keepdims=True)
    var = ((a - mean) ** 2).mean(-1, keepdims=True)
    return np.tanh(gamma * (a - mean) / np.sqrt(var + epsilon) + bias)


@pytest.mark.parametrize("legacy", [False, True], ids=["k2.13+", "k2.12-"])
def test_addons_ln_simple_rnn_config_builds_the_cell(legacy):
    config = addons_ln_simple_rnn_config(
        legacy,
        layernorm_epsilon=0.5,
        gamma_initializer=_init("Constant", legacy, value=1.5),
        bias_initializer=_init("Constant", legacy, value=0.2),
    )
    cell = keras_seqlab.LayerNormSimpleRNNCell.from_config(config)
    assert cell.form == "addons" and cell.epsilon == 0.5
    direct = keras_seqlab.LayerNormSimpleRNNCell(4, layernorm_epsilon=0.5)
    x = random_sequences(features=2)[:, 0]
    h = random_sequences(features=4, seed=1)[:, 0]
    cell.build(x.shape)
    direct.build(x.shape)
    kernel, recurrent, bias, gamma = (to_numpy(w) for w in cell.weights)
    np.testing.assert_array_equal(bias, np.full(4, 0.2, "float32"))
    np.testing.assert_array_equal(gamma, np.full(4, 1.5, "float32"))
    _copy_weights(cell, direct)
    got = to_numpy(cell(x, [h])[0])
    np.testing.assert_allclose(got, to_numpy(direct(x, [h])[0]), atol=TOL)
    want = _addons_ln_simple_rnn(x, h, kernel, recurrent, bias, gamma, 0.5)
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
