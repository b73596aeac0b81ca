"""The pieces builders share: inputs, the output head, recurrent stacks."""

import keras
from keras import layers

from keras_seqlab.layers.heads.quantiles import QuantileHead
from keras_seqlab.layers.heads.window import FixedWindow
from keras_seqlab.layers.recurrent.esn import ESN
from keras_seqlab.layers.recurrent.gru_variants import GRUVariant
from keras_seqlab.layers.recurrent.ln_lstm import LayerNormLSTM
from keras_seqlab.layers.recurrent.ln_simple_rnn import LNSimpleRNN
from keras_seqlab.layers.recurrent.min_rnn import MinGRU
from keras_seqlab.layers.recurrent.min_rnn import MinLSTM
from keras_seqlab.layers.recurrent.nas import NAS
from keras_seqlab.layers.recurrent.peephole_lstm import PeepholeLSTM
from keras_seqlab.utils.validation import check_choice

# The recurrent layer of each cell name: Keras's three, then this
# package's.
RECURRENT_LAYERS = {
    "simple_rnn": layers.SimpleRNN,
    "lstm": layers.LSTM,
    "gru": layers.GRU,
    "ln_simple_rnn": LNSimpleRNN,
    "peephole_lstm": PeepholeLSTM,
    "ln_lstm": LayerNormLSTM,
    "nas": NAS,
    "esn": ESN,
    "gru_variant": GRUVariant,
    "min_gru": MinGRU,
    "min_lstm": MinLSTM,
}
RECURRENT_CELLS = tuple(RECURRENT_LAYERS)


def model_inputs(spec):
    """The `keras.Input` of a builder's model."""
    return keras.Input(spec.input_shape, name="inputs")


def fixed_window_inputs(spec, name):
    """`(inputs, checked)` of a model that needs exactly `spec`'s window:
    the `keras.Input` and a `FixedWindow` applied to it."""
    window = spec.fixed_window()
    inputs = model_inputs(spec)
    checked = FixedWindow(window, name, name="fixed_window")(inputs)
    return inputs, checked


def output_head(x, spec):
    """Dense output layer and reshape to the head's shape (see module doc).

    `x` is `(batch, F)`, or `(batch, T, F)` for the seq-to-seq head (a Dense
    on a 3-D input is the same Dense at every step). With
    `spec.quantiles`, the Dense has Q times as many outputs and
    `quantile_outputs` adds the trailing quantile axis.
    """
    size = head_size(spec) * len(spec.quantiles or (None,))
    return shaped_output(layers.Dense(size, name="head")(x), spec)


def head_size(spec):
    """How many values one (step's) point forecast holds: n or H * n."""
    if spec.head == "many_to_one":
        return spec.n_targets
    return spec.horizon * spec.n_targets


def target_shape(spec):
    """One sample's (one step's) point-forecast shape: (n,), (H,), (H, n)."""
    if spec.head == "many_to_one":
        return (spec.n_targets,)
    if spec.n_targets == 1:
        return (spec.horizon,)
    return (spec.horizon, spec.n_targets)


def quantile_outputs(y, spec, steps=-1):
    """Raw quantile values `(batch, [T,] size * Q)` to ordered quantiles.

    A `Reshape` to the head's shape plus a trailing axis of size Q, then a
    `QuantileHead` (named "quantiles"): `(batch, n, Q)` for many_to_one,
    `(batch, H, Q)` / `(batch, H, n, Q)` for seq_to_vector and
    `(batch, T, H, Q)` / `(batch, T, H, n, Q)` for seq_to_seq (`steps` is
    the T given to the `Reshape`, -1 for "whatever the input has").
    """
    shape = target_shape(spec) + (len(spec.quantiles),)
    if spec.sequences:
        shape = (steps,) + shape
    y = layers.Reshape(shape, name="quantile_reshape")(y)
    return QuantileHead(spec.quantiles, name="quantiles")(y)


def recurrent_layer(
    cell,
    units,
    return_sequences=False,
    dropout=0.0,
    recurrent_dropout=0.0,
    name=None,
    **options,
):
    """One recurrent layer by cell name (see `RECURRENT_LAYERS`).

    Args:
        cell: `"simple_rnn"`, `"lstm"`, `"gru"` (Keras's layers),
            `"ln_simple_rnn"`, `"peephole_lstm"`, `"ln_lstm"`, `"nas"`,
            `"esn"`, `"gru_variant"`, `"min_gru"` or `"min_lstm"`
            (keras_seqlab's).
        units, return_sequences, dropout, recurrent_dropout, name: passed
            to the layer.
        **options: further constructor arguments of that layer, e.g.
            `activation="relu"` or `variant="mgu"`.

    Returns:
        The layer (not yet called).
    """
    check_choice("recurrent_layer", "cell", cell, RECURRENT_CELLS)
    common = dict(
        return_sequences=return_sequences,
        dropout=dropout,
        recurrent_dropout=recurrent_dropout,
        name=name,
        **options,
    )
    return RECURRENT_LAYERS[cell](units, **common)


OUTPUTS = ("dense", "recurrent")


def recurrent_stack(x, spec, cell, depth, output="dense", **options):
    """`depth` recurrent layers; the last returns sequences for seq_to_seq.

    With `output="recurrent"` the last layer has as many units as the head
    has values (`n_targets * horizon`, times Q with quantiles) and is the
    model's output (the textbook's `SimpleRNN(1)` output layer); a NAS
    cell's `projection` does not apply to it.
    """
    output = check_choice(spec.owner, "output", output, OUTPUTS)
    for i in range(depth):
        units, layer_options = spec.units, options
        if output == "recurrent" and i == depth - 1:
            units = head_size(spec) * len(spec.quantiles or (None,))
            if "projection" in options:
                layer_options = {**options, "projection": None}
        x = recurrent_layer(
            cell,
            units,
            return_sequences=spec.sequences or i < depth - 1,
            dropout=spec.dropout,
            recurrent_dropout=spec.recurrent_dropout,
            name=f"{cell}_{i}",
            **layer_options,
        )(x)
    return x


def shaped_output(y, spec):
    """The head's shape for `y`, the last layer's `(batch, [T,] size)`
    output that already has the head's values (a recurrent output layer):
    the same reshape and quantile ordering as `output_head`, no Dense."""
    if spec.quantiles is not None:
        return quantile_outputs(y, spec)
    if spec.head == "many_to_one" or spec.n_targets == 1:
        return y
    if spec.head == "seq_to_vector":
        return layers.Reshape((spec.horizon, spec.n_targets))(y)
    return layers.Reshape((-1, spec.horizon, spec.n_targets))(y)


def recurrent_head(x, spec, output):
    """`output_head` for `output="dense"`, `shaped_output` otherwise."""
    return output_head(x, spec) if output == "dense" else shaped_output(x, spec)


def recurrent_model(
    name, spec, cell, default_depth=1, output="dense", **options
):
    """Input, `recurrent_stack`, and the Dense head (`output="dense"`) or
    the last recurrent layer as the output (`output="recurrent"`)."""
    output = check_choice(spec.owner, "output", output, OUTPUTS)
    if cell == "esn" and output == "recurrent":
        raise ValueError(
            f"{spec.owner}: output='recurrent' would make a fixed random "
            "reservoir the output (an ESN trains its Dense head only); "
            "expected output='dense', got 'recurrent'."
        )
    inputs = model_inputs(spec)
    depth = spec.layers_deep(default_depth)
    x = recurrent_stack(inputs, spec, cell, depth, output, **options)
    return keras.Model(inputs, recurrent_head(x, spec, output), name=name)
