"""Model builders: every architecture of the teaching material, one signature.

Every forecasting builder is called the same way,

    build_<name>(input_shape, head="many_to_one", horizon=1, units=32,
                 depth=None, dropout=0.0, recurrent_dropout=0.0,
                 n_targets=1, **options)

and returns an uncompiled functional `keras.Model` made of Keras layers and
keras_seqlab layers only (no `Lambda`), so `model.save("m.keras")` and
`keras.saving.load_model("m.keras", safe_mode=True)` round-trip. `build(name,
...)` looks the builder up by name; `names()` lists them.

Heads and output shapes (T = window length, H = `horizon`, n =
`n_targets`):

    head              output (one target; n > 1 targets)
    many_to_one       (batch, 1);     (batch, n)
    seq_to_vector     (batch, H);     (batch, H, n)
    seq_to_seq        (batch, T, H);  (batch, T, H, n)

which are the shapes of `make_windows(..., horizon=H)` targets for one
target column (`(N, 1)`, `(N, H)`, with `seq2seq=True` `(N, T, H)`) and
for n target columns (`(N, H, n)`, `(N, T, H, n)`).

`"many_to_one"` is the next value (H = 1); for several target columns
`make_windows` gives `(N, 1, n)`, use `y[:, 0]` (or the `"seq_to_vector"`
head with `horizon=1`, which keeps that axis). `"seq_to_seq"` puts a
forecast of the next H values at every input step, with a `Dense` applied
at each step of `return_sequences` outputs (what `TimeDistributed(Dense)`
computes); every seq-to-seq model here is causal: the output at step t
depends on inputs up to step t only (a bidirectional layer is not, and has
no seq-to-seq head).
"""

import numbers

import keras
import numpy as np
from keras import layers
from keras import ops

from keras_seqlab._export import seqlab_export
from keras_seqlab._validation import check_choice
from keras_seqlab._validation import check_rate
from keras_seqlab._validation import check_units

HEADS = ("many_to_one", "seq_to_vector", "seq_to_seq")

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


# -- the persistence layer -----------------------------------------------------


def _check_index(owner, target_index):
    """`target_index` as an int or a non-empty tuple of ints."""
    items = (
        [target_index]
        if isinstance(target_index, numbers.Number)
        else target_index
    )
    try:
        items = list(items)
    except TypeError:
        items = None
    if not items or any(
        isinstance(i, bool) or not isinstance(i, numbers.Integral)
        for i in items
    ):
        raise ValueError(
            f"{owner}: `target_index` must be a column index (int) or a "
            f"non-empty list of them, got {target_index!r}."
        )
    if isinstance(target_index, numbers.Integral):
        return int(target_index)
    return tuple(int(i) for i in items)


@seqlab_export
class Persistence(layers.Layer):
    """The naive forecast: the last observed value, repeated.

    For inputs x of shape `(batch, T, k)` and target column(s) c, the
    forecast of each of the next H = `horizon` steps is x[:, T-1, c], the
    last step's value. With `return_sequences=True` every step t gets the
    forecast x[:, t, c] (the seq-to-seq baseline). No weights.

    Output shapes follow `make_windows`: for one target column (an int
    `target_index`) `(batch, H)`, or `(batch, T, H)` with
    `return_sequences`; for a list of n columns `(batch, H, n)` or
    `(batch, T, H, n)`.

    Args:
        target_index: the input column (int) or columns (list of ints)
            that hold the target; negative indices count from the end.
        horizon: positive integer, the number of steps forecast.
        return_sequences: forecast at every step (True) or from the last
            step only (False).

    Example:

    >>> layer = keras_seqlab.models.Persistence(target_index=1, horizon=3)
    >>> x = np.arange(12.0).reshape(1, 4, 3)
    >>> keras.ops.convert_to_numpy(layer(x)).tolist()
    [[10.0, 10.0, 10.0]]
    """

    def __init__(
        self, target_index=0, horizon=1, return_sequences=False, **kwargs
    ):
        super().__init__(**kwargs)
        owner = self.__class__.__name__
        self.target_index = _check_index(owner, target_index)
        self.horizon = check_units(owner, horizon, "horizon")
        self.return_sequences = bool(return_sequences)

    def _columns(self, features):
        single = isinstance(self.target_index, int)
        indices = (self.target_index,) if single else self.target_index
        if features is not None:
            for index in indices:
                if not -features <= index < features:
                    raise ValueError(
                        f"{self.__class__.__name__} '{self.name}': "
                        f"target_index {index} is out of range for inputs "
                        f"with {features} features."
                    )
            indices = tuple(i % features for i in indices)
        return indices, single

    def _check(self, shape):
        shape = tuple(shape)
        if len(shape) != 3:
            raise ValueError(
                f"{self.__class__.__name__} '{self.name}': expected inputs "
                f"of rank 3 (batch, timesteps, features), got shape {shape}."
            )
        return self._columns(shape[-1])

    def build(self, inputs_shape):
        self._check(inputs_shape)

    def call(self, inputs):
        indices, single = self._check(inputs.shape)
        values = ops.take(inputs, list(indices), axis=-1)  # (b, T, n)
        if not self.return_sequences:
            values = values[:, -1:, :]
        values = ops.repeat(ops.expand_dims(values, -2), self.horizon, -2)
        if not self.return_sequences:
            values = values[:, 0]
        if single:
            values = values[..., 0]
        return values

    def compute_output_shape(self, inputs_shape):
        indices, single = self._check(inputs_shape)
        shape = (inputs_shape[0],)
        if self.return_sequences:
            shape += (inputs_shape[1],)
        shape += (self.horizon,)
        return shape if single else shape + (len(indices),)

    def get_config(self):
        target_index = self.target_index
        if not isinstance(target_index, int):
            target_index = list(target_index)
        config = {
            "target_index": target_index,
            "horizon": self.horizon,
            "return_sequences": self.return_sequences,
        }
        return {**super().get_config(), **config}


# -- argument checks -----------------------------------------------------------


class _Spec:
    """The checked common arguments of one builder call."""

    def __init__(
        self,
        owner,
        input_shape,
        head,
        horizon,
        units,
        depth,
        dropout,
        recurrent_dropout,
        n_targets,
    ):
        self.owner = owner
        self.input_shape = _check_input_shape(owner, input_shape)
        self.timesteps, self.features = self.input_shape
        self.head = check_choice(owner, "head", head, HEADS)
        self.horizon = check_units(owner, horizon, "horizon")
        if self.head == "many_to_one" and self.horizon != 1:
            raise ValueError(
                f"{owner}: the 'many_to_one' head forecasts one step, got "
                f"horizon={horizon!r}; use head='seq_to_vector' for the "
                "next H values."
            )
        self.units = check_units(owner, units)
        self.depth = (
            None if depth is None else check_units(owner, depth, "depth")
        )
        self.dropout = check_rate(owner, "dropout", dropout)
        self.recurrent_dropout = check_rate(
            owner, "recurrent_dropout", recurrent_dropout
        )
        self.n_targets = check_units(owner, n_targets, "n_targets")

    @property
    def sequences(self):
        """Whether the body must return one output per step."""
        return self.head == "seq_to_seq"

    def layers_deep(self, default=1):
        return self.depth if self.depth is not None else default

    def no_recurrent_dropout(self):
        if self.recurrent_dropout:
            raise ValueError(
                f"{self.owner}: `recurrent_dropout` applies to recurrent "
                f"layers only; this model has none (got "
                f"{self.recurrent_dropout!r})."
            )

    def no_dropout(self):
        if self.dropout:
            raise ValueError(
                f"{self.owner}: this model has no layer to apply "
                f"`dropout` to (got {self.dropout!r})."
            )

    def no_depth(self):
        if self.depth not in (None, 1):
            raise ValueError(
                f"{self.owner}: this model has no stacked layers; `depth` "
                f"must be None or 1, got {self.depth!r}."
            )

    def fixed_window(self):
        if self.timesteps is None:
            raise ValueError(
                f"{self.owner}: needs a fixed window length, got "
                f"input_shape {self.input_shape} (timesteps None)."
            )
        return self.timesteps


def _check_input_shape(owner, input_shape):
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = None
    if shape is None or len(shape) != 2:
        raise ValueError(
            f"{owner}: `input_shape` must be (timesteps, features) without "
            f"the batch axis, got {input_shape!r}."
        )
    timesteps, features = shape
    if timesteps is not None:
        timesteps = check_units(owner, timesteps, "input_shape[0] (timesteps)")
    features = check_units(owner, features, "input_shape[1] (features)")
    return timesteps, features


def _options(owner, options, allowed):
    """`allowed` (name → default) updated by `options`; unknown names raise."""
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        known = ", ".join(sorted(allowed)) or "none"
        raise ValueError(
            f"{owner}: unknown option(s) {', '.join(map(repr, unknown))}; "
            f"this builder takes: {known}."
        )
    return {**allowed, **options}


def _positive_ints(owner, name, values):
    try:
        items = tuple(values)
    except TypeError:
        items = ()
    if not items:
        raise ValueError(
            f"{owner}: `{name}` must be a non-empty sequence of positive "
            f"integers, got {values!r}."
        )
    return tuple(check_units(owner, v, name) for v in items)


# -- shared pieces -------------------------------------------------------------


def _inputs(spec):
    return keras.Input(spec.input_shape, name="inputs")


def _head(x, spec):
    """Dense output layer and reshape to the head's shape (see module doc).

    `x` is `(batch, F)`, or `(batch, T, F)` for the seq-to-seq head (a Dense
    on a 3-D input is the same Dense at every step).
    """
    if spec.head == "many_to_one":
        return layers.Dense(spec.n_targets, name="head")(x)
    y = layers.Dense(spec.horizon * spec.n_targets, name="head")(x)
    if spec.n_targets == 1:
        return y
    if spec.head == "seq_to_vector":
        return layers.Reshape((spec.horizon, spec.n_targets))(y)
    return layers.Reshape((-1, spec.horizon, spec.n_targets))(y)


def _model(inputs, outputs, name):
    return keras.Model(inputs, outputs, name=name)


def _min_rnn(owner, cls_name):
    try:
        from keras_seqlab import min_rnn
    except ImportError as error:
        raise ImportError(
            f"{owner}: needs keras_seqlab.min_rnn ({cls_name}), which this "
            f"installation lacks: {error}"
        ) from None
    return getattr(min_rnn, cls_name)


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
    from keras_seqlab.gru_variants import GRUVariant
    from keras_seqlab.ln_simple_rnn import LNSimpleRNN
    from keras_seqlab.peephole_lstm import PeepholeLSTM

    classes = {
        "ln_simple_rnn": LNSimpleRNN,
        "peephole_lstm": PeepholeLSTM,
        "gru_variant": GRUVariant,
    }
    if cell in classes:
        return classes[cell](units, **common)
    cls_name = "MinGRU" if cell == "min_gru" else "MinLSTM"
    return _min_rnn(f"recurrent_layer({cell!r})", cls_name)(units, **common)


def _recurrent_stack(x, spec, cell, depth, **options):
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


def _recurrent_model(name, spec, cell, default_depth=1, **options):
    inputs = _inputs(spec)
    x = _recurrent_stack(
        inputs, spec, cell, spec.layers_deep(default_depth), **options
    )
    return _model(inputs, _head(x, spec), name)


def _builder(name, doc, allowed=None):
    """Decorates `body(spec, opts)` into a builder with the one signature."""
    allowed = allowed or {}

    def decorate(body):
        def builder(
            input_shape,
            head="many_to_one",
            horizon=1,
            units=32,
            depth=None,
            dropout=0.0,
            recurrent_dropout=0.0,
            n_targets=1,
            **options,
        ):
            owner = f"build_{name}"
            spec = _Spec(
                owner,
                input_shape,
                head,
                horizon,
                units,
                depth,
                dropout,
                recurrent_dropout,
                n_targets,
            )
            return body(spec, _options(owner, options, allowed))

        builder.__name__ = builder.__qualname__ = f"build_{name}"
        builder.__doc__ = doc + _COMMON_ARGS + _options_doc(allowed)
        builder.options = dict(allowed)
        builder.architecture = name
        _REGISTRY[name] = builder
        return builder

    return decorate


_REGISTRY = {}

_COMMON_ARGS = """

    Args:
        input_shape: `(timesteps, features)`, without the batch axis;
            timesteps may be None where the model allows it.
        head: `"many_to_one"`, `"seq_to_vector"` or `"seq_to_seq"` (see
            the module docstring for the output shapes).
        horizon: positive integer, the number of steps forecast (1 for
            `"many_to_one"`).
        units: positive integer, the width of the hidden layers.
        depth: the number of stacked layers; None for the architecture's
            default (2 for the `stacked_*` builders, 1 otherwise).
        dropout: dropout rate in [0, 1).
        recurrent_dropout: recurrent dropout rate in [0, 1) (recurrent
            layers only).
        n_targets: positive integer, the number of target columns.
"""


def _options_doc(allowed):
    if not allowed:
        return "        **options: none.\n"
    text = "        **options:"
    for key, value in allowed.items():
        text += f" `{key}` (default {value!r}),"
    return text.rstrip(",") + ".\n"


# -- the builders --------------------------------------------------------------


@_builder(
    "persistence",
    "The naive baseline: the last value of the target column(s).\n\n"
    "    A `Persistence` layer, no weights; `units` is not used. Options:\n"
    "    `target_index`, the input column(s) holding the target (an int,\n"
    "    or a list of `n_targets` ints).",
    {"target_index": 0},
)
def build_persistence(spec, opts):
    spec.no_dropout()
    spec.no_recurrent_dropout()
    spec.no_depth()
    index = _check_index(spec.owner, opts["target_index"])
    count = 1 if isinstance(index, int) else len(index)
    if count != spec.n_targets:
        raise ValueError(
            f"{spec.owner}: `target_index` {index!r} names {count} "
            f"column(s), n_targets is {spec.n_targets}."
        )
    inputs = _inputs(spec)
    y = Persistence(
        index,
        horizon=spec.horizon,
        return_sequences=spec.sequences,
        name="persistence",
    )(inputs)
    if spec.head == "many_to_one" and spec.n_targets > 1:
        y = layers.Reshape((spec.n_targets,))(y)
    return _model(inputs, y, "persistence")


@_builder(
    "linear",
    "Linear regression on the flattened window (the linear baseline).\n\n"
    "    `Flatten` + `Dense`; for the seq-to-seq head the same linear map\n"
    "    of the last T steps at every step (a causal `Conv1D` with kernel\n"
    "    size T, zeros before the start). `units` is not used; the window\n"
    "    length must be fixed.",
)
def build_linear(spec, opts):
    spec.no_dropout()
    spec.no_recurrent_dropout()
    spec.no_depth()
    window = spec.fixed_window()
    inputs = _inputs(spec)
    if spec.sequences:
        x = layers.Conv1D(
            spec.horizon * spec.n_targets,
            window,
            padding="causal",
            name="head",
        )(inputs)
        if spec.n_targets > 1:
            x = layers.Reshape((window, spec.horizon, spec.n_targets))(x)
        return _model(inputs, x, "linear")
    x = layers.Flatten(name="flatten")(inputs)
    return _model(inputs, _head(x, spec), "linear")


@_builder(
    "dense",
    "A dense network on the flattened window (e.g. 100-50-1).\n\n"
    "    `Flatten`, then `Dense(h, activation)` for h in `hidden` (default\n"
    "    `(units,) * depth`), each followed by `Dropout(dropout)` when\n"
    "    dropout > 0, then the head. For the seq-to-seq head the first\n"
    "    layer is a causal `Conv1D` with kernel size T (the same network on\n"
    "    the last T steps, at every step). The window length must be fixed.",
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
    hidden = _positive_ints(spec.owner, "hidden", hidden)
    inputs = _inputs(spec)
    x = inputs
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
    return _model(inputs, _head(x, spec), "dense")


@_builder(
    "simple_rnn",
    "`keras.layers.SimpleRNN` layer(s) and a dense head.\n\n"
    "    E.g. the classic SimpleRNN(16, relu) + Dense(1):\n"
    '    `build_simple_rnn((None, 9), units=16, activation="relu")`.',
    {"activation": "tanh"},
)
def build_simple_rnn(spec, opts):
    return _recurrent_model("simple_rnn", spec, "simple_rnn", **opts)


@_builder(
    "stacked_rnn",
    "Stacked `keras.layers.SimpleRNN` layers (default depth 2).",
    {"activation": "tanh"},
)
def build_stacked_rnn(spec, opts):
    return _recurrent_model("stacked_rnn", spec, "simple_rnn", 2, **opts)


@_builder("lstm", "`keras.layers.LSTM` layer(s) and a dense head.")
def build_lstm(spec, opts):
    return _recurrent_model("lstm", spec, "lstm")


@_builder(
    "stacked_lstm",
    "Stacked `keras.layers.LSTM` layers (default depth 2).\n\n"
    "    E.g. two LSTM(7) + Dense(1): `build_stacked_lstm((None, 9),\n"
    "    units=7)`.",
)
def build_stacked_lstm(spec, opts):
    return _recurrent_model("stacked_lstm", spec, "lstm", 2)


@_builder("gru", "`keras.layers.GRU` layer(s) and a dense head.")
def build_gru(spec, opts):
    return _recurrent_model("gru", spec, "gru")


@_builder(
    "ln_simple_rnn",
    "`keras_seqlab.LNSimpleRNN` (layer-normalized SimpleRNN) layer(s).",
    {"activation": "tanh", "form": "textbook"},
)
def build_ln_simple_rnn(spec, opts):
    return _recurrent_model("ln_simple_rnn", spec, "ln_simple_rnn", **opts)


@_builder(
    "peephole_lstm", "`keras_seqlab.PeepholeLSTM` layer(s) and a dense head."
)
def build_peephole_lstm(spec, opts):
    return _recurrent_model("peephole_lstm", spec, "peephole_lstm")


@_builder(
    "gru_variant",
    "`keras_seqlab.GRUVariant` layer(s): `variant` is one of\n"
    "    `keras_seqlab.GRU_VARIANTS` (reset_after, reset_before, mgu, gru1,\n"
    "    gru2, gru3).",
    {"variant": "reset_after"},
)
def build_gru_variant(spec, opts):
    return _recurrent_model("gru_variant", spec, "gru_variant", **opts)


@_builder(
    "min_gru",
    "`keras_seqlab.MinGRU` layer(s) (Feng et al. 2024); `mode` is\n"
    '    `"auto"`, `"sequential"` or `"parallel"`. No recurrent dropout.',
    {"mode": "auto"},
)
def build_min_gru(spec, opts):
    _min_rnn(spec.owner, "MinGRU")
    return _recurrent_model("min_gru", spec, "min_gru", **opts)


@_builder(
    "min_lstm",
    "`keras_seqlab.MinLSTM` layer(s) (Feng et al. 2024); `mode` is\n"
    '    `"auto"`, `"sequential"` or `"parallel"`. No recurrent dropout.',
    {"mode": "auto"},
)
def build_min_lstm(spec, opts):
    _min_rnn(spec.owner, "MinLSTM")
    return _recurrent_model("min_lstm", spec, "min_lstm", **opts)


@_builder(
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
    filters = check_units(owner, opts["filters"] or spec.units, "filters")
    kernel_size = check_units(owner, opts["kernel_size"], "kernel_size")
    strides = check_units(owner, opts["strides"], "strides")
    if spec.sequences and strides != 1:
        raise ValueError(
            f"{owner}: the seq_to_seq head needs strides=1 (strides "
            f"{strides} leave fewer output steps than input steps)."
        )
    inputs = _inputs(spec)
    x = layers.Conv1D(
        filters,
        kernel_size,
        strides=strides,
        padding="causal",
        name="conv",
    )(inputs)
    x = _recurrent_stack(x, spec, "gru", spec.layers_deep())
    return _model(inputs, _head(x, spec), "conv_gru")


@_builder(
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
    from keras_seqlab.wavenet import WaveNet

    dilations = opts["dilations"]
    if dilations is None:
        dilations = (1, 2, 4, 8) * spec.layers_deep()
    elif spec.depth is not None:
        raise ValueError(
            f"{spec.owner}: pass either `dilations` or `depth`, not both."
        )
    inputs = _inputs(spec)
    x = WaveNet(
        opts["filters"] or spec.units,
        dilations=dilations,
        kernel_size=opts["kernel_size"],
        gated=opts["gated"],
        return_sequences=spec.sequences,
        name="wavenet",
    )(inputs)
    if spec.dropout:
        x = layers.Dropout(spec.dropout, name="dropout")(x)
    return _model(inputs, _head(x, spec), "wavenet")


@_builder(
    "attention",
    "Self-attention: `Dense(units)` projection, `PositionalEncoding`,\n"
    "    `depth` `AttentionBlock`s, then `AttentionPooling(units)`\n"
    '    (`pooling="attention"`) or the last step (`pooling="last"`,\n'
    "    fixed window) for the vector heads; the seq-to-seq head uses\n"
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
    from keras_seqlab.attention import AttentionBlock
    from keras_seqlab.attention import AttentionPooling
    from keras_seqlab.attention import PositionalEncoding

    owner = spec.owner
    num_heads = check_units(owner, opts["num_heads"], "num_heads")
    key_dim = opts["key_dim"] or max(1, spec.units // num_heads)
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
    inputs = _inputs(spec)
    x = layers.Dense(spec.units, name="projection")(inputs)
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
            window = spec.fixed_window()
            x = layers.Cropping1D((window - 1, 0), name="last_step")(x)
            x = layers.Flatten(name="flatten")(x)
    return _model(inputs, _head(x, spec), "attention")


@_builder(
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
    inputs = _inputs(spec)
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
    return _model(inputs, _head(x, spec), "bidirectional")


# -- the registry --------------------------------------------------------------


def names():
    """The architecture names `build` knows, in a fixed order."""
    return tuple(_REGISTRY)


def get_builder(name):
    """The builder function of architecture `name`."""
    if name not in _REGISTRY:
        raise ValueError(
            f"keras_seqlab.models: unknown architecture {name!r}; the "
            f"architectures are {', '.join(_REGISTRY)}."
        )
    return _REGISTRY[name]


def build(name, input_shape, **kwargs):
    """Builds architecture `name`: `get_builder(name)(input_shape, **kwargs)`.

    Args:
        name: one of `names()`.
        input_shape: `(timesteps, features)`.
        **kwargs: the builders' arguments (`head`, `horizon`, `units`,
            `depth`, `dropout`, `recurrent_dropout`, `n_targets`) and the
            architecture's options.

    Returns:
        An uncompiled `keras.Model`.

    Example:

    >>> model = build("lstm", (50, 1), head="seq_to_vector", horizon=10)
    >>> model.output_shape
    (None, 10)
    """
    return get_builder(name)(input_shape, **kwargs)


def supported_heads(name):
    """The heads architecture `name` offers (bidirectional: no seq_to_seq)."""
    get_builder(name)
    if name == "bidirectional":
        return HEADS[:2]
    return HEADS


# -- sequence classification ---------------------------------------------------


def build_classifier(
    vocab_size,
    n_classes,
    cell="lstm",
    units=32,
    depth=1,
    embed_dim=32,
    dropout=0.0,
    recurrent_dropout=0.0,
    bidirectional=False,
    **options,
):
    """Sequence classifier: Embedding, stacked recurrent layers, a classifier.

    `Embedding(vocab_size, embed_dim, mask_zero=True)`: token 0 is padding,
    and its mask reaches every recurrent layer, so a padded sequence is
    classified like the unpadded one. Then `depth` recurrent layers of
    `cell` (optionally `Bidirectional`), and `Dense(1, "sigmoid")` for two
    classes or `Dense(n_classes, "softmax")` for more.

    Args:
        vocab_size: positive integer, the number of token ids (0 included).
        n_classes: integer >= 2.
        cell: a recurrent cell name (see `recurrent_layer`).
        units: positive integer, the units of each recurrent layer.
        depth: positive integer, the number of recurrent layers.
        embed_dim: positive integer, the embedding size.
        dropout, recurrent_dropout: of the recurrent layers.
        bidirectional: wrap each recurrent layer in `Bidirectional`.
        **options: further arguments of the recurrent layers (e.g.
            `variant="mgu"` for `"gru_variant"`).

    Returns:
        An uncompiled `keras.Model` from int token ids `(batch, T)` to
        `(batch, 1)` probabilities (2 classes) or `(batch, n_classes)`.

    Example:

    >>> model = build_classifier(1000, 2, cell="gru", units=8)
    >>> model.output_shape
    (None, 1)
    """
    owner = "build_classifier"
    vocab_size = check_units(owner, vocab_size, "vocab_size")
    n_classes = check_units(owner, n_classes, "n_classes")
    if n_classes < 2:
        raise ValueError(f"{owner}: `n_classes` must be >= 2, got {n_classes}.")
    check_choice(owner, "cell", cell, RECURRENT_CELLS)
    units = check_units(owner, units)
    depth = check_units(owner, depth, "depth")
    embed_dim = check_units(owner, embed_dim, "embed_dim")
    check_rate(owner, "dropout", dropout)
    check_rate(owner, "recurrent_dropout", recurrent_dropout)
    inputs = keras.Input((None,), dtype="int32", name="tokens")
    x = layers.Embedding(vocab_size, embed_dim, mask_zero=True, name="embed")(
        inputs
    )
    for i in range(depth):
        layer = recurrent_layer(
            cell,
            units,
            return_sequences=i < depth - 1,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            name=f"{cell}_{i}",
            **options,
        )
        if bidirectional:
            layer = layers.Bidirectional(layer, name=f"bidirectional_{i}")
        x = layer(x)
    if n_classes == 2:
        outputs = layers.Dense(1, activation="sigmoid", name="head")(x)
    else:
        outputs = layers.Dense(n_classes, activation="softmax", name="head")(x)
    return keras.Model(inputs, outputs, name=f"{cell}_classifier")


# -- autoregressive forecasting ------------------------------------------------


def _future_row(owner, future_inputs, step, window, batch, features):
    if callable(future_inputs):
        row = future_inputs(step, window)
    else:
        row = future_inputs[:, step]
    row = np.asarray(row, dtype=window.dtype)
    if row.shape != (batch, features):
        raise ValueError(
            f"{owner}: `future_inputs` gave shape {row.shape} for step "
            f"{step}, expected {(batch, features)}."
        )
    return row.copy()


def forecast_autoregressive(
    model, history, steps, target_index=0, future_inputs=None
):
    """Multi-step forecast from a one-step model, feeding predictions back.

    Starting from the window `history[:, -T:]`, predict the next value,
    append it as the target column of a new last row, drop the first row,
    and repeat `steps` times (the window slides, so every call has the
    same shape). For a univariate series that is all there is. With
    several input features the other columns' future values are unknown:
    pass them through `future_inputs` (the target column of what it gives
    is replaced by the prediction).

    Args:
        model: a one-step forecaster: one value per sample, output
            `(batch, 1)` or `(batch,)` (e.g. the `"many_to_one"` head).
        history: `(batch, T, features)` windows (or `(batch, T)` for one
            feature); the model's input length if it has a fixed one.
        steps: positive integer, the number of steps to forecast.
        target_index: the input column the model forecasts.
        future_inputs: for `features > 1`: an array `(batch, steps,
            features)` of the future input rows, or a callable
            `f(step, window) -> (batch, features)` with `window` the
            current `(batch, T, features)` input.

    Returns:
        float array `(batch, steps)`: the forecasts.

    Raises:
        ValueError: multivariate inputs without `future_inputs`, a model
            that does not output one value per sample, bad shapes.

    Example:

    >>> model = build("persistence", (5, 1))
    >>> forecast_autoregressive(model, np.ones((2, 5, 1)), 3).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    owner = "forecast_autoregressive"
    steps = check_units(owner, steps, "steps")
    window = np.array(history, dtype="float32")
    if window.ndim == 2:
        window = window[..., np.newaxis]
    if window.ndim != 3:
        raise ValueError(
            f"{owner}: `history` must be (batch, timesteps, features), got "
            f"shape {np.shape(history)}."
        )
    batch, length, features = window.shape
    if not -features <= target_index < features:
        raise ValueError(
            f"{owner}: target_index {target_index} is out of range for "
            f"{features} feature(s)."
        )
    wanted = tuple(model.inputs[0].shape)[1] if model.inputs else None
    if wanted is not None:
        if length < wanted:
            raise ValueError(
                f"{owner}: the model takes windows of {wanted} steps, "
                f"`history` has {length}."
            )
        window = window[:, length - wanted :].copy()
    if features > 1 and future_inputs is None:
        raise ValueError(
            f"{owner}: the inputs have {features} features; the forecasts "
            f"only supply the target column ({target_index}), the others' "
            "future values are unknown. Pass `future_inputs` (an array "
            "(batch, steps, features) or a callable) to supply them."
        )
    if future_inputs is not None and not callable(future_inputs):
        future_inputs = np.asarray(future_inputs, dtype="float32")
        if future_inputs.ndim != 3 or future_inputs.shape[1] < steps:
            raise ValueError(
                f"{owner}: `future_inputs` must be (batch, >= {steps}, "
                f"{features}), got shape {future_inputs.shape}."
            )
    forecasts = np.empty((batch, steps), dtype="float32")
    for step in range(steps):
        prediction = np.asarray(model.predict_on_batch(window))
        if prediction.size != batch:
            raise ValueError(
                f"{owner}: needs a one-step model (one value per sample); "
                f"the model outputs shape {prediction.shape}."
            )
        forecasts[:, step] = prediction.reshape(batch)
        if future_inputs is None:
            row = np.zeros((batch, features), dtype="float32")
        else:
            row = _future_row(
                owner, future_inputs, step, window, batch, features
            )
        row[:, target_index] = forecasts[:, step]
        window = np.concatenate([window[:, 1:], row[:, np.newaxis]], axis=1)
    return forecasts
