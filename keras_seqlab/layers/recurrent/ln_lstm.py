"""Layer-normalized LSTM (Ba, Kiros & Hinton 2016): cell and layer.

`LayerNormLSTMCell` replaces `tfa.rnn.LayerNormLSTMCell` (TensorFlow
Addons) with its argument names, weights and numbers.
"""

import keras
from keras import activations
from keras import initializers
from keras import ops

from keras_seqlab.layers.recurrent.base import RecurrentCell
from keras_seqlab.layers.recurrent.peephole_lstm import pop_legacy_arguments
from keras_seqlab.layers.recurrent.rnn import CellRNN
from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.validation import check_choice
from keras_seqlab.utils.validation import check_positive_float

FORMS = ("addons", "ba2016")

# Weight name prefixes of the three normalizations, in Addons' order
# (its sublayers kernel_norm, recurrent_norm, state_norm).
_NORMS = ("kernel_norm", "recurrent_norm", "state_norm")


def _normalize(a, epsilon):
    """(a − mean) / sqrt(var + ε) over the last axis, biased variance.

    The mean is taken of a − a_0 (a_0 the first entry), and a_0 added
    back: equal entries then give exactly zero deviations. The plain
    float32 mean of eight copies of 0.65 is one ulp off, and with a small
    ε (Addons' golden test uses 1e-12) that ulp, divided by
    sqrt(var + ε) ≈ 1e-6, moved a gate by 0.06. Half-precision inputs are
    normalized in float32, as `keras.layers.LayerNormalization` does.
    """
    dtype = keras.backend.standardize_dtype(a.dtype)
    if dtype in ("float16", "bfloat16"):
        a = ops.cast(a, "float32")
    shifted = a - a[..., :1]
    centered = shifted - ops.mean(shifted, axis=-1, keepdims=True)
    variance = ops.mean(ops.square(centered), axis=-1, keepdims=True)
    return ops.cast(centered * ops.rsqrt(variance + epsilon), dtype)


@seqlab_export
class LayerNormLSTMCell(RecurrentCell):
    """LSTM cell with layer normalization of the gates and the cell state.

    Keras's LSTM weights (`kernel` (D, 4H), `recurrent_kernel` (H, 4H),
    `bias` (4H,), gate order i, f, c, o) plus a gain γ and a shift β for
    each of three normalizations LN_{γ,β}(a) = γ ⊙ (a − mean(a)) /
    sqrt(var(a) + ε) + β, over the last axis (all 4H columns at once for
    the gates):

        [a_i, a_f, a_c, a_o] = LN_k(x_t W) + LN_r(h_{t-1} U) + b
        i = σ(a_i),  f = σ(a_f),  o = σ(a_o)
        c̃_t = f ⊙ c_{t-1} + i ⊙ φ(a_c)
        ĉ_t = LN_s(c̃_t)
        h_t = o ⊙ φ(ĉ_t)

    `form="addons"` (default) carries the normalized ĉ_t as the cell state,
    as `tfa.rnn.LayerNormLSTMCell` does; `form="ba2016"` carries the
    un-normalized c̃_t (Ba et al. 2016, eq. 20-22: the normalized state only
    feeds the output). States are `[h, c]`.

    Weights, in Addons' order: `kernel`, `recurrent_kernel`, `bias` (if
    `use_bias`), `kernel_norm_gamma`, `kernel_norm_beta` (4H,),
    `recurrent_norm_gamma`, `recurrent_norm_beta` (4H,),
    `state_norm_gamma`, `state_norm_beta` (H,); so an Addons cell's
    `get_weights()` loads with `set_weights`.

    Args:
        units: positive integer, H.
        activation: φ, default `"tanh"`.
        recurrent_activation: σ, default `"sigmoid"`.
        use_bias, kernel_initializer, recurrent_initializer,
        bias_initializer, unit_forget_bias, kernel/recurrent/bias
        regularizers and constraints: as in `keras.layers.LSTMCell`.
        dropout: fraction of the inputs dropped, in [0, 1).
        recurrent_dropout: fraction of `h` dropped before the recurrent
            matmul, in [0, 1). Both masks are drawn once per sequence.
        norm_gamma_initializer: initializer of every γ, default `"ones"`.
        norm_beta_initializer: initializer of every β, default `"zeros"`.
        norm_epsilon: ε, default 1e-3 (Addons' default).
        form: `"addons"` or `"ba2016"` (see above).
        seed: seed of the dropout masks.
        implementation: accepted and ignored (not in `get_config`).

    Call arguments:
        inputs: `(batch, features)` step input.
        states: `[h, c]`, each `(batch, units)`.
        training: whether dropout applies.

    Example:

    >>> cell = keras_seqlab.LayerNormLSTMCell(4)
    >>> keras.layers.RNN(cell)(np.zeros((2, 7, 3))).shape
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
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        norm_gamma_initializer="ones",
        norm_beta_initializer="zeros",
        norm_epsilon=1e-3,
        form="addons",
        seed=None,
        **kwargs,
    ):
        owner = self.__class__.__name__
        pop_legacy_arguments(owner, kwargs)
        self.form = check_choice(owner, "form", form, FORMS)
        self.norm_epsilon = check_positive_float(
            owner, "norm_epsilon", norm_epsilon
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
        self.unit_forget_bias = bool(unit_forget_bias)
        self.norm_gamma_initializer = initializers.get(norm_gamma_initializer)
        self.norm_beta_initializer = initializers.get(norm_beta_initializer)

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
        for norm in _NORMS:
            width = units if norm == "state_norm" else 4 * units
            for part, init in (
                ("gamma", self.norm_gamma_initializer),
                ("beta", self.norm_beta_initializer),
            ):
                weight = self.add_weight(
                    shape=(width,), name=f"{norm}_{part}", initializer=init
                )
                setattr(self, f"{norm}_{part}", weight)

    def _norm(self, a, norm):
        gamma = getattr(self, f"{norm}_gamma")
        beta = getattr(self, f"{norm}_beta")
        return gamma * _normalize(a, self.norm_epsilon) + beta

    def project_inputs(self, inputs):
        """`LN_k(x W) + b`: per step, so hoistable over a whole sequence."""
        projected = self._norm(ops.matmul(inputs, self.kernel), "kernel_norm")
        if self.use_bias:
            projected = projected + self.bias
        return projected

    def recurrent_step(self, projected, states, training=False):
        # `projected` is LN_k(x W) + b (see `project_inputs`).
        h_tm1, c_tm1 = states[0], states[1]
        h_in = self.recurrent_input(h_tm1, training)
        z = projected + self._norm(
            ops.matmul(h_in, self.recurrent_kernel), "recurrent_norm"
        )
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
        sigma = self.recurrent_activation
        c = sigma(z_f) * c_tm1 + sigma(z_i) * self.activation(z_c)
        c_normed = self._norm(c, "state_norm")
        h = sigma(z_o) * self.activation(c_normed)
        return h, [h, c_normed if self.form == "addons" else c]

    def get_config(self):
        config = {
            "recurrent_activation": activations.serialize(
                self.recurrent_activation
            ),
            "unit_forget_bias": self.unit_forget_bias,
            "norm_gamma_initializer": initializers.serialize(
                self.norm_gamma_initializer
            ),
            "norm_beta_initializer": initializers.serialize(
                self.norm_beta_initializer
            ),
            "norm_epsilon": self.norm_epsilon,
            "form": self.form,
        }
        return {**super().get_config(), **config}


@seqlab_export
class LayerNormLSTM(CellRNN):
    """Layer-normalized LSTM layer: `SeqlabRNN` over a `LayerNormLSTMCell`.

    Takes every argument of `LayerNormLSTMCell` (`form`, `norm_epsilon`
    included) plus `return_sequences`, `return_state`, `go_backwards`,
    `stateful`, `unroll` and `zero_output_for_mask`. A subclass of
    `keras.layers.RNN`, never of `keras.layers.LSTM`, so no fused LSTM
    path can skip the normalizations.

    Call arguments:
        sequences: `(batch, timesteps, features)`.
        initial_state: optional `[h, c]`.
        mask: optional boolean `(batch, timesteps)`.
        training: whether dropout applies.

    Example:

    >>> layer = keras_seqlab.LayerNormLSTM(4, return_sequences=True)
    >>> layer(np.zeros((2, 7, 3))).shape
    (2, 7, 4)
    """

    cell_class = LayerNormLSTMCell

    @property
    def recurrent_activation(self):
        return self.cell.recurrent_activation

    @property
    def form(self):
        return self.cell.form

    @property
    def norm_epsilon(self):
        return self.cell.norm_epsilon


# What `seqlab check` compares against the pure-Python reference
# (keras_seqlab.reference): plain data, collected by
# keras_seqlab.testing.reference_check. "step" names a reference.STEPS entry.
REFERENCE_CASES = (
    {
        "kind": "recurrent",
        "name": "LayerNormLSTM addons",
        "layer": LayerNormLSTM,
        "step": "ln_lstm.addons",
    },
    {
        "kind": "recurrent",
        "name": "LayerNormLSTM ba2016",
        "layer": LayerNormLSTM,
        "step": "ln_lstm.ba2016",
        "layer_kwargs": {"form": "ba2016"},
    },
    {
        "kind": "recurrent",
        "name": "LayerNormLSTM no bias, hard_sigmoid, eps 1e-2",
        "layer": LayerNormLSTM,
        "step": "ln_lstm.addons",
        "layer_kwargs": {
            "use_bias": False,
            "recurrent_activation": "hard_sigmoid",
            "norm_epsilon": 1e-2,
        },
        "step_options": {
            "recurrent_activation": "hard_sigmoid",
            "epsilon": 1e-2,
        },
    },
)
