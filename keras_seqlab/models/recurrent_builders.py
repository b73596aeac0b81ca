"""The recurrent builders: SimpleRNN, LSTM, GRU and this package's cells.

Registered under their names (`keras_seqlab.models.build(name, ...)`),
with the common signature documented in `keras_seqlab.models`. Every one
takes `output`: `"dense"` (the default: the recurrent layers, then a
`Dense` head) or `"recurrent"` (the last recurrent layer has
`n_targets * horizon` units and is the output, as in the textbook's deep
RNN `SimpleRNN(20), SimpleRNN(20), SimpleRNN(1)`; the same output shapes
as the Dense head's).
"""

import keras
from keras import layers

from keras_seqlab.models.parts import OUTPUTS
from keras_seqlab.models.parts import model_inputs
from keras_seqlab.models.parts import output_head
from keras_seqlab.models.parts import recurrent_layer
from keras_seqlab.models.parts import recurrent_model
from keras_seqlab.models.registry import register
from keras_seqlab.utils.validation import check_choice

_OUTPUT = {"output": "dense"}


@register(
    "simple_rnn",
    "`keras.layers.SimpleRNN` layer(s) and a dense head.\n\n"
    "    E.g. the classic SimpleRNN(16, relu) + Dense(1):\n"
    '    `build_simple_rnn((None, 9), units=16, activation="relu")`; the\n'
    "    textbook's one-neuron RNN: `build_simple_rnn((None, 1), output=\n"
    '    "recurrent")` (SimpleRNN(1), 3 parameters).',
    {"activation": "tanh", **_OUTPUT},
)
def build_simple_rnn(spec, opts):
    return recurrent_model("simple_rnn", spec, "simple_rnn", **opts)


@register(
    "stacked_rnn",
    "Stacked `keras.layers.SimpleRNN` layers (default depth 2).\n\n"
    "    The textbook's deep RNN SimpleRNN(20) x 2 + SimpleRNN(1):\n"
    "    `build_stacked_rnn((None, 1), units=20, depth=3, output=\n"
    '    "recurrent")`; with a Dense(1) output: the default output.',
    {"activation": "tanh", **_OUTPUT},
)
def build_stacked_rnn(spec, opts):
    return recurrent_model("stacked_rnn", spec, "simple_rnn", 2, **opts)


@register("lstm", "`keras.layers.LSTM` layer(s) and a dense head.", _OUTPUT)
def build_lstm(spec, opts):
    return recurrent_model("lstm", spec, "lstm", **opts)


@register(
    "stacked_lstm",
    "Stacked `keras.layers.LSTM` layers (default depth 2).\n\n"
    "    E.g. two LSTM(7) + Dense(1): `build_stacked_lstm((None, 9),\n"
    "    units=7)`.",
    _OUTPUT,
)
def build_stacked_lstm(spec, opts):
    return recurrent_model("stacked_lstm", spec, "lstm", 2, **opts)


@register("gru", "`keras.layers.GRU` layer(s) and a dense head.", _OUTPUT)
def build_gru(spec, opts):
    return recurrent_model("gru", spec, "gru", **opts)


@register(
    "stacked_gru",
    "Stacked `keras.layers.GRU` layers (default depth 2).\n\n"
    "    E.g. the textbook's GRU(20) x 2 + TimeDistributed(Dense(10)):\n"
    '    `build_stacked_gru((None, 1), units=20, head="seq_to_seq",\n'
    "    horizon=10)`.",
    _OUTPUT,
)
def build_stacked_gru(spec, opts):
    return recurrent_model("stacked_gru", spec, "gru", 2, **opts)


@register(
    "ln_simple_rnn",
    "`keras_seqlab.LNSimpleRNN` (layer-normalized SimpleRNN) layer(s).",
    {"activation": "tanh", "form": "textbook", **_OUTPUT},
)
def build_ln_simple_rnn(spec, opts):
    return recurrent_model("ln_simple_rnn", spec, "ln_simple_rnn", **opts)


@register(
    "peephole_lstm",
    "`keras_seqlab.PeepholeLSTM` layer(s) and a dense head.",
    _OUTPUT,
)
def build_peephole_lstm(spec, opts):
    return recurrent_model("peephole_lstm", spec, "peephole_lstm", **opts)


@register(
    "ln_lstm",
    "`keras_seqlab.LayerNormLSTM` (layer-normalized LSTM) layer(s); `form`\n"
    '    is `"addons"` (TensorFlow Addons) or `"ba2016"` (Ba et al.).',
    {"form": "addons", **_OUTPUT},
)
def build_ln_lstm(spec, opts):
    return recurrent_model("ln_lstm", spec, "ln_lstm", **opts)


@register(
    "nas",
    "`keras_seqlab.NAS` (the NAS cell of Zoph & Le 2017) layer(s);\n"
    "    `projection` (None or an int) is the width of its output (not of\n"
    '    a recurrent output layer, `output="recurrent"`).',
    {"projection": None, "use_bias": False, **_OUTPUT},
)
def build_nas(spec, opts):
    return recurrent_model("nas", spec, "nas", **opts)


@register(
    "esn",
    "`keras_seqlab.ESN` (echo state network) layer(s): fixed random\n"
    "    reservoirs, only the dense head is trained (so `output` must be\n"
    '    `"dense"`).',
    {
        "connectivity": 0.1,
        "leaky": 1.0,
        "spectral_radius": 0.9,
        "use_norm2": False,
        "seed": None,
        **_OUTPUT,
    },
)
def build_esn(spec, opts):
    return recurrent_model("esn", spec, "esn", **opts)


@register(
    "gru_variant",
    "`keras_seqlab.GRUVariant` layer(s): `variant` is one of\n"
    "    `keras_seqlab.GRU_VARIANTS` (reset_after, reset_before, mgu, gru1,\n"
    "    gru2, gru3).",
    {"variant": "reset_after", **_OUTPUT},
)
def build_gru_variant(spec, opts):
    return recurrent_model("gru_variant", spec, "gru_variant", **opts)


BLOCKS = ("paper", "bare")

_MIN_DOC = (
    " layer(s) (Feng et al. 2024); `mode` is\n"
    '    `"auto"`, `"sequential"` or `"parallel"`. No recurrent dropout.\n\n'
    '    `block`: `"bare"` stacks the layers (the default for depth 1);\n'
    '    `"paper"` (the default for depth > 1) builds the residual blocks\n'
    "    the paper's models stack (it names normalization, residual\n"
    "    connections and an MLP between the layers; this is the standard\n"
    "    pre-norm form of those): a `Dense(units)` input projection when\n"
    "    features != units, then per layer x = x + RNN(LayerNorm(x)) and\n"
    "    x = x + MLP(LayerNorm(x)), MLP = Dense(4 units, gelu) + Dense(units)\n"
    "    (with `Dropout(dropout)` after it when dropout > 0), and a final\n"
    "    LayerNorm before the Dense head. For the vector heads the last\n"
    "    layer returns its last step and has no residual around the\n"
    "    recurrence (the state summarizes the window). `output` must be\n"
    '    `"dense"` with `block="paper"`. LayerNormalization does not\n'
    "    stream (`keras_seqlab.stream`)."
)


def _min_model(name, spec, opts):
    owner = spec.owner
    depth = spec.layers_deep()
    block = opts["block"]
    if block is None:
        block = "paper" if depth > 1 else "bare"
    check_choice(owner, "block", block, BLOCKS)
    output = check_choice(owner, "output", opts["output"], OUTPUTS)
    if block == "bare":
        return recurrent_model(
            name, spec, name, output=output, mode=opts["mode"]
        )
    if output != "dense":
        raise ValueError(
            f"{owner}: block='paper' ends in a LayerNorm and a Dense head; "
            f"expected output='dense' (or block='bare'), got {output!r}."
        )
    units = spec.units
    inputs = x = model_inputs(spec)
    if spec.features != units:
        x = layers.Dense(units, name="input_projection")(x)
    for i in range(depth):
        last = i == depth - 1 and not spec.sequences
        h = layers.LayerNormalization(name=f"norm_{i}")(x)
        h = recurrent_layer(
            name,
            units,
            return_sequences=not last,
            dropout=spec.dropout,
            name=f"{name}_{i}",
            mode=opts["mode"],
        )(h)
        x = h if last else layers.Add(name=f"residual_{i}")([x, h])
        h = layers.LayerNormalization(name=f"mlp_norm_{i}")(x)
        h = layers.Dense(4 * units, activation="gelu", name=f"mlp_{i}_in")(h)
        h = layers.Dense(units, name=f"mlp_{i}_out")(h)
        if spec.dropout:
            h = layers.Dropout(spec.dropout, name=f"dropout_{i}")(h)
        x = layers.Add(name=f"mlp_residual_{i}")([x, h])
    x = layers.LayerNormalization(name="final_norm")(x)
    return keras.Model(inputs, output_head(x, spec), name=name)


_MIN_OPTIONS = {"mode": "auto", "block": None, **_OUTPUT}


@register("min_gru", "`keras_seqlab.MinGRU`" + _MIN_DOC, _MIN_OPTIONS)
def build_min_gru(spec, opts):
    return _min_model("min_gru", spec, opts)


@register("min_lstm", "`keras_seqlab.MinLSTM`" + _MIN_DOC, _MIN_OPTIONS)
def build_min_lstm(spec, opts):
    return _min_model("min_lstm", spec, opts)
