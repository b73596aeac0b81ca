"""The NAS cell (Zoph & Le 2017): cell and layer.

`NASCell` replaces `tfa.rnn.NASCell` (TensorFlow Addons) with its argument
names, weights and numbers.
"""

import keras
from keras import constraints
from keras import initializers
from keras import ops
from keras import regularizers

from keras_seqlab.layers.recurrent.base import RecurrentCell
from keras_seqlab.layers.recurrent.peephole_lstm import pop_legacy_arguments
from keras_seqlab.layers.recurrent.rnn import CellRNN
from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.validation import check_units

# The eight branches of the cell's first layer.
NAS_BASE = 8


@seqlab_export
class NASCell(RecurrentCell):
    """The recurrent cell found by Neural Architecture Search.

    Zoph & Le, "Neural Architecture Search with Reinforcement Learning",
    ICLR 2017, as `tfa.rnn.NASCell`. With [x_0 … x_7] = x_t W and
    [m_0 … m_7] = m_{t-1} U + b (eight blocks of H columns; the bias goes
    with the recurrent part, which matters in the product x_3 ⊙ m_3):

        l_0 = σ(x_0 + m_0)     l_1 = relu(x_1 + m_1)
        l_2 = σ(x_2 + m_2)     l_3 = relu(x_3 ⊙ m_3)
        l_4 = tanh(x_4 + m_4)  l_5 = σ(x_5 + m_5)
        l_6 = tanh(x_6 + m_6)  l_7 = σ(x_7 + m_7)
        c_t = tanh(tanh(l_0 ⊙ l_1) + c_{t-1}) ⊙ tanh(l_2 + l_3)
        m_t = tanh(c_t ⊙ tanh(tanh(l_4 ⊙ l_5) + σ(l_6 + l_7)))

    and m_t P with a projection P (H, `projection`). The activations are
    fixed by the architecture. States are `[m, c]`, the output first
    (Addons orders them `[c, m]`: reverse an Addons initial state), of
    widths `[projection or units, units]`.

    Weights, in Addons' order (an Addons cell's `get_weights()` loads with
    `set_weights`): `recurrent_kernel` (P or H, 8H), `kernel` (D, 8H),
    `bias` (8H,) if `use_bias`, `projection_weights` (H, P) if
    `projection`.

    Args:
        units: positive integer, H.
        projection: None, or a positive integer P: the width of the
            output (and of m).
        use_bias: whether to add `bias`; default False, as in Addons.
        kernel_initializer, recurrent_initializer, projection_initializer:
            default `"glorot_uniform"` (all three, as in Addons).
        bias_initializer: default `"zeros"`.
        kernel/recurrent/bias/projection regularizers and constraints.
        dropout: fraction of the inputs dropped, in [0, 1).
        recurrent_dropout: fraction of m dropped before the recurrent
            matmul, in [0, 1). Both masks are drawn once per sequence.
        seed: seed of the dropout masks.

    Call arguments:
        inputs: `(batch, features)` step input.
        states: `[m, c]`.
        training: whether dropout applies.

    Example:

    >>> cell = keras_seqlab.NASCell(4, projection=2)
    >>> keras.layers.RNN(cell)(np.zeros((2, 7, 3))).shape
    (2, 2)
    """

    num_states = 2

    def __init__(
        self,
        units,
        projection=None,
        use_bias=False,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="glorot_uniform",
        projection_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        projection_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        projection_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        owner = self.__class__.__name__
        pop_legacy_arguments(owner, kwargs)
        self.projection = (
            None
            if projection is None
            else check_units(owner, projection, "projection")
        )
        super().__init__(
            units,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            **kwargs,
        )
        self.projection_initializer = initializers.get(projection_initializer)
        self.projection_regularizer = regularizers.get(projection_regularizer)
        self.projection_constraint = constraints.get(projection_constraint)

    @property
    def state_size(self):
        return [self.output_size, self.units]

    @property
    def output_size(self):
        return self.units if self.projection is None else self.projection

    def get_initial_state(self, batch_size=None):
        return [
            ops.zeros((batch_size, width), dtype=self.compute_dtype)
            for width in self.state_size
        ]

    def build_weights(self, input_dim):
        columns = NAS_BASE * self.units
        # Addons' order: the recurrent kernel first.
        self.recurrent_kernel = self.add_weight(
            shape=(self.output_size, columns),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.kernel = self.add_weight(
            shape=(input_dim, columns),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.add_bias((columns,))
        self.projection_weights = None
        if self.projection is not None:
            self.projection_weights = self.add_weight(
                shape=(self.units, self.projection),
                name="projection_weights",
                initializer=self.projection_initializer,
                regularizer=self.projection_regularizer,
                constraint=self.projection_constraint,
            )

    def recurrent_step(self, projected, states, training=False):
        # `projected` is x W; the bias belongs to the recurrent part.
        m_tm1, c_tm1 = states[0], states[1]
        m_in = self.recurrent_input(m_tm1, training)
        recurrent = ops.matmul(m_in, self.recurrent_kernel)
        if self.use_bias:
            recurrent = recurrent + self.bias
        x = ops.split(projected, NAS_BASE, axis=-1)
        m = ops.split(recurrent, NAS_BASE, axis=-1)
        sigmoid, tanh = ops.sigmoid, ops.tanh
        l0 = sigmoid(x[0] + m[0])
        l1 = ops.relu(x[1] + m[1])
        l2 = sigmoid(x[2] + m[2])
        l3 = ops.relu(x[3] * m[3])
        l4 = tanh(x[4] + m[4])
        l5 = sigmoid(x[5] + m[5])
        l6 = tanh(x[6] + m[6])
        l7 = sigmoid(x[7] + m[7])
        c = tanh(tanh(l0 * l1) + c_tm1) * tanh(l2 + l3)
        output = tanh(c * tanh(tanh(l4 * l5) + sigmoid(l6 + l7)))
        if self.projection is not None:
            output = ops.matmul(output, self.projection_weights)
        return output, [output, c]

    def prepare_dropout_masks(self, batch_probe):
        """As `RecurrentCell`'s, with a recurrent mask of m's width."""
        super().prepare_dropout_masks(batch_probe)
        if self.recurrent_dropout > 0 and self.projection is not None:
            ones = ops.ones_like(batch_probe[:, :1])
            self._recurrent_dropout_mask = keras.random.dropout(
                ones * ops.ones((self.projection,), dtype=self.compute_dtype),
                rate=self.recurrent_dropout,
                seed=self.seed_generator,
            )

    def get_config(self):
        config = super().get_config()
        del config["activation"]  # fixed by the architecture
        config.update(
            {
                "projection": self.projection,
                "projection_initializer": initializers.serialize(
                    self.projection_initializer
                ),
                "projection_regularizer": regularizers.serialize(
                    self.projection_regularizer
                ),
                "projection_constraint": constraints.serialize(
                    self.projection_constraint
                ),
            }
        )
        return config


@seqlab_export
class NAS(CellRNN):
    """NAS layer: `SeqlabRNN` over a `NASCell`.

    Takes every argument of `NASCell` (`projection` included) plus
    `return_sequences`, `return_state`, `go_backwards`, `stateful`,
    `unroll` and `zero_output_for_mask`. With `return_state=True` the
    states come as `m, c`.

    Call arguments:
        sequences: `(batch, timesteps, features)`.
        initial_state: optional `[m, c]`.
        mask: optional boolean `(batch, timesteps)`.
        training: whether dropout applies.

    Example:

    >>> layer = keras_seqlab.NAS(4, return_state=True)
    >>> out, m, c = layer(np.zeros((2, 7, 3)))
    >>> out.shape, c.shape
    ((2, 4), (2, 4))
    """

    cell_class = NASCell

    @property
    def projection(self):
        return self.cell.projection


# What `seqlab check` compares against the pure-Python reference
# (keras_seqlab.reference): plain data, collected by
# keras_seqlab.testing.reference_check. "step" names a reference.STEPS entry.
# (The projection, whose states have two widths, is checked against the
# reference in tests/test_addons_cells.py.)
REFERENCE_CASES = (
    {
        "kind": "recurrent",
        "name": "NAS",
        "layer": NAS,
        "step": "nas",
    },
    {
        "kind": "recurrent",
        "name": "NAS bias",
        "layer": NAS,
        "step": "nas",
        "layer_kwargs": {"use_bias": True},
    },
)
