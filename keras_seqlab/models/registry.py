"""The architecture registry: one signature for every forecasting builder.

`register(name, doc, options)` turns `body(spec, opts)` into a builder
with the common signature (see `keras_seqlab.models`) and records it;
`build(name, ...)`, `names()`, `get_builder(name)` and
`supported_heads(name)` read the records.
"""

from keras_seqlab.layers.heads.forecast import HEADS
from keras_seqlab.layers.heads.quantiles import check_quantiles
from keras_seqlab.utils.validation import check_choice
from keras_seqlab.utils.validation import check_rate
from keras_seqlab.utils.validation import check_units

_REGISTRY = {}


class Spec:
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
        quantiles=None,
    ):
        self.owner = owner
        self.input_shape = check_input_shape(owner, input_shape)
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
        self.quantiles = (
            None if quantiles is None else check_quantiles(owner, quantiles)
        )

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


def check_input_shape(owner, input_shape):
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


def register(name, doc, allowed=None):
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
            quantiles=None,
            **options,
        ):
            owner = f"build_{name}"
            spec = Spec(
                owner,
                input_shape,
                head,
                horizon,
                units,
                depth,
                dropout,
                recurrent_dropout,
                n_targets,
                quantiles,
            )
            return body(spec, _options(owner, options, allowed))

        builder.__name__ = builder.__qualname__ = f"build_{name}"
        builder.__doc__ = doc + _COMMON_ARGS + _options_doc(allowed)
        builder.options = dict(allowed)
        builder.architecture = name
        _REGISTRY[name] = builder
        return builder

    return decorate


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
            default (2 for the `stacked_*` builders and `wavenet`, 1
            otherwise).
        dropout: dropout rate in [0, 1).
        recurrent_dropout: recurrent dropout rate in [0, 1) (recurrent
            layers only).
        n_targets: positive integer, the number of target columns.
        quantiles: None (the default) for a point forecast, or the
            quantile levels, a strictly increasing sequence in (0, 1) such
            as `(0.1, 0.5, 0.9)`: the head's output shape gets a trailing
            axis of size Q = len(quantiles), ordered (non-crossing) by a
            `QuantileHead`; train with
            `keras_seqlab.forecasting.PinballLoss(quantiles)`.
"""


def _options_doc(allowed):
    if not allowed:
        return "        **options: none.\n"
    text = "        **options:"
    for key, value in allowed.items():
        text += f" `{key}` (default {value!r}),"
    return text.rstrip(",") + ".\n"


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
            `depth`, `dropout`, `recurrent_dropout`, `n_targets`,
            `quantiles`) and the
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
