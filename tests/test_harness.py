"""The shared layer harness (`keras_seqlab.testing.layer_test`) applied to
every public layer: config and `.keras` round trips, symbolic and eager
calls, a compiled training step equal to the eager one, mixed precision.
"""

import keras
import pytest

import keras_seqlab
from keras_seqlab.testing import layer_test

SEQ = (3, 6, 2)

# (layer class, constructor arguments, input shape, harness options)
LAYERS = [
    (keras_seqlab.PeepholeLSTM, {"units": 4}, SEQ, {}),
    (
        keras_seqlab.PeepholeLSTM,
        {"units": 4, "return_sequences": True, "return_state": True},
        SEQ,
        {},
    ),
    (keras_seqlab.LNSimpleRNN, {"units": 4}, SEQ, {}),
    (keras_seqlab.LNSimpleRNN, {"units": 4, "form": "addons"}, SEQ, {}),
    *[
        (keras_seqlab.GRUVariant, {"units": 4, "variant": v}, SEQ, {})
        for v in keras_seqlab.GRU_VARIANTS
    ],
    (keras_seqlab.MinGRU, {"units": 4, "mode": "sequential"}, SEQ, {}),
    (keras_seqlab.MinGRU, {"units": 4, "mode": "parallel"}, SEQ, {}),
    (keras_seqlab.MinLSTM, {"units": 4, "mode": "parallel"}, SEQ, {}),
    (keras_seqlab.MinLSTM, {"units": 4, "mode": "sequential"}, SEQ, {}),
    (keras_seqlab.LayerNormLSTM, {"units": 4}, SEQ, {}),
    (keras_seqlab.NAS, {"units": 4, "projection": 3}, SEQ, {}),
    # Its reservoir and input weights are fixed: nothing to train.
    (keras_seqlab.ESN, {"units": 4}, SEQ, {"training": False}),
    (
        keras_seqlab.SeqlabRNN,
        {"cell": keras_seqlab.PeepholeLSTMCell(4), "return_sequences": True},
        SEQ,
        {},
    ),
    (keras_seqlab.WaveNetBlock, {"filters": 4, "dilation_rate": 2}, SEQ, {}),
    (keras_seqlab.WaveNet, {"filters": 4, "dilations": (1, 2)}, SEQ, {}),
    (keras_seqlab.TCNBlock, {"filters": 4, "dilation_rate": 2}, SEQ, {}),
    (
        keras_seqlab.TCN,
        {"nb_filters": 4, "dilations": (1, 2), "use_layer_norm": True},
        SEQ,
        {},
    ),
    (
        keras_seqlab.TCN,
        {
            "nb_filters": 4,
            "dilations": (1, 2),
            "padding": "same",
            "use_batch_norm": True,
            "return_sequences": True,
        },
        SEQ,
        {},
    ),
    (
        keras_seqlab.TCN,
        {
            "nb_filters": 4,
            "kernel_size": 2,
            "nb_stacks": 2,
            "dilations": (1, 2),
            "use_weight_norm": True,
            "use_skip_connections": False,
            "go_backwards": True,
        },
        SEQ,
        {},
    ),
    (keras_seqlab.AttentionBlock, {"num_heads": 2, "key_dim": 3}, SEQ, {}),
    (
        keras_seqlab.AttentionBlock,
        {"num_heads": 1, "key_dim": 2, "causal": True, "ff_dim": 5},
        SEQ,
        {},
    ),
    (keras_seqlab.AttentionPooling, {"units": 3}, SEQ, {}),
    (keras_seqlab.PositionalEncoding, {}, SEQ, {"training": False}),
    (
        keras_seqlab.Persistence,
        {"target_index": 1, "horizon": 3},
        SEQ,
        {"training": False},
    ),
    (
        keras_seqlab.Rescale,
        {"scale": [2.0, 0.5], "offset": [1.0, -1.0]},
        SEQ,
        {"training": False},
    ),
    (
        keras_seqlab.ForecastSpec,
        {
            "columns": ["a", "b"],
            "target": "a",
            "window": 6,
            "horizon": 1,
            "head": "many_to_one",
        },
        SEQ,
        {"training": False},
    ),
    (
        keras_seqlab.layers.WindowStandardize,
        {"index": 1},
        SEQ,
        {"training": False},
    ),
    (
        keras_seqlab.layers.QuantileHead,
        {"quantiles": (0.1, 0.5, 0.9)},
        (3, 6, 3),
        {"training": False},
    ),
    (
        keras_seqlab.layers.RepeatQuantiles,
        {"quantiles": (0.1, 0.9)},
        SEQ,
        {"training": False},
    ),
    (
        keras_seqlab.layers.ConformalInterval,
        {"margin": 0.5, "coverage": 0.8},
        (3, 6, 3),
        {"training": False},
    ),
    (
        keras_seqlab.layers.FixedWindow,
        {"window": 6, "model_name": "m"},
        SEQ,
        {"training": False},
    ),
]


def _id(entry):
    cls, kwargs = entry[0], entry[1]
    extra = [
        f"{k}={v}"
        for k, v in kwargs.items()
        if k
        in (
            "variant",
            "mode",
            "form",
            "causal",
            "return_state",
            "padding",
            "use_layer_norm",
            "use_weight_norm",
        )
    ]
    return "-".join([cls.__name__, *extra])


@pytest.mark.parametrize("entry", LAYERS, ids=[_id(e) for e in LAYERS])
def test_every_public_layer_passes_the_harness(entry):
    layer_class, kwargs, shape, options = entry
    if layer_class is keras_seqlab.SeqlabRNN:
        # A fresh cell per layer: one cell object cannot serve two layers.
        kwargs = {**kwargs, "cell": keras_seqlab.PeepholeLSTMCell(4)}
    layer_test.run_layer_test(layer_class, kwargs, shape, **options)


def test_every_registered_layer_class_is_covered():
    covered = {entry[0] for entry in LAYERS}
    public = {
        getattr(module, name)
        for module in (keras_seqlab, keras_seqlab.layers)
        for name in module.__all__
        if isinstance(getattr(module, name), type)
        and issubclass(getattr(module, name), keras.layers.Layer)
    }
    cells = {c for c in public if c.__name__.endswith("Cell")}
    abstract = {keras_seqlab.RecurrentCell, keras_seqlab.layers.CellRNN}
    # Three inputs, which the one-input harness cannot feed: its
    # config and its numbers are checked in tests/test_panel_models.py.
    three_inputs = {keras_seqlab.layers.Unstandardize}
    assert public - cells - abstract - three_inputs - covered == set()


class _Forgetful(keras.layers.Layer):
    """A wrong layer: its config forgets `units`."""

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def call(self, inputs):
        return inputs * self.units

    def get_config(self):
        config = super().get_config()
        config.pop("units", None)  # Keras's automatic config kept it
        return config


def test_the_config_check_fails_on_a_forgotten_argument():
    with pytest.raises(AssertionError, match=r"lacks \['units'\]"):
        layer_test.check_config(_Forgetful, {"units": 3})
