"""keras-tuner search spaces: one `HyperModel` per model architecture.

Each class fixes the problem in `__init__` (input shape, head, horizon,
targets, loss, the builder options that are not searched) and declares its
hyperparameters inline in `build_model(hp)`, with explicit defaults that
reproduce the untuned builder (`keras_seqlab.models.build(name, shape)`).
Every hypermodel also searches the Adam learning rate and the batch size
(the latter in `fit`).

Every range can be overridden two ways:

- `overrides={"units": 64}` (a fixed value), `{"units": [16, 32]}` (a
  choice), `{"units": {"max_value": 256}}` (the declared range with some of
  its arguments changed) or a `keras_tuner` hyperparameter object;
- a tuner's `hyperparameters=` argument, e.g. `hp.Fixed("units", 64)`,
  which is registered before the hypermodel asks for the value.

A name that the space does not declare is a `ValueError` listing the valid
names (when the hypermodel is created, or when a tuner is created with
`hyperparameters=` naming it).

Example:

>>> hypermodel = get_hypermodel("gru", (24, 3), overrides={"depth": 1})
>>> hypermodel.hyperparameter_names[:4]
('units', 'depth', 'dropout', 'recurrent_dropout')
>>> hypermodel.search_space().values["depth"]
1

and then, with the later part of the series as validation data,

    tuner = keras_tuner.BayesianOptimization(
        hypermodel, objective="val_loss", max_trials=20, directory="runs"
    )
    keras_seqlab.tuning.time_ordered_search(tuner, x, y, val=0.2, epochs=30)
"""

from keras_seqlab.layers import GRU_VARIANTS

# The registry's readers, from here: importing this module registers the
# spaces below before anyone asks for them.
from keras_seqlab.tuning.space import SeqHyperModel
from keras_seqlab.tuning.space import get_hypermodel  # noqa: F401
from keras_seqlab.tuning.space import hypermodel_class  # noqa: F401
from keras_seqlab.tuning.space import names  # noqa: F401
from keras_seqlab.tuning.space import register

# -- baselines -----------------------------------------------------------------


@register("persistence")
class HyperPersistence(SeqHyperModel):
    """The naive forecast: no weights, an empty space (one trial)."""

    trainable = False

    def build_model(self, hp):
        return self.make()


@register("linear")
class HyperLinear(SeqHyperModel):
    """Linear regression: only the learning rate and batch size."""

    def build_model(self, hp):
        return self.make()


@register("dense")
class HyperDense(SeqHyperModel):
    """Dense network: units, depth, activation, dropout."""

    def build_model(self, hp):
        return self.make(
            units=hp.Int("units", 8, 128, step=8, default=32),
            depth=hp.Int("depth", 1, 3, default=1),
            activation=hp.Choice(
                "activation", ["relu", "tanh", "gelu"], default="relu"
            ),
            dropout=hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.0),
        )


# -- recurrent -----------------------------------------------------------------


class _RecurrentHyperModel(SeqHyperModel):
    """Units, depth, dropout and (where the cell has it) recurrent dropout.

    Subclasses add their cell's own hyperparameters in `cell_options`.
    """

    min_depth = 1
    has_recurrent_dropout = True

    def build_model(self, hp):
        kwargs = dict(
            units=hp.Int("units", 8, 128, step=8, default=32),
            depth=hp.Int(
                "depth",
                self.min_depth,
                self.min_depth + 2,
                default=self.min_depth,
            ),
            dropout=hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.0),
        )
        if self.has_recurrent_dropout:
            kwargs["recurrent_dropout"] = hp.Float(
                "recurrent_dropout", 0.0, 0.5, step=0.1, default=0.0
            )
        kwargs.update(self.cell_options(hp))
        return self.make(**kwargs)

    def cell_options(self, hp):
        return {}


class _ActivationMixin:
    def cell_options(self, hp):
        return {
            "activation": hp.Choice(
                "activation", ["tanh", "relu"], default="tanh"
            )
        }


@register("simple_rnn")
class HyperSimpleRNN(_ActivationMixin, _RecurrentHyperModel):
    """`SimpleRNN` layers: units, depth, activation, dropouts."""


@register("stacked_rnn")
class HyperStackedRNN(_ActivationMixin, _RecurrentHyperModel):
    """Stacked `SimpleRNN` layers: depth 2 to 4."""

    min_depth = 2


@register("lstm")
class HyperLSTM(_RecurrentHyperModel):
    """`LSTM` layers: units, depth, dropouts."""


@register("stacked_lstm")
class HyperStackedLSTM(_RecurrentHyperModel):
    """Stacked `LSTM` layers: depth 2 to 4."""

    min_depth = 2


@register("gru")
class HyperGRU(_RecurrentHyperModel):
    """`GRU` layers: units, depth, dropouts."""


@register("stacked_gru")
class HyperStackedGRU(_RecurrentHyperModel):
    """Stacked `GRU` layers: depth 2 to 4."""

    min_depth = 2


@register("ln_simple_rnn")
class HyperLNSimpleRNN(_ActivationMixin, _RecurrentHyperModel):
    """Layer-normalized SimpleRNN; `form` is an option (not searched)."""


@register("peephole_lstm")
class HyperPeepholeLSTM(_RecurrentHyperModel):
    """Peephole LSTM layers: units, depth, dropouts."""


@register("ln_lstm")
class HyperLNLSTM(_RecurrentHyperModel):
    """Layer-normalized LSTM layers: units, depth, dropouts; `form` is an
    option (not searched)."""


@register("nas")
class HyperNAS(_RecurrentHyperModel):
    """NAS cell layers: units, depth, dropouts and whether to use biases;
    `projection` is an option (not searched)."""

    def cell_options(self, hp):
        return {"use_bias": hp.Boolean("use_bias", default=False)}


@register("esn")
class HyperESN(_RecurrentHyperModel):
    """Echo state network: the reservoir's size, depth, dropouts, spectral
    radius, leaking rate and connectivity (the head alone is trained)."""

    def cell_options(self, hp):
        return {
            "spectral_radius": hp.Float(
                "spectral_radius", 0.5, 1.2, step=0.1, default=0.9
            ),
            "leaky": hp.Float("leaky", 0.1, 1.0, step=0.1, default=1.0),
            "connectivity": hp.Choice(
                "connectivity", [0.05, 0.1, 0.2, 0.5], default=0.1
            ),
        }


@register("gru_variant")
class HyperGRUVariant(_RecurrentHyperModel):
    """The GRU family: the variant is searched too."""

    def cell_options(self, hp):
        return {
            "variant": hp.Choice(
                "variant", list(GRU_VARIANTS), default="reset_after"
            )
        }


@register("min_gru")
class HyperMinGRU(_RecurrentHyperModel):
    """minGRU layers: no recurrent dropout (gates see the input only)."""

    has_recurrent_dropout = False


@register("min_lstm")
class HyperMinLSTM(_RecurrentHyperModel):
    """minLSTM layers: no recurrent dropout (gates see the input only)."""

    has_recurrent_dropout = False


@register("conv_gru")
class HyperConvGRU(_RecurrentHyperModel):
    """Causal Conv1D front end (filters, kernel size), then GRU layers."""

    def cell_options(self, hp):
        return {
            "filters": hp.Int("filters", 8, 128, step=8, default=32),
            "kernel_size": hp.Int("kernel_size", 2, 8, default=4),
        }


@register("bidirectional")
class HyperBidirectional(_RecurrentHyperModel):
    """Bidirectional LSTM or GRU layers (the cell is searched)."""

    def cell_options(self, hp):
        return {"cell": hp.Choice("cell", ["lstm", "gru"], default="lstm")}


# -- convolutional and attention -----------------------------------------------


@register("wavenet")
class HyperWaveNet(SeqHyperModel):
    """WaveNet stack: filters, kernel size, dilation cycles, gating.

    The dilations are `1, 2, 4, ..., max_dilation`, repeated
    `dilation_cycles` times (the builder's default is two cycles up to 8).
    """

    def build_model(self, hp):
        filters = hp.Int("filters", 8, 128, step=8, default=32)
        kernel_size = hp.Int("kernel_size", 2, 4, default=2)
        cycles = hp.Int("dilation_cycles", 1, 3, default=2)
        max_dilation = hp.Choice("max_dilation", [4, 8, 16, 32], default=8)
        gated = hp.Boolean("gated", default=True)
        dropout = hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.0)
        cycle = []
        dilation = 1
        while dilation <= max_dilation:
            cycle.append(dilation)
            dilation *= 2
        return self.make(
            filters=filters,
            kernel_size=kernel_size,
            dilations=tuple(cycle) * cycles,
            gated=gated,
            dropout=dropout,
        )


@register("tcn")
class HyperTCN(SeqHyperModel):
    """TCN: filters, kernel size, stacks, dilations, skip connections,
    normalization and the blocks' spatial dropout.

    The dilations are `1, 2, 4, ..., max_dilation` (the builder's default
    goes up to 8), repeated `depth` times (keras-tcn's `nb_stacks`).
    """

    def build_model(self, hp):
        filters = hp.Int("filters", 8, 128, step=8, default=32)
        kernel_size = hp.Int("kernel_size", 2, 4, default=3)
        depth = hp.Int("depth", 1, 3, default=1)
        max_dilation = hp.Choice("max_dilation", [4, 8, 16, 32], default=8)
        skips = hp.Boolean("use_skip_connections", default=True)
        normalization = hp.Choice(
            "normalization",
            ["none", "batch", "layer", "weight"],
            default="none",
        )
        rate = hp.Float("dropout_rate", 0.0, 0.5, step=0.1, default=0.0)
        dropout = hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.0)
        dilations = []
        dilation = 1
        while dilation <= max_dilation:
            dilations.append(dilation)
            dilation *= 2
        return self.make(
            filters=filters,
            kernel_size=kernel_size,
            depth=depth,
            dilations=tuple(dilations),
            use_skip_connections=skips,
            normalization=None if normalization == "none" else normalization,
            dropout_rate=rate,
            dropout=dropout,
        )


@register("attention")
class HyperAttention(SeqHyperModel):
    """Self-attention: width, depth, heads, key size, feed-forward size.

    `ff_dim` 0 means no feed-forward sublayer (the builder's default).
    """

    def build_model(self, hp):
        return self.make(
            units=hp.Int("units", 16, 128, step=16, default=32),
            depth=hp.Int("depth", 1, 3, default=1),
            num_heads=hp.Choice("num_heads", [1, 2, 4, 8], default=2),
            key_dim=hp.Choice("key_dim", [8, 16, 32, 64], default=16),
            ff_dim=hp.Choice("ff_dim", [0, 32, 64, 128], default=0) or None,
            dropout=hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.0),
        )
