"""TCNBlock and TCN (issue 15, keras-tcn parity): keras-tcn's own test
values, the pure-Python reference (forward and gradients), causality,
masks, saving, errors."""

import inspect

import keras
import numpy as np
import pytest

import keras_seqlab
from keras_seqlab.layers.convolutional.causal_conv import receptive_field
from keras_seqlab.layers.convolutional.tcn import TCNBlock
from keras_seqlab.layers.convolutional.tcn_stack import TCN
from keras_seqlab.reference import tcn as ref_tcn
from keras_seqlab.testing.comparison import max_error
from keras_seqlab.testing.families import tcn_params

TOL = 1e-5
FAST = {"kernel_initializer": "zeros"}

# keras-tcn's tasks/tcn_call_test.py, test_receptive_field: (kernel_size,
# dilations, nb_stacks, receptive field), e.g. 1 + 2·(3 − 1)·1·(1+3+5) = 37.
KERAS_TCN_RECEPTIVE_FIELDS = [
    (3, (1, 3, 5), 1, 37),
    (4, (1, 2, 4, 8, 16, 32), 1, 379),
    (3, (1, 2, 4, 8, 16, 32), 1, 253),
    (3, (1, 2, 4, 8, 16), 1, 125),
    (3, (1, 2, 4, 8), 1, 61),
    (3, (1, 2, 4), 1, 29),
    (3, (1, 2, 4), 2, 57),
    (3, (1, 2, 4, 8), 2, 121),
    (4, (1, 2, 4, 8), 1, 91),
    (5, (1, 2), 1, 25),
    (6, (1, 2), 1, 31),
]


@pytest.mark.parametrize(
    "k, dilations, stacks, expected", KERAS_TCN_RECEPTIVE_FIELDS
)
def test_keras_tcn_receptive_fields(k, dilations, stacks, expected):
    layer = TCN(kernel_size=k, dilations=dilations, nb_stacks=stacks)
    assert layer.receptive_field == expected
    assert receptive_field(k, dilations, stacks, block="tcn") == expected
    assert ref_tcn.receptive_field(k, dilations, stacks) == expected


def test_receptive_field_helper_covers_both_blocks():
    assert receptive_field(2, (1, 2, 4, 8)) == 16  # WaveNet, unchanged
    assert receptive_field(2, (1, 2, 4, 8), block="wavenet") == 16
    assert receptive_field(2, (1, 2, 4, 8), block="tcn") == 31
    assert receptive_field(2, (1, 2), nb_stacks=3) == 10
    assert TCNBlock(4, kernel_size=3, dilation_rate=2).receptive_field == 9
    with pytest.raises(ValueError, match="unknown block 'gated'"):
        receptive_field(2, (1, 2), block="gated")
    with pytest.raises(ValueError, match="`nb_stacks` must be a positive"):
        receptive_field(2, (1, 2), nb_stacks=0)


# keras-tcn's tasks/tcn_call_test.py: output shapes for causal and same
# padding, return_sequences on and off, time known or not.
NB_FILTERS = 16


@pytest.mark.parametrize("padding", ["causal", "same"])
@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("steps", [None, 5])
def test_keras_tcn_compute_output_shape(padding, return_sequences, steps):
    layer = TCN(
        nb_filters=NB_FILTERS,
        return_sequences=return_sequences,
        padding=padding,
        **FAST,
    )
    shape = layer.compute_output_shape((None, steps, 4))
    expected = [None, steps, NB_FILTERS] if return_sequences else [None, 16]
    assert list(shape) == expected


@pytest.mark.parametrize("padding", ["causal", "same"])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_keras_tcn_calls_with_time_unknown(padding, return_sequences):
    inputs = keras.Input((None, 4))
    layer = TCN(
        nb_filters=NB_FILTERS,
        return_sequences=return_sequences,
        padding=padding,
        **FAST,
    )
    model = keras.Model(inputs, layer(inputs))
    rng = np.random.default_rng(123)
    for steps in (5, 1, 10, 20):
        y = model(rng.random((1, steps, 4)).astype("float32"))
        want = (1, steps, NB_FILTERS) if return_sequences else (1, NB_FILTERS)
        assert tuple(y.shape) == want


# -- causality (keras-tcn: padding="causal" vs "same") -------------------------


def _random_tcn(seed=0, **kwargs):
    layer = TCN(**{"nb_filters": 3, "return_sequences": True, **FAST, **kwargs})
    layer.build((None, None, 2))
    rng = np.random.default_rng(seed)
    layer.set_weights(
        [rng.uniform(-0.6, 0.6, w.shape) for w in layer.get_weights()]
    )
    return layer


def _influence(layer, steps, source):
    """Which output steps change when input step `source` changes."""
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (1, steps, 2)).astype("float32")
    y0 = keras.ops.convert_to_numpy(layer(x))
    x[0, source] += 1.0
    y1 = keras.ops.convert_to_numpy(layer(x))
    return np.abs(y1 - y0)[0].max(-1) > 1e-6


@pytest.mark.parametrize(
    "kernel_size, dilations, stacks",
    [(3, (1, 2), 2), (2, (1, 2), 2), (4, (1, 3), 1)],
)
def test_an_impulse_reaches_exactly_the_receptive_field(
    kernel_size, dilations, stacks
):
    layer = _random_tcn(
        kernel_size=kernel_size,
        dilations=dilations,
        nb_stacks=stacks,
        activation="tanh",
    )
    r = layer.receptive_field
    steps, source = r + 12, 5
    changed = _influence(layer, steps, source)
    expected = np.zeros(steps, bool)
    expected[source : source + r] = True
    np.testing.assert_array_equal(changed, expected)


def test_same_padding_sees_both_sides_within_the_receptive_field():
    layer = _random_tcn(
        kernel_size=3, dilations=(1, 2), activation="tanh", padding="same"
    )
    r = layer.receptive_field  # 13: 6 steps each side
    steps, source = 30, 15
    changed = _influence(layer, steps, source)
    expected = np.zeros(steps, bool)
    expected[source - (r - 1) // 2 : source + (r - 1) // 2 + 1] = True
    np.testing.assert_array_equal(changed, expected)


def test_go_backwards_runs_on_the_reversed_sequence():
    forward = _random_tcn(activation="tanh", dilations=(1, 2))
    backward = _random_tcn(
        activation="tanh", dilations=(1, 2), go_backwards=True
    )
    x = np.random.default_rng(2).uniform(-1, 1, (2, 9, 2)).astype("float32")
    got = keras.ops.convert_to_numpy(backward(x))
    want = keras.ops.convert_to_numpy(forward(x[:, ::-1]))
    np.testing.assert_allclose(got, want, atol=TOL)
    # …so its output at the first step sees every later step.
    assert _influence(backward, 9, 8)[0]


# -- against the reference ----------------------------------------------------


# TCNBlock and TCN against the reference, values and gradients, are the
# cases `keras_seqlab.layers.convolutional.tcn` and `tcn_stack` declare
# (REFERENCE_CASES):
# tests/test_against_reference.py and `seqlab check` run them.


def _make(cls, kwargs, channels, steps, seed=0):
    layer = cls(**{**FAST, **kwargs})
    layer.build((None, steps, channels))
    rng = np.random.default_rng(seed)
    values = []
    for w in layer.weights:
        low = 0.5 if "variance" in w.path else -0.6
        values.append(rng.uniform(low, 0.6 if low < 0 else 1.5, w.shape))
    layer.set_weights(values)
    return layer


BLOCK = {"filters": 4}
STACK = {"nb_filters": 4, "dilations": (1, 2)}


def test_the_reference_comparison_can_fail():
    """A wrong normalization, padding or skip choice is caught."""
    layer = _make(TCN, {**STACK, "use_layer_norm": True}, 3, 8)
    x = np.random.default_rng(3).uniform(-1, 1, (2, 8, 3)).astype("float32")
    got = [keras.ops.convert_to_numpy(layer(x))]
    params = [tcn_params(b) for b in layer.blocks]
    for wrong in (
        {"norm": None},
        {"padding": "same"},
        {"use_skip_connections": False},
    ):
        arguments = {
            "padding": "causal",
            "activation": "relu",
            "norm": "layer",
            "use_skip_connections": True,
            **wrong,
        }
        y = ref_tcn.tcn_stack(params, x.tolist(), [1, 2], **arguments)
        assert max_error(got, [y]) > 1e-3
    params[0]["kernel_1"][1][0][2] += 1e-3
    y = ref_tcn.tcn_stack(params, x.tolist(), [1, 2], norm="layer")
    assert max_error(got, [y]) > 1e-6


def test_left_padding_gives_the_unpadded_outputs():
    layer = _make(
        TCN, {**STACK, "return_sequences": True, "padding": "same"}, 3, 6
    )
    x = np.random.default_rng(4).uniform(-1, 1, (1, 6, 3)).astype("float32")
    padded = np.concatenate([np.full((1, 3, 3), 7.0, "float32"), x], 1)
    mask = np.array([[False] * 3 + [True] * 6])
    got = keras.ops.convert_to_numpy(layer(padded, mask=mask))[:, 3:]
    np.testing.assert_allclose(
        got, keras.ops.convert_to_numpy(layer(x)), atol=TOL
    )


# -- dropout ------------------------------------------------------------------


def test_spatial_dropout_drops_whole_channels_in_training_only():
    block = _make(
        TCNBlock, {"filters": 16, "dropout_rate": 0.5, "seed": 7}, 16, 10
    )
    x = np.random.default_rng(5).uniform(0.5, 1, (4, 10, 16)).astype("float32")
    plain = TCNBlock(16, **FAST)
    plain.build((None, 10, 16))
    plain.set_weights(block.get_weights())
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(block(x)[1]),
        keras.ops.convert_to_numpy(plain(x)[1]),
        atol=TOL,
    )
    h = keras.ops.convert_to_numpy(
        block.dropouts[1](np.ones((4, 10, 16), "float32"), training=True)
    )
    assert set(np.unique(h)) <= {0.0, 2.0}
    assert (h == h[:, :1]).all()  # the same channels at every step
    assert 0 < (h == 0).mean() < 1
    skip_train = keras.ops.convert_to_numpy(block(x, training=True)[1])
    assert not np.allclose(skip_train, keras.ops.convert_to_numpy(plain(x)[1]))


# -- saving and configuration -------------------------------------------------


EVERYTHING = {
    "nb_filters": 4,
    "kernel_size": 2,
    "nb_stacks": 2,
    "dilations": (1, 2),
    "padding": "same",
    "use_skip_connections": False,
    "dropout_rate": 0.25,
    "return_sequences": True,
    "activation": "tanh",
    "use_weight_norm": True,
    "go_backwards": True,
    "seed": 3,
    "use_bias": False,
}


def test_keras_file_round_trip_in_safe_mode(tmp_path):
    inputs = keras.Input((None, 3))
    x = TCN(**{**EVERYTHING, "use_bias": True})(inputs)
    x = TCN(nb_filters=[2, 2], dilations=(1, 2), use_batch_norm=True)(x)
    model = keras.Model(inputs, x)
    rng = np.random.default_rng(0)
    model.set_weights(
        [rng.uniform(0.1, 0.6, w.shape) for w in model.get_weights()]
    )
    data = rng.uniform(-1, 1, (2, 7, 3)).astype("float32")
    path = tmp_path / "tcn.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(data)),
        keras.ops.convert_to_numpy(model(data)),
        atol=TOL,
    )


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (TCN, EVERYTHING),
        (
            TCNBlock,
            {
                "filters": 3,
                "kernel_size": 4,
                "dilation_rate": 2,
                "padding": "same",
                "activation": "tanh",
                "dropout_rate": 0.1,
                "use_layer_norm": True,
                "seed": 1,
                "use_bias": False,
            },
        ),
    ],
)
def test_get_config_holds_every_constructor_argument(cls, kwargs):
    config = cls(**kwargs).get_config()
    names = set(inspect.signature(cls.__init__).parameters) - {"self", "kwargs"}
    assert names <= set(config)
    clone = cls.from_config(config)
    assert clone.get_config() == config
    for name, value in kwargs.items():
        got = config[name]
        assert got == (list(value) if isinstance(value, tuple) else value), name


def test_keras_tcn_positional_arguments():
    """compiled_tcn calls TCN(nb_filters, kernel_size, nb_stacks, dilations,
    padding, use_skip_connections, dropout_rate, return_sequences,
    activation, kernel_initializer, use_batch_norm, use_layer_norm)."""
    layer = TCN(
        8, 2, 3, [1, 2], "same", False, 0.1, True, "tanh", "zeros", False, True
    )
    config = layer.get_config()
    assert (
        config["nb_filters"],
        config["kernel_size"],
        config["nb_stacks"],
    ) == (8, 2, 3)
    assert config["dilations"] == [1, 2] and config["padding"] == "same"
    assert (
        config["use_skip_connections"] is False and config["return_sequences"]
    )
    assert config["use_layer_norm"] and config["dropout_rate"] == 0.1
    assert TCN().get_config()["kernel_initializer"]["class_name"] == "HeNormal"


# -- bad input ----------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            {"use_batch_norm": True, "use_layer_norm": True},
            ValueError,
            "only one normalization.*use_batch_norm and use_layer_norm",
        ),
        (
            {"use_layer_norm": True, "use_weight_norm": True},
            ValueError,
            "only one normalization",
        ),
        (
            {"use_batch_norm": "yes"},
            ValueError,
            "`use_batch_norm` must be True or False, got 'yes'",
        ),
        (
            {"padding": "valid"},
            ValueError,
            "`padding` must be 'causal' or 'same', got 'valid'",
        ),
        (
            {"dropout_rate": 1.5},
            ValueError,
            r"`dropout_rate` must be in \[0, 1\), got 1.5",
        ),
        (
            {"nb_filters": 0},
            ValueError,
            "`nb_filters` must be a positive integer, got 0",
        ),
        (
            {"nb_filters": [4, 4]},
            ValueError,
            r"one entry per dilation \(6\), got 2",
        ),
        (
            {"nb_filters": [4, 5], "dilations": (1, 2)},
            ValueError,
            "must all be equal with use_skip_connections=True",
        ),
        ({"dilations": ()}, ValueError, "`dilations` must be a non-empty"),
        (
            {"nb_stacks": 0},
            ValueError,
            "`nb_stacks` must be a positive integer",
        ),
        ({"return_state": True}, ValueError, "`return_state` must be False"),
        (
            {"go_backwards": None},
            ValueError,
            "`go_backwards` must be True or False",
        ),
        ({"seed": 1.5}, ValueError, "`seed` must be None or an integer"),
        ({"activation": "nope"}, ValueError, "nope"),
    ],
)
def test_bad_arguments_name_the_layer(kwargs, error, match):
    with pytest.raises(error, match=match):
        TCN(name="t", **kwargs)
    if (
        "nb_filters" not in kwargs
        and "dilations" not in kwargs
        and "nb_stacks" not in kwargs
        and "return_state" not in kwargs
        and "go_backwards" not in kwargs
        and "activation" not in kwargs
    ):
        with pytest.raises(error, match=r"TCNBlock 'b'"):
            TCNBlock(4, name="b", **kwargs)


def test_tcn_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"TCN 't': only one normalization"):
        TCN(name="t", use_batch_norm=True, use_weight_norm=True)


@pytest.mark.parametrize(
    "cls, kwargs", [(TCN, {"nb_filters": 4}), (TCNBlock, {"filters": 4})]
)
def test_bad_inputs_name_the_layer(cls, kwargs):
    layer = cls(name="bad", **kwargs, **FAST)
    with pytest.raises(ValueError, match=f"{cls.__name__} 'bad'"):
        layer(np.zeros((2, 5), "float32"))
    with pytest.raises(ValueError, match=f"{cls.__name__} 'bad'"):
        layer.build((None, 5, None))
    layer(np.zeros((2, 5, 3), "float32"))
    with pytest.raises(ValueError, match=f"{cls.__name__} 'bad'.*3"):
        layer(np.zeros((2, 5, 4), "float32"))
    with pytest.raises(ValueError, match=f"{cls.__name__} 'bad'.*mask"):
        layer(np.zeros((2, 5, 3), "float32"), mask=np.ones((2, 4), bool))


def test_exported():
    assert keras_seqlab.TCN is TCN and keras_seqlab.TCNBlock is TCNBlock
    assert keras.saving.get_registered_object("keras_seqlab>TCN") is TCN
