"""The builders: every architecture of the teaching material.

Each is registered under its name (`keras_seqlab.models.build(name, ...)`)
with the common signature documented in `keras_seqlab.models`.
"""

import keras
from keras import layers

from keras_seqlab.layers.attention import AttentionBlock
from keras_seqlab.layers.attention import AttentionPooling
from keras_seqlab.layers.persistence import Persistence
from keras_seqlab.layers.persistence import check_target_index
from keras_seqlab.layers.positional import PositionalEncoding
from keras_seqlab.layers.quantiles import RepeatQuantiles
from keras_seqlab.layers.wavenet_stack import WaveNet
from keras_seqlab.models.parts import fixed_window_inputs
from keras_seqlab.models.parts import head_size
from keras_seqlab.models.parts import model_inputs
from keras_seqlab.models.parts import output_head
from keras_seqlab.models.parts import quantile_outputs
from keras_seqlab.models.parts import recurrent_layer
from keras_seqlab.models.parts import recurrent_model
from keras_seqlab.models.parts import recurrent_stack
from keras_seqlab.models.registry import positive_ints
from keras_seqlab.models.registry import register
from keras_seqlab.utils.validation import check_choice
from keras_seqlab.utils.validation import check_units


def _or_default(owner, name, value, default):
    """An option that defaults when None (not when 0): a positive int."""
    return check_units(owner, default if value is None else value, name)


@register(
    "persistence",
    "The naive baseline: the last value of the target column(s).\n\n"
    "    A `Persistence` layer, no weights; `units` is not used. Options:\n"
    "    `target_index`, the input column(s) holding the target (an int,\n"
    "    or a list of `n_targets` ints).\n\n"
    "    With `quantiles`, every quantile is the last value (a\n"
    "    `RepeatQuantiles` layer): a naive interval of width 0, so its\n"
    "    coverage is that of an exact hit; a conformal margin\n"
    "    (`keras_seqlab.forecasting.conformal`) makes it the classic\n"
    "    naive interval of calibrated width.",
    {"target_index": 0},
)
def build_persistence(spec, opts):
    spec.no_dropout()
    spec.no_recurrent_dropout()
    spec.no_depth()
    index = check_target_index(spec.owner, opts["target_index"])
    count = 1 if isinstance(index, int) else len(index)
    if count != spec.n_targets:
        raise ValueError(
            f"{spec.owner}: `target_index` {index!r} names {count} "
            f"column(s), n_targets is {spec.n_targets}."
        )
    inputs = model_inputs(spec)
    y = Persistence(
        index,
        horizon=spec.horizon,
        return_sequences=spec.sequences,
        name="persistence",
    )(inputs)
    if spec.head == "many_to_one" and spec.n_targets > 1:
        y = layers.Reshape((spec.n_targets,))(y)
    if spec.quantiles is not None:
        y = RepeatQuantiles(spec.quantiles, name="quantiles")(y)
    return keras.Model(inputs, y, name="persistence")


@register(
    "linear",
    "Linear regression on the flattened window (the linear baseline).\n\n"
    "    `Flatten` + `Dense`; for the seq-to-seq head the same linear map\n"
    "    of the last T steps at every step (a causal `Conv1D` with kernel\n"
    "    size T, zeros before the start). `units` is not used; the window\n"
    "    length must be fixed, and the model refuses any other length.",
)
def build_linear(spec, opts):
    spec.no_dropout()
    spec.no_recurrent_dropout()
    spec.no_depth()
    inputs, x = fixed_window_inputs(spec, "linear")
    window = spec.timesteps
    if spec.sequences:
        size = head_size(spec) * len(spec.quantiles or (None,))
        x = layers.Conv1D(size, window, padding="causal", name="head")(x)
        if spec.quantiles is not None:
            x = quantile_outputs(x, spec, steps=window)
        elif spec.n_targets > 1:
            x = layers.Reshape((window, spec.horizon, spec.n_targets))(x)
        return keras.Model(inputs, x, name="linear")
    x = layers.Flatten(name="flatten")(x)
    return keras.Model(inputs, output_head(x, spec), name="linear")


@register(
    "dense",
    "A dense network on the flattened window (e.g. 100-50-1).\n\n"
    "    `Flatten`, then `Dense(h, activation)` for h in `hidden` (default\n"
    "    `(units,) * depth`), each followed by `Dropout(dropout)` when\n"
    "    dropout > 0, then the head. For the seq-to-seq head the first\n"
    "    layer is a causal `Conv1D` with kernel size T (the same network on\n"
    "    the last T steps, at every step). The window length must be fixed,\n"
    "    and the model refuses any other length.",
    {"hidden": None, "activation": "relu"},
)
def build_dense(spec, opts):
    spec.no_recurrent_dropout()
    window = spec.fixed_window()
    hidden = opts["hidden"]
    if hidden is None:
        hidden = (spec.units,) * spec.layers_deep()
    elif spec.depth is not None:
        raise ValueError(
            f"{spec.owner}: pass either `hidden` or `depth`, not both."
        )
    hidden = positive_ints(spec.owner, "hidden", hidden)
    inputs, x = fixed_window_inputs(spec, "dense")
    for i, size in enumerate(hidden):
        if spec.sequences and i == 0:
            layer = layers.Conv1D(
                size,
                window,
                padding="causal",
                activation=opts["activation"],
                name="dense_0",
            )
        else:
            if i == 0:
                x = layers.Flatten(name="flatten")(x)
            layer = layers.Dense(
                size, activation=opts["activation"], name=f"dense_{i}"
            )
        x = layer(x)
        if spec.dropout:
            x = layers.Dropout(spec.dropout, name=f"dropout_{i}")(x)
    return keras.Model(inputs, output_head(x, spec), name="dense")


@register(
    "simple_rnn",
    "`keras.layers.SimpleRNN` layer(s) and a dense head.\n\n"
    "    E.g. the classic SimpleRNN(16, relu) + Dense(1):\n"
    '    `build_simple_rnn((None, 9), units=16, activation="relu")`.',
    {"activation": "tanh"},
)
def build_simple_rnn(spec, opts):
    return recurrent_model("simple_rnn", spec, "simple_rnn", **opts)


@register(
    "stacked_rnn",
    "Stacked `keras.layers.SimpleRNN` layers (default depth 2).",
    {"activation": "tanh"},
)
def build_stacked_rnn(spec, opts):
    return recurrent_model("stacked_rnn", spec, "simple_rnn", 2, **opts)


@register("lstm", "`keras.layers.LSTM` layer(s) and a dense head.")
def build_lstm(spec, opts):
    return recurrent_model("lstm", spec, "lstm")


@register(
    "stacked_lstm",
    "Stacked `keras.layers.LSTM` layers (default depth 2).\n\n"
    "    E.g. two LSTM(7) + Dense(1): `build_stacked_lstm((None, 9),\n"
    "    units=7)`.",
)
def build_stacked_lstm(spec, opts):
    return recurrent_model("stacked_lstm", spec, "lstm", 2)


@register("gru", "`keras.layers.GRU` layer(s) and a dense head.")
def build_gru(spec, opts):
    return recurrent_model("gru", spec, "gru")


@register(
    "ln_simple_rnn",
    "`keras_seqlab.LNSimpleRNN` (layer-normalized SimpleRNN) layer(s).",
    {"activation": "tanh", "form": "textbook"},
)
def build_ln_simple_rnn(spec, opts):
    return recurrent_model("ln_simple_rnn", spec, "ln_simple_rnn", **opts)


@register(
    "peephole_lstm", "`keras_seqlab.PeepholeLSTM` layer(s) and a dense head."
)
def build_peephole_lstm(spec, opts):
    return recurrent_model("peephole_lstm", spec, "peephole_lstm")


@register(
    "ln_lstm",
    "`keras_seqlab.LayerNormLSTM` (layer-normalized LSTM) layer(s); `form`\n"
    '    is `"addons"` (TensorFlow Addons) or `"ba2016"` (Ba et al.).',
    {"form": "addons"},
)
def build_ln_lstm(spec, opts):
    return recurrent_model("ln_lstm", spec, "ln_lstm", **opts)


@register(
    "nas",
    "`keras_seqlab.NAS` (the NAS cell of Zoph & Le 2017) layer(s);\n"
    "    `projection` (None or an int) is the width of its output.",
    {"projection": None, "use_bias": False},
)
def build_nas(spec, opts):
    return recurrent_model("nas", spec, "nas", **opts)


@register(
    "esn",
    "`keras_seqlab.ESN` (echo state network) layer(s): fixed random\n"
    "    reservoirs, only the dense head is trained.",
    {
        "connectivity": 0.1,
        "leaky": 1.0,
        "spectral_radius": 0.9,
        "use_norm2": False,
        "seed": None,
    },
)
def build_esn(spec, opts):
    return recurrent_model("esn", spec, "esn", **opts)


@register(
    "gru_variant",
    "`keras_seqlab.GRUVariant` layer(s): `variant` is one of\n"
    "    `keras_seqlab.GRU_VARIANTS` (reset_after, reset_before, mgu, gru1,\n"
    "    gru2, gru3).",
    {"variant": "reset_after"},
)
def build_gru_variant(spec, opts):
    return recurrent_model("gru_variant", spec, "gru_variant", **opts)


@register(
    "min_gru",
    "`keras_seqlab.MinGRU` layer(s) (Feng et al. 2024); `mode` is\n"
    '    `"auto"`, `"sequential"` or `"parallel"`. No recurrent dropout.',
    {"mode": "auto"},
)
def build_min_gru(spec, opts):
    return recurrent_model("min_gru", spec, "min_gru", **opts)


@register(
    "min_lstm",
    "`keras_seqlab.MinLSTM` layer(s) (Feng et al. 2024); `mode` is\n"
    '    `"auto"`, `"sequential"` or `"parallel"`. No recurrent dropout.',
    {"mode": "auto"},
)
def build_min_lstm(spec, opts):
    return recurrent_model("min_lstm", spec, "min_lstm", **opts)


@register(
    "conv_gru",
    "A causal `Conv1D` front end, then GRU layer(s) (the textbook's\n"
    "    Conv1D + GRU forecaster).\n\n"
    "    `Conv1D(filters, kernel_size, strides, padding='causal')`\n"
    "    (filters default: `units`), then `depth` GRU layers. Strides > 1\n"
    "    shorten the sequence, so the seq-to-seq head needs strides=1.",
    {"filters": None, "kernel_size": 4, "strides": 1},
)
def build_conv_gru(spec, opts):
    owner = spec.owner
    filters = _or_default(owner, "filters", opts["filters"], spec.units)
    kernel_size = check_units(owner, opts["kernel_size"], "kernel_size")
    strides = check_units(owner, opts["strides"], "strides")
    if spec.sequences and strides != 1:
        raise ValueError(
            f"{owner}: the seq_to_seq head needs strides=1 (strides "
            f"{strides} leave fewer output steps than input steps)."
        )
    inputs = model_inputs(spec)
    x = layers.Conv1D(
        filters,
        kernel_size,
        strides=strides,
        padding="causal",
        name="conv",
    )(inputs)
    x = recurrent_stack(x, spec, "gru", spec.layers_deep())
    return keras.Model(inputs, output_head(x, spec), name="conv_gru")


@register(
    "wavenet",
    "A `keras_seqlab.WaveNet` stack and a dense head.\n\n"
    "    `WaveNet(filters, dilations, kernel_size, gated)` with filters\n"
    "    default `units` and dilations default `(1, 2, 4, 8) * depth`\n"
    "    (depth default 1); the last step's output feeds the vector heads,\n"
    "    every step's the seq-to-seq head (causal). `gated=False` is the\n"
    "    textbook's plain causal ReLU stack. `Dropout(dropout)` before the\n"
    "    head.",
    {"filters": None, "kernel_size": 2, "dilations": None, "gated": True},
)
def build_wavenet(spec, opts):
    spec.no_recurrent_dropout()
    dilations = opts["dilations"]
    if dilations is None:
        dilations = (1, 2, 4, 8) * spec.layers_deep()
    elif spec.depth is not None:
        raise ValueError(
            f"{spec.owner}: pass either `dilations` or `depth`, not both."
        )
    filters = _or_default(spec.owner, "filters", opts["filters"], spec.units)
    inputs = model_inputs(spec)
    x = WaveNet(
        filters,
        dilations=dilations,
        kernel_size=opts["kernel_size"],
        gated=opts["gated"],
        return_sequences=spec.sequences,
        name="wavenet",
    )(inputs)
    if spec.dropout:
        x = layers.Dropout(spec.dropout, name="dropout")(x)
    return keras.Model(inputs, output_head(x, spec), name="wavenet")


@register(
    "attention",
    "Self-attention: `Dense(units)` projection, `PositionalEncoding`,\n"
    "    `depth` `AttentionBlock`s, then `AttentionPooling(units)`\n"
    '    (`pooling="attention"`, any window length) or the last step\n'
    '    (`pooling="last"`: a fixed window, no other length accepted) for\n'
    "    the vector heads; the seq-to-seq head uses\n"
    "    causal blocks and every step. key_dim defaults to\n"
    "    units // num_heads (at least 1). `causal` (default: True for the\n"
    "    seq-to-seq head only) makes the blocks causal.",
    {
        "num_heads": 2,
        "key_dim": None,
        "ff_dim": None,
        "pooling": "attention",
        "causal": None,
    },
)
def build_attention(spec, opts):
    spec.no_recurrent_dropout()
    owner = spec.owner
    num_heads = check_units(owner, opts["num_heads"], "num_heads")
    key_dim = _or_default(
        owner, "key_dim", opts["key_dim"], max(1, spec.units // num_heads)
    )
    pooling = check_choice(
        owner, "pooling", opts["pooling"], ("attention", "last")
    )
    causal = opts["causal"]
    if causal is None:
        causal = spec.sequences
    elif spec.sequences and not causal:
        raise ValueError(
            f"{owner}: the seq_to_seq head needs causal blocks (the output "
            "at step t must not see later steps), got causal=False."
        )
    if pooling == "last" and not spec.sequences:
        inputs, x = fixed_window_inputs(spec, "attention")
    else:
        inputs = x = model_inputs(spec)
    x = layers.Dense(spec.units, name="projection")(x)
    x = PositionalEncoding(name="positions")(x)
    for i in range(spec.layers_deep()):
        x = AttentionBlock(
            num_heads,
            key_dim,
            ff_dim=opts["ff_dim"],
            causal=causal,
            dropout=spec.dropout,
            name=f"attention_{i}",
        )(x)
    if not spec.sequences:
        if pooling == "attention":
            x = AttentionPooling(spec.units, name="pooling")(x)
        else:
            window = spec.timesteps
            x = layers.Cropping1D((window - 1, 0), name="last_step")(x)
            x = layers.Flatten(name="flatten")(x)
    return keras.Model(inputs, output_head(x, spec), name="attention")


@register(
    "bidirectional",
    "`keras.layers.Bidirectional` LSTM or GRU layer(s) (`cell`), with\n"
    "    `merge_mode`. Not causal, so no seq-to-seq head.",
    {"cell": "lstm", "merge_mode": "concat"},
)
def build_bidirectional(spec, opts):
    owner = spec.owner
    cell = check_choice(owner, "cell", opts["cell"], ("lstm", "gru"))
    if spec.sequences:
        raise ValueError(
            f"{owner}: a bidirectional layer sees the whole window, so its "
            "output at step t depends on later steps: it has no "
            "(causal) seq_to_seq head."
        )
    inputs = model_inputs(spec)
    x = inputs
    depth = spec.layers_deep()
    for i in range(depth):
        x = layers.Bidirectional(
            recurrent_layer(
                cell,
                spec.units,
                return_sequences=i < depth - 1,
                dropout=spec.dropout,
                recurrent_dropout=spec.recurrent_dropout,
            ),
            merge_mode=opts["merge_mode"],
            name=f"bidirectional_{i}",
        )(x)
    return keras.Model(inputs, output_head(x, spec), name="bidirectional")
