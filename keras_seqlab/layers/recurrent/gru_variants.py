"""The GRU family: reset-after, reset-before, MGU, GRU1, GRU2, GRU3."""

from keras import activations
from keras import ops

from keras_seqlab.layers.recurrent.base import RecurrentCell
from keras_seqlab.layers.recurrent.peephole_lstm import pop_legacy_arguments
from keras_seqlab.layers.recurrent.rnn import CellRNN
from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.validation import check_choice

VARIANTS = ("reset_after", "reset_before", "mgu", "gru1", "gru2", "gru3")

# Column counts of kernel and recurrent_kernel and the bias shape, in
# multiples of units. Every variant holds exactly the weights it uses.
_LAYOUT = {
    "reset_after": (3, 3, (2, 3)),
    "reset_before": (3, 3, (3,)),
    "mgu": (2, 2, (2,)),
    "gru1": (1, 3, (3,)),
    "gru2": (1, 3, (1,)),
    "gru3": (1, 1, (3,)),
}


def _variant_of(owner, variant, reset_after):
    """`variant`, or the one a Keras GRU config's `reset_after` names."""
    if reset_after is None:
        return "reset_after" if variant is None else variant
    implied = "reset_after" if reset_after else "reset_before"
    if variant is None or variant == implied:
        return implied
    raise ValueError(
        f"{owner}: reset_after={reset_after!r} means variant '{implied}', "
        f"got variant {variant!r} as well."
    )


@seqlab_export
class GRUVariantCell(RecurrentCell):
    """A gated recurrent cell of the GRU family, picked by `variant`.

    Keras convention h_t = z ⊙ h_{t-1} + (1 − z) ⊙ h̃, gate order z, r, h;
    σ is `recurrent_activation`, φ is `activation`:

    - `"reset_after"` (Keras default, cuDNN form), bias (2, 3H) of input
      and recurrent biases: z = σ(x W_z + b_z + h U_z + b'_z), r likewise,
      h̃ = φ(x W_h + b_h + r ⊙ (h U_h + b'_h)). Equals `keras.layers.GRU`.
    - `"reset_before"` (Cho et al. 2014), bias (3H,):
      z = σ(x W_z + h U_z + b_z), r likewise,
      h̃ = φ(x W_h + (r ⊙ h) U_h + b_h). Equals
      `keras.layers.GRU(reset_after=False)`.
    - `"mgu"` (minimal gated unit, Zhou et al. 2016), kernel columns
      [f, h]: f = σ(x W_f + h U_f + b_f), h̃ = φ(x W_h + (f ⊙ h) U_h + b_h),
      h_t = (1 − f) ⊙ h_{t-1} + f ⊙ h̃.
    - `"gru1"`, `"gru2"`, `"gru3"` (Dey & Salem 2017): the gates see
      h U + b, h U only, b only: z = σ(h U_z + b_z) | σ(h U_z) | σ(b_z)
      (r likewise); h̃ = φ(x W + (r ⊙ h) U_h + b_h). Their kernel is
      (D, H) (candidate only); recurrent_kernel (H, 3H), (H, 3H), (H, H);
      bias (3H,), (H,), (3H,). `"gru3"` needs `use_bias=True`.

    Args:
        units: positive integer, H.
        variant: one of the names above; `None` (default) means
            `"reset_after"`, or what `reset_after` says.
        reset_after: accepted from `keras.layers.GRU`/`GRUCell` configs:
            `True` means `"reset_after"`, `False` means `"reset_before"`;
            any other `variant` alongside it is refused. Not in
            `get_config` (`variant` says it).
        implementation: accepted and ignored, as in `keras.layers.GRUCell`
            (not in `get_config`).
        activation, recurrent_activation: φ and σ.
        use_bias, kernel_initializer, recurrent_initializer,
        bias_initializer, *_regularizer, *_constraint, dropout,
        recurrent_dropout, seed: as in `keras.layers.GRUCell`; dropout masks
            are drawn once per sequence (variational).

    Call arguments:
        inputs: `(batch, features)`; states: `[h]` or `h`; training.

    Example:

    >>> cell = keras_seqlab.GRUVariantCell(4, variant="mgu")
    >>> keras.layers.RNN(cell)(np.zeros((2, 7, 3))).shape
    (2, 4)
    """

    def __init__(
        self,
        units,
        variant=None,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        owner = self.__class__.__name__
        pop_legacy_arguments(owner, kwargs)
        variant = _variant_of(owner, variant, kwargs.pop("reset_after", None))
        self.variant = check_choice(owner, "variant", variant, VARIANTS)
        if variant == "gru3" and not use_bias:
            raise ValueError(
                f"{owner}: variant 'gru3' computes its gates from the bias "
                "alone and needs use_bias=True, got use_bias=False."
            )
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

    def build_weights(self, input_dim):
        kernel_cols, recurrent_cols, bias_shape = _LAYOUT[self.variant]
        self.add_kernels(
            input_dim, kernel_cols * self.units, recurrent_cols * self.units
        )
        shape = bias_shape[:-1] + (bias_shape[-1] * self.units,)
        self.add_bias(shape)

    def input_bias(self):
        """The bias of x W: the input bias row of `reset_after`, the
        candidate's b_h of `gru1` and `gru3`, the whole bias otherwise."""
        if not self.use_bias:
            return None
        if self.variant == "reset_after":
            return self.bias[0]
        if self.variant in ("gru1", "gru3"):
            return self.bias[2 * self.units :]
        return self.bias

    def recurrent_step(self, projected, states, training=False):
        # `projected` is x W + b (see `input_bias`).
        h_tm1 = states[0]
        h_in = self.recurrent_input(h_tm1, training)
        step = getattr(self, f"_{self.variant}")
        z, candidate = step(projected, h_in, h_tm1)
        if self.variant == "mgu":
            h = (1.0 - z) * h_tm1 + z * candidate
        else:
            h = z * h_tm1 + (1.0 - z) * candidate
        return h, [h]

    # Each returns (gate mixing h_{t-1} and h̃, candidate h̃); `xw` already
    # holds the input bias.

    def _reset_after(self, xw, h_in, h_tm1):
        hu = ops.matmul(h_in, self.recurrent_kernel)
        if self.use_bias:
            hu = hu + self.bias[1]
        x_z, x_r, x_h = ops.split(xw, 3, axis=-1)
        h_z, h_r, h_h = ops.split(hu, 3, axis=-1)
        z = self.recurrent_activation(x_z + h_z)
        r = self.recurrent_activation(x_r + h_r)
        return z, self.activation(x_h + r * h_h)

    def _reset_before(self, xw, h_in, h_tm1):
        units = self.units
        gates = xw[..., : 2 * units] + ops.matmul(
            h_in, self.recurrent_kernel[:, : 2 * units]
        )
        z, r = ops.split(self.recurrent_activation(gates), 2, axis=-1)
        return z, self._reset_candidate(xw[..., 2 * units :], r, h_in)

    def _mgu(self, xw, h_in, h_tm1):
        units = self.units
        f = self.recurrent_activation(
            xw[..., :units] + ops.matmul(h_in, self.recurrent_kernel[:, :units])
        )
        return f, self._reset_candidate(xw[..., units:], f, h_in)

    def _gru1(self, xw, h_in, h_tm1):
        units = self.units
        gates = ops.matmul(h_in, self.recurrent_kernel[:, : 2 * units])
        if self.use_bias:
            gates = gates + self.bias[: 2 * units]
        z, r = ops.split(self.recurrent_activation(gates), 2, axis=-1)
        return z, self._reset_candidate(xw, r, h_in)

    def _gru2(self, xw, h_in, h_tm1):
        units = self.units
        gates = ops.matmul(h_in, self.recurrent_kernel[:, : 2 * units])
        z, r = ops.split(self.recurrent_activation(gates), 2, axis=-1)
        return z, self._reset_candidate(xw, r, h_in)

    def _gru3(self, xw, h_in, h_tm1):
        units = self.units
        gates = self.recurrent_activation(self.bias[: 2 * units])
        z = ops.zeros_like(h_tm1) + gates[:units]
        r = gates[units:]
        return z, self._reset_candidate(xw, r, h_in)

    def _reset_candidate(self, x_h, r, h_in):
        """φ(x W_h + b_h + (r ⊙ h) U_h): the last H recurrent columns."""
        u_h = self.recurrent_kernel[:, -self.units :]
        return self.activation(x_h + ops.matmul(r * h_in, u_h))

    def get_config(self):
        config = {
            "variant": self.variant,
            "recurrent_activation": activations.serialize(
                self.recurrent_activation
            ),
        }
        return {**super().get_config(), **config}


@seqlab_export
class GRUVariant(CellRNN):
    """GRU-family layer: `SeqlabRNN` over a `GRUVariantCell`.

    Takes every argument of `GRUVariantCell` (`variant` included) plus
    `return_sequences`, `return_state`, `go_backwards`, `stateful`, `unroll`
    and `zero_output_for_mask`. A subclass of `keras.layers.RNN`, never of
    `keras.layers.GRU`, so no cuDNN path runs other equations.

    Example:

    >>> layer = keras_seqlab.GRUVariant(4, variant="gru2")
    >>> layer(np.zeros((2, 7, 3))).shape
    (2, 4)
    """

    cell_class = GRUVariantCell

    @property
    def variant(self):
        return self.cell.variant

    @property
    def recurrent_activation(self):
        return self.cell.recurrent_activation


# What `seqlab check` compares against the pure-Python reference
# (keras_seqlab.reference): plain data, collected by
# keras_seqlab.testing.reference_check. "step" names a reference.STEPS entry.
REFERENCE_CASES = tuple(
    {
        "kind": "recurrent",
        "name": f"GRUVariant {variant}",
        "layer": GRUVariant,
        "step": f"gru_variant.{variant}",
        "layer_kwargs": {"variant": variant},
    }
    for variant in VARIANTS
) + (
    {
        "kind": "recurrent",
        "name": "GRUVariant mgu no bias",
        "layer": GRUVariant,
        "step": "gru_variant.mgu",
        "layer_kwargs": {"variant": "mgu", "use_bias": False},
    },
)
