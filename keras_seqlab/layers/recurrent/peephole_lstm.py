"""Peephole LSTM (Gers, Schraudolph & Schmidhuber 2002): cell and layer."""

from keras import activations
from keras import constraints
from keras import initializers
from keras import ops
from keras import regularizers

from keras_seqlab.layers.recurrent.base import RecurrentCell
from keras_seqlab.layers.recurrent.rnn import CellRNN
from keras_seqlab.utils.export import seqlab_export


def pop_legacy_arguments(owner, kwargs):
    """Drops the Keras 2 / TensorFlow Addons arguments that change nothing.

    `implementation` (1 or 2: the same equations computed in other matmul
    groupings) is accepted and ignored, as Keras 3's `LSTMCell` and
    `GRUCell` do, and left out of `get_config` like there; Keras 2's base
    layer accepted it on every cell. `time_major=False`, which every Keras 2
    RNN layer config holds, is the batch-major layout used here; `True`
    would mean other inputs and is refused.
    """
    kwargs.pop("implementation", None)
    if kwargs.pop("time_major", False):
        raise ValueError(
            f"{owner}: expected time_major=False (inputs of shape (batch, "
            "timesteps, features)), got time_major=True; transpose the "
            "inputs with keras.ops.swapaxes(x, 0, 1) instead."
        )
    return kwargs


_PEEPHOLES = (
    "input_gate_peephole_weights",
    "forget_gate_peephole_weights",
    "output_gate_peephole_weights",
)


def _clone(initializer):
    clone = getattr(initializer, "clone", None)
    return clone() if clone is not None else initializer


@seqlab_export
class PeepholeLSTMCell(RecurrentCell):
    """LSTM cell whose gates also look at the cell state (peepholes).

    Keras's LSTM weight layout (`kernel` (D, 4H), `recurrent_kernel`
    (H, 4H), `bias` (4H,), gate order i, f, c, o) plus three diagonal
    peephole vectors of shape (H,):

        i = σ(x W_i + h U_i + b_i + p_i ⊙ c_{t-1})
        f = σ(x W_f + h U_f + b_f + p_f ⊙ c_{t-1})
        c_t = f ⊙ c_{t-1} + i ⊙ φ(x W_c + h U_c + b_c)
        o = σ(x W_o + h U_o + b_o + p_o ⊙ c_t)      (the new cell state)
        h_t = o ⊙ φ(c_t)

    σ is `recurrent_activation`, φ is `activation`. States are `[h, c]`.
    With the peepholes at zero it is exactly `keras.layers.LSTMCell`. It
    replaces `tf.keras.experimental.PeepholeLSTMCell` (removed in Keras
    2.9) and `tfa.rnn.PeepholeLSTMCell`. `"hard_sigmoid"` means Keras 3's
    clip(x / 6 + 0.5, 0, 1), not Keras 2's clip(0.2 x + 0.5, 0, 1).

    Args:
        units: positive integer, H.
        activation: φ, default `"tanh"`.
        recurrent_activation: σ, default `"sigmoid"`.
        use_bias: whether to add `bias`.
        kernel_initializer, recurrent_initializer, bias_initializer: as in
            `keras.layers.LSTMCell`.
        peephole_initializer: initializer of the three peephole vectors;
            `None` (default) uses `kernel_initializer`, as
            `tfa.rnn.PeepholeLSTMCell` did.
        unit_forget_bias: add 1 to the forget-gate bias at initialization.
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
            peephole_regularizer: regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint,
            peephole_constraint: constraints.
        dropout: fraction of the inputs dropped, in [0, 1).
        recurrent_dropout: fraction of `h` dropped before the recurrent
            matmul, in [0, 1). Both masks are drawn once per sequence.
        seed: seed of the dropout masks.
        implementation: accepted and ignored, as in `keras.layers.LSTMCell`
            (not in `get_config`).

    Call arguments:
        inputs: `(batch, features)` step input.
        states: `[h, c]`, each `(batch, units)`.
        training: whether dropout applies.

    Example:

    >>> layer = keras.layers.RNN(keras_seqlab.PeepholeLSTMCell(4))
    >>> layer(np.zeros((2, 7, 3))).shape
    (2, 4)
    """

    num_states = 2

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        peephole_initializer=None,
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        peephole_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        peephole_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        pop_legacy_arguments(self.__class__.__name__, kwargs)
        super().__init__(
            units,
            activation=activation,
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
        self.recurrent_activation = activations.get(recurrent_activation)
        # None: follow kernel_initializer (Addons); an explicit value, also
        # from an older config, wins.
        self.peephole_initializer = (
            None
            if peephole_initializer is None
            else initializers.get(peephole_initializer)
        )
        self.peephole_regularizer = regularizers.get(peephole_regularizer)
        self.peephole_constraint = constraints.get(peephole_constraint)
        self.unit_forget_bias = bool(unit_forget_bias)

    def build_weights(self, input_dim):
        units = self.units
        self.add_kernels(input_dim, 4 * units, 4 * units)
        initializer = None
        if self.unit_forget_bias:

            def initializer(_, *args, **kwargs):
                base = self.bias_initializer
                return ops.concatenate(
                    [
                        base((units,), *args, **kwargs),
                        initializers.get("ones")((units,), *args, **kwargs),
                        base((2 * units,), *args, **kwargs),
                    ]
                )

        self.add_bias((4 * units,), initializer)
        peephole = self.peephole_initializer
        if peephole is None:
            peephole = self.kernel_initializer
        for name in _PEEPHOLES:
            weight = self.add_weight(
                shape=(units,),
                name=name,
                # A clone per vector: one unseeded random initializer
                # instance gives the same values at every call.
                initializer=_clone(peephole),
                regularizer=self.peephole_regularizer,
                constraint=self.peephole_constraint,
            )
            setattr(self, name, weight)

    def input_bias(self):
        return self.bias if self.use_bias else None

    def recurrent_step(self, projected, states, training=False):
        # `projected` is x W + b (see `input_bias`).
        h_tm1, c_tm1 = states[0], states[1]
        z = projected + ops.matmul(
            self.recurrent_input(h_tm1, training), self.recurrent_kernel
        )
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
        sigma = self.recurrent_activation
        i = sigma(z_i + self.input_gate_peephole_weights * c_tm1)
        f = sigma(z_f + self.forget_gate_peephole_weights * c_tm1)
        c = f * c_tm1 + i * self.activation(z_c)
        o = sigma(z_o + self.output_gate_peephole_weights * c)
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self):
        config = {
            "recurrent_activation": activations.serialize(
                self.recurrent_activation
            ),
            "peephole_initializer": initializers.serialize(
                self.peephole_initializer
            ),
            "peephole_regularizer": regularizers.serialize(
                self.peephole_regularizer
            ),
            "peephole_constraint": constraints.serialize(
                self.peephole_constraint
            ),
            "unit_forget_bias": self.unit_forget_bias,
        }
        return {**super().get_config(), **config}


@seqlab_export
class PeepholeLSTM(CellRNN):
    """Peephole LSTM layer: `SeqlabRNN` over a `PeepholeLSTMCell`.

    Takes every argument of `PeepholeLSTMCell` plus `return_sequences`,
    `return_state`, `go_backwards`, `stateful`, `unroll` and
    `zero_output_for_mask` (see `keras.layers.RNN`). A subclass of
    `keras.layers.RNN`, never of `keras.layers.LSTM`, so no cuDNN fast path
    can silently drop the peepholes.

    Call arguments:
        sequences: `(batch, timesteps, features)`.
        initial_state: optional `[h, c]`.
        mask: optional boolean `(batch, timesteps)`.
        training: whether dropout applies.

    Example:

    >>> layer = keras_seqlab.PeepholeLSTM(4, return_state=True)
    >>> out, h, c = layer(np.zeros((2, 7, 3)))
    >>> out.shape, c.shape
    ((2, 4), (2, 4))
    """

    cell_class = PeepholeLSTMCell

    @property
    def recurrent_activation(self):
        return self.cell.recurrent_activation


# What `seqlab check` compares against the pure-Python reference
# (keras_seqlab.reference): plain data, collected by
# keras_seqlab.testing.reference_check. "step" names a reference.STEPS entry.
REFERENCE_CASES = (
    {
        "kind": "recurrent",
        "name": "PeepholeLSTM",
        "layer": PeepholeLSTM,
        "step": "peephole_lstm",
    },
    {
        "kind": "recurrent",
        "name": "PeepholeLSTM hard_sigmoid",
        "layer": PeepholeLSTM,
        "step": "peephole_lstm",
        "layer_kwargs": {"recurrent_activation": "hard_sigmoid"},
        "step_options": {"recurrent_activation": "hard_sigmoid"},
    },
    {
        "kind": "recurrent",
        "name": "PeepholeLSTM no bias",
        "layer": PeepholeLSTM,
        "step": "peephole_lstm",
        "layer_kwargs": {"use_bias": False},
    },
)
