"""The builders: every architecture of the teaching material.

Each is registered under its name (`keras_seqlab.models.build(name, ...)`)
with the common signature documented in `keras_seqlab.models`.
"""

import keras
from keras import layers

from keras_seqlab.layers.attention.block import AttentionBlock
from keras_seqlab.layers.attention.pooling import AttentionPooling
from keras_seqlab.layers.attention.positional import PositionalEncoding
from keras_seqlab.layers.convolutional.tcn_stack import TCN
from keras_seqlab.layers.convolutional.wavenet_stack import WaveNet
from keras_seqlab.layers.heads.persistence import Persistence
from keras_seqlab.layers.heads.persistence import check_target_index
from keras_seqlab.layers.heads.quantiles import RepeatQuantiles
from keras_seqlab.models.parts import OUTPUTS
from keras_seqlab.models.parts import fixed_window_inputs
from keras_seqlab.models.parts import head_size
from keras_seqlab.models.parts import model_inputs
from keras_seqlab.models.parts import output_head
from keras_seqlab.models.parts import quantile_outputs
from keras_seqlab.models.parts import recurrent_head
from keras_seqlab.models.parts import recurrent_layer
from keras_seqlab.models.parts import recurrent_stack
from keras_seqlab.models.registry import register
from keras_seqlab.utils.validation import check_choice
from keras_seqlab.utils.validation import check_positive_ints
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
    hidden = check_positive_ints(spec.owner, "hidden", hidden)
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


# The recurrent builders register here, so `names()` keeps its order.
from keras_seqlab.models import recurrent_builders  # noqa: E402, F401

PADDINGS = ("causal", "valid", "same")


def conv_targets(y, kernel_size, strides=1, padding="causal"):
    """Seq-to-seq targets `(N, T, ...)` cut to a `Conv1D`'s output steps.

    A conv with strides s (or valid padding) gives fewer steps than its
    input; its output step j ends at input step j*s + k - 1 (valid) or
    j*s (causal), so the targets are `y[:, k-1::s]` (valid: the
    textbook's `Y[:, 3::2]` for kernel 4, strides 2) or `y[:, ::s]`
    (causal). `"same"` padding sees later steps, so it has no causal
    targets and is refused. The result has as many steps as
    `build("conv_gru", ..., head="seq_to_seq", kernel_size=k, strides=s,
    padding=p)` outputs for the same T.

    Args:
        y: array of rank >= 2, (samples, steps, ...).
        kernel_size, strides: positive integers, the conv's.
        padding: `"causal"` or `"valid"`.

    Returns:
        `y` sliced along axis 1 (a view for NumPy arrays).
    """
    owner = "conv_targets"
    kernel_size = check_units(owner, kernel_size, "kernel_size")
    strides = check_units(owner, strides, "strides")
    padding = check_choice(owner, "padding", padding, ("causal", "valid"))
    if len(getattr(y, "shape", ())) < 2:
        raise ValueError(
            f"{owner}: expected targets of rank >= 2 (samples, steps, ...), "
            f"got shape {getattr(y, 'shape', None)!r}."
        )
    start = kernel_size - 1 if padding == "valid" else 0
    return y[:, start::strides]


@register(
    "conv_gru",
    "A `Conv1D` front end, then GRU layer(s) (the textbook's Conv1D + GRU\n"
    "    forecaster).\n\n"
    "    `Conv1D(filters, kernel_size, strides, padding)` (filters default:\n"
    '    `units`; padding `"causal"` (default), `"valid"` or `"same"`),\n'
    "    then `depth` GRU layers. Strides > 1 or valid padding shorten the\n"
    "    sequence: the seq-to-seq head then forecasts at the conv's output\n"
    "    steps; cut the targets with `keras_seqlab.models.conv_targets`.\n"
    "    The textbook's Conv1D(20, 4, strides=2, valid) + GRU(20) x 2 +\n"
    "    Dense(10) on `Y[:, 3::2]`: `build_conv_gru((None, 1), units=20,\n"
    '    depth=2, strides=2, padding="valid", head="seq_to_seq",\n'
    '    horizon=10)`. `"same"` padding sees later steps: vector heads\n'
    "    only. `output` as for the recurrent builders.",
    {
        "filters": None,
        "kernel_size": 4,
        "strides": 1,
        "padding": "causal",
        "output": "dense",
    },
)
def build_conv_gru(spec, opts):
    owner = spec.owner
    filters = _or_default(owner, "filters", opts["filters"], spec.units)
    kernel_size = check_units(owner, opts["kernel_size"], "kernel_size")
    strides = check_units(owner, opts["strides"], "strides")
    padding = check_choice(owner, "padding", opts["padding"], PADDINGS)
    output = check_choice(owner, "output", opts["output"], OUTPUTS)
    if spec.sequences and padding == "same":
        raise ValueError(
            f"{owner}: the seq_to_seq head must be causal; expected padding "
            "'causal' or 'valid', got 'same' (its output at step t sees "
            "later steps)."
        )
    if (
        padding == "valid"
        and spec.timesteps is not None
        and spec.timesteps < kernel_size
    ):
        raise ValueError(
            f"{owner}: valid padding needs windows of at least kernel_size="
            f"{kernel_size} steps, got timesteps={spec.timesteps}."
        )
    inputs = model_inputs(spec)
    x = layers.Conv1D(
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        name="conv",
    )(inputs)
    x = recurrent_stack(x, spec, "gru", spec.layers_deep(), output)
    y = recurrent_head(x, spec, output)
    return keras.Model(inputs, y, name="conv_gru")


@register(
    "wavenet",
    "A `keras_seqlab.WaveNet` stack and a dense head.\n\n"
    "    `WaveNet(filters, dilations, kernel_size, gated)` with filters\n"
    "    default `units` and dilations default `(1, 2, 4, 8) * depth`\n"
    "    (depth default 2, as the `WaveNet` layer's default and the\n"
    "    textbook's); the last step's output feeds the vector heads,\n"
    "    every step's the seq-to-seq head (causal). `gated=False` is the\n"
    "    textbook's plain causal ReLU stack: its WaveNet (Conv1D(20, 2,\n"
    "    causal, relu) for dilations (1, 2, 4, 8) * 2, then Conv1D(10, 1))\n"
    "    is `build_wavenet((None, 1), gated=False, units=20,\n"
    '    head="seq_to_seq", horizon=10)`. `Dropout(dropout)` before the\n'
    "    head.",
    {"filters": None, "kernel_size": 2, "dilations": None, "gated": True},
)
def build_wavenet(spec, opts):
    spec.no_recurrent_dropout()
    dilations = opts["dilations"]
    if dilations is None:
        dilations = (1, 2, 4, 8) * spec.layers_deep(2)
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
    "tcn",
    "A `keras_seqlab.TCN` (keras-tcn's temporal convolutional network)\n"
    "    and a dense head.\n\n"
    "    `TCN(filters, kernel_size, nb_stacks=depth, dilations, padding,\n"
    "    use_skip_connections, dropout_rate, normalization)` with filters\n"
    "    default `units`, dilations default (1, 2, 4, 8), depth (the\n"
    '    number of stacks) default 1; `normalization` is None, "batch",\n'
    '    "layer" or "weight". The last step\'s output (the middle step\'s\n'
    '    with padding="same", for classification) feeds the vector heads,\n'
    "    every step's the seq-to-seq head, which needs causal padding.\n"
    "    `Dropout(dropout)` before the head.",
    {
        "filters": None,
        "kernel_size": 3,
        "dilations": (1, 2, 4, 8),
        "padding": "causal",
        "use_skip_connections": True,
        "dropout_rate": 0.0,
        "normalization": None,
    },
)
def build_tcn(spec, opts):
    spec.no_recurrent_dropout()
    owner = spec.owner
    filters = _or_default(owner, "filters", opts["filters"], spec.units)
    norm = check_choice(
        owner, "normalization", opts["normalization"], NORMALIZATIONS
    )
    if spec.sequences and opts["padding"] != "causal":
        raise ValueError(
            f"{owner}: the seq-to-seq head needs padding='causal' (with "
            f"{opts['padding']!r} a step's output sees later steps: their "
            "targets leak into it)."
        )
    inputs = model_inputs(spec)
    x = TCN(
        filters,
        kernel_size=opts["kernel_size"],
        nb_stacks=spec.layers_deep(1),
        dilations=opts["dilations"],
        padding=opts["padding"],
        use_skip_connections=opts["use_skip_connections"],
        dropout_rate=opts["dropout_rate"],
        return_sequences=spec.sequences,
        use_batch_norm=norm == "batch",
        use_layer_norm=norm == "layer",
        use_weight_norm=norm == "weight",
        name="tcn",
    )(inputs)
    if spec.dropout:
        x = layers.Dropout(spec.dropout, name="dropout")(x)
    return keras.Model(inputs, output_head(x, spec), name="tcn")


NORMALIZATIONS = (None, "batch", "layer", "weight")


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
