"""Bad input gets a clear error naming the layer, what it expected and got."""

import keras
import numpy as np
import pytest
from seqlab_testing import random_sequences

import keras_seqlab
from keras_seqlab.layers.recurrent.rnn import SeqlabRNN

LAYERS = [
    keras_seqlab.PeepholeLSTM,
    keras_seqlab.GRUVariant,
    keras_seqlab.LNSimpleRNN,
    keras_seqlab.PeepholeLSTMCell,
    keras_seqlab.GRUVariantCell,
    keras_seqlab.LNSimpleRNNCell,
    keras_seqlab.LayerNormSimpleRNNCell,
]
OWNER = {
    keras_seqlab.PeepholeLSTM: "PeepholeLSTMCell",
    keras_seqlab.GRUVariant: "GRUVariantCell",
    keras_seqlab.LNSimpleRNN: "LNSimpleRNNCell",
}


def _owner(cls):
    return OWNER.get(cls, cls.__name__)


@pytest.mark.parametrize("units", [0, -3, 2.5, True, "8", None])
@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_units_must_be_a_positive_integer(cls, units):
    with pytest.raises(ValueError) as info:
        cls(units)
    message = str(info.value)
    assert _owner(cls) in message
    assert "`units` must be a positive integer" in message
    assert repr(units) in message


def test_numpy_integer_units_are_accepted():
    assert keras_seqlab.PeepholeLSTM(np.int64(3)).units == 3


@pytest.mark.parametrize("argument", ["dropout", "recurrent_dropout"])
@pytest.mark.parametrize("value", [1.0, -0.1, 1.5])
@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_dropout_outside_zero_one(cls, argument, value):
    with pytest.raises(ValueError) as info:
        cls(4, **{argument: value})
    message = str(info.value)
    assert _owner(cls) in message
    assert f"`{argument}` must be in [0, 1), got {value!r}" in message


def test_dropout_of_the_wrong_type():
    with pytest.raises(
        TypeError, match=r"`dropout` must be a number in \[0, 1\), got '0.2'"
    ):
        keras_seqlab.GRUVariant(4, dropout="0.2")


def test_unknown_variant_lists_the_known_ones():
    with pytest.raises(ValueError) as info:
        keras_seqlab.GRUVariant(4, variant="lstm")
    message = str(info.value)
    assert "GRUVariantCell: unknown variant 'lstm'" in message
    for name in keras_seqlab.GRU_VARIANTS:
        assert repr(name) in message


def test_unknown_layer_norm_form():
    with pytest.raises(ValueError, match="LNSimpleRNNCell: unknown form 'x'"):
        keras_seqlab.LNSimpleRNN(4, form="x")


@pytest.mark.parametrize("epsilon", [0, -1e-3, "small"])
def test_epsilon_must_be_positive(epsilon):
    with pytest.raises(ValueError, match="`epsilon` must be a positive"):
        keras_seqlab.LNSimpleRNNCell(4, epsilon=epsilon)


def test_gru3_needs_a_bias():
    with pytest.raises(ValueError, match="'gru3'.*use_bias=True"):
        keras_seqlab.GRUVariant(4, variant="gru3", use_bias=False)


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4, 5)])
def test_wrong_rank(shape):
    layer = keras_seqlab.PeepholeLSTM(4, name="my_lstm")
    with pytest.raises(ValueError) as info:
        layer(np.zeros(shape, "float32"))
    message = str(info.value)
    assert "PeepholeLSTM 'my_lstm'" in message
    assert "expected inputs of rank 3 (batch, timesteps, features)" in message
    assert f"got shape {shape} (rank {len(shape)})" in message


def test_undefined_feature_dimension():
    layer = keras_seqlab.GRUVariant(4, name="g")
    with pytest.raises(ValueError) as info:
        layer(keras.Input((None, None)))
    assert "GRUVariant 'g': the feature dimension (last axis) must be " in str(
        info.value
    )
    assert "(None, None, None)" in str(info.value)


def test_cell_with_undefined_feature_dimension():
    cell = keras_seqlab.PeepholeLSTMCell(4)
    with pytest.raises(ValueError, match=r"PeepholeLSTMCell: expected step"):
        cell.build((None, None))


def test_mask_of_the_wrong_length():
    layer = keras_seqlab.LNSimpleRNN(4, name="ln")
    with pytest.raises(ValueError) as info:
        layer(random_sequences(timesteps=6), mask=np.ones((3, 5), bool))
    assert (
        "LNSimpleRNN 'ln': expected a mask of shape (batch, 6) for inputs of "
        "shape (3, 6, 3), got shape (3, 5)." in str(info.value)
    )


def test_seqlab_rnn_wrong_rank_names_itself():
    layer = SeqlabRNN(keras_seqlab.GRUVariantCell(2), name="wrapped")
    with pytest.raises(ValueError, match="SeqlabRNN 'wrapped': expected"):
        layer(np.zeros((2, 3), "float32"))


def test_unknown_keyword_is_not_swallowed():
    with pytest.raises(ValueError, match="GRUVariantCell.*peephole_init"):
        keras_seqlab.GRUVariant(4, peephole_initializer="zeros")
