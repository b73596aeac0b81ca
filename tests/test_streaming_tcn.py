"""`keras_seqlab.stream` on TCN layers: a causal TCN steps to its
full-sequence outputs (float32, within 1e-5) with every option that
streams; "same" padding and go_backwards are refused naming the layer."""

import keras
import numpy as np
import pytest
from keras import layers
from seqlab_testing import to_numpy

import keras_seqlab as ks
from keras_seqlab.streaming import stream

TOL = 1e-5
T, F = 9, 3
STACK = {"nb_filters": 4, "dilations": (1, 2), "kernel_size": 2}

TCN_FAMILIES = {
    "plain": {**STACK, "return_sequences": True},
    "k3_two_stacks": {
        **STACK,
        "kernel_size": 3,
        "nb_stacks": 2,
        "return_sequences": True,
    },
    "no_skip_tanh": {
        **STACK,
        "use_skip_connections": False,
        "activation": "tanh",
        "return_sequences": True,
    },
    "batch_norm": {**STACK, "use_batch_norm": True, "return_sequences": True},
    "layer_norm": {**STACK, "use_layer_norm": True, "return_sequences": True},
    "weight_norm_dropout": {
        **STACK,
        "use_weight_norm": True,
        "dropout_rate": 0.3,
        "return_sequences": True,
    },
    "filter_list_last": {
        **STACK,
        "nb_filters": [3, 5],
        "use_skip_connections": False,
    },
    "last_step": {**STACK, "use_layer_norm": True},
}


def _sequences(seed=3):
    x = np.random.default_rng(seed).normal(size=(3, T, F)).astype("float32")
    x[1, :3] = 0.0  # left padding
    x[2, -2:] = 0.0  # right padding
    x[0, 4] = 0.0  # a hole
    return x


def _model(core):
    inputs = keras.Input((None, F))
    h = layers.Masking(0.0)(inputs)
    model = keras.Model(inputs, layers.Dense(2)(core(h)))
    rng = np.random.default_rng(0)
    model.set_weights(
        [
            rng.uniform(0.5, 1.5, w.shape)
            if "variance" in w.path
            else rng.uniform(-0.6, 0.6, w.shape)
            for w in model.weights
        ]
    )
    return model


def _streamed(model, x):
    y, _ = stream(model, max_length=T).run(x)
    return to_numpy(y)


@pytest.mark.parametrize("family", sorted(TCN_FAMILIES))
def test_a_causal_tcn_steps_to_its_full_sequence_outputs(family):
    kwargs = {"kernel_initializer": "zeros", **TCN_FAMILIES[family]}
    model = _model(ks.TCN(**kwargs))
    x = _sequences()
    got = _streamed(model, x)
    if kwargs.get("return_sequences"):
        expected = to_numpy(model(x))
    else:  # the output of each prefix
        expected = np.stack(
            [to_numpy(model(x[:, : t + 1])) for t in range(T)], 1
        )
    np.testing.assert_allclose(got, expected, atol=TOL, rtol=0)


def test_a_tcn_block_steps():
    block = ks.TCNBlock(4, kernel_size=3, dilation_rate=2, use_layer_norm=True)
    model = _model(lambda h: layers.Add()(block(h)))
    x = _sequences()
    np.testing.assert_allclose(
        _streamed(model, x), to_numpy(model(x)), atol=TOL, rtol=0
    )


@pytest.mark.parametrize(
    "layer, why",
    [
        (ks.TCN(4, dilations=(1,), padding="same", name="ahead"), "same"),
        (ks.TCN(4, dilations=(1,), go_backwards=True, name="ahead"), "backw"),
        (ks.TCNBlock(4, padding="same", name="ahead"), "same"),
    ],
)
def test_non_causal_tcns_are_refused_naming_the_layer(layer, why):
    inputs = keras.Input((T, F))
    out = layer(inputs)
    if isinstance(out, (list, tuple)):
        out = layers.Add()(out)
    with pytest.raises(ValueError, match=f"layer 'ahead'.*{why}"):
        stream(keras.Model(inputs, out))
