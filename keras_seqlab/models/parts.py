"""The pieces builders share: inputs, the output head, recurrent stacks."""

import keras
from keras import layers

from keras_seqlab.layers.gru_variants import GRUVariant
from keras_seqlab.layers.ln_simple_rnn import LNSimpleRNN
from keras_seqlab.layers.min_rnn import MinGRU
from keras_seqlab.layers.min_rnn import MinLSTM
from keras_seqlab.layers.peephole_lstm import PeepholeLSTM
from keras_seqlab.layers.quantiles import QuantileHead
from keras_seqlab.utils.validation import check_choice

RECURRENT_CELLS = (
    "simple_rnn",
    "lstm",
    "gru",
    "ln_simple_rnn",
    "peephole_lstm",
    "gru_variant",
    "min_gru",
    "min_lstm",
)


def model_inputs(spec):
    """The `keras.Input` of a builder's model."""
    return keras.Input(spec.input_shape, name="inputs")


def output_head(x, spec):
    """Dense output layer and reshape to the head's shape (see module doc).

    `x` is `(batch, F)`, or `(batch, T, F)` for the seq-to-seq head (a Dense
    on a 3-D input is the same Dense at every step). With
    `spec.quantiles`, the Dense has Q times as many outputs and
    `quantile_outputs` adds the trailing quantile axis.
    """
    if spec.quantiles is not None:
        size = head_size(spec) * len(spec.quantiles)
        return quantile_outputs(layers.Dense(size, name="head")(x), spec)
    if spec.head == "many_to_one":
        return layers.Dense(spec.n_targets, name="head")(x)
    y = layers.Dense(spec.horizon * spec.n_targets, name="head")(x)
    if spec.n_targets == 1:
        return y
    if spec.head == "seq_to_vector":
        return layers.Reshape((spec.horizon, spec.n_targets))(y)
    return layers.Reshape((-1, spec.horizon, spec.n_targets))(y)


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
    """One recurrent layer by cell name (see `RECURRENT_CELLS`).

    Args:
        cell: `"simple_rnn"`, `"lstm"`, `"gru"` (Keras's layers),
            `"ln_simple_rnn"`, `"peephole_lstm"`, `"gru_variant"`,
            `"min_gru"` or `"min_lstm"` (keras_seqlab's).
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
    if cell == "simple_rnn":
        return layers.SimpleRNN(units, **common)
    if cell == "lstm":
        return layers.LSTM(units, **common)
    if cell == "gru":
        return layers.GRU(units, **common)
    classes = {
        "ln_simple_rnn": LNSimpleRNN,
        "peephole_lstm": PeepholeLSTM,
        "gru_variant": GRUVariant,
        "min_gru": MinGRU,
        "min_lstm": MinLSTM,
    }
    return classes[cell](units, **common)


def recurrent_stack(x, spec, cell, depth, **options):
    """`depth` recurrent layers; the last returns sequences for seq_to_seq."""
    for i in range(depth):
        x = recurrent_layer(
            cell,
            spec.units,
            return_sequences=spec.sequences or i < depth - 1,
            dropout=spec.dropout,
            recurrent_dropout=spec.recurrent_dropout,
            name=f"{cell}_{i}",
            **options,
        )(x)
    return x


def recurrent_model(name, spec, cell, default_depth=1, **options):
    inputs = model_inputs(spec)
    x = recurrent_stack(
        inputs, spec, cell, spec.layers_deep(default_depth), **options
    )
    return keras.Model(inputs, output_head(x, spec), name=name)
