"""Layer-normalized SimpleRNN: textbook and TensorFlow Addons forms."""

import keras
from keras import constraints
from keras import initializers
from keras import ops
from keras import regularizers

from keras_seqlab.layers.recurrent.base import RecurrentCell
from keras_seqlab.layers.recurrent.peephole_lstm import pop_legacy_arguments
from keras_seqlab.layers.recurrent.rnn import CellRNN
from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.validation import check_choice
from keras_seqlab.utils.validation import check_positive_float

FORMS = ("textbook", "addons")
_DEFAULT_EPSILON = {"textbook": 1e-3, "addons": 1e-5}


def _normalize(a, epsilon):
    """(a − mean) / sqrt(var + ε) over the last axis, biased variance.

    Half-precision inputs are normalized in float32, as
    `keras.layers.LayerNormalization` does.
    """
    dtype = keras.backend.standardize_dtype(a.dtype)
    if dtype in ("float16", "bfloat16"):
        a = ops.cast(a, "float32")
    mean = ops.mean(a, axis=-1, keepdims=True)
    variance = ops.mean(ops.square(a - mean), axis=-1, keepdims=True)
    return ops.cast((a - mean) * ops.rsqrt(variance + epsilon), dtype)


@seqlab_export
class LNSimpleRNNCell(RecurrentCell):
    """SimpleRNN cell with layer normalization of the pre-activation.

    `form="textbook"` (default; the cell of Géron's *Hands-On Machine
    Learning*, a SimpleRNNCell without activation followed by
    `LayerNormalization` and the activation):

        a = x_t W + h_{t-1} U + b
        h_t = φ(γ ⊙ (a − mean(a)) / sqrt(var(a) + ε) + β)

    `form="addons"` (TensorFlow Addons `LayerNormSimpleRNNCell`:
    scale-only normalization, the bias playing the role of β):

        h_t = φ(γ ⊙ norm(x_t W + h_{t-1} U) + b)

    Weights, in this order: `kernel` (D, H), `recurrent_kernel` (H, H),
    `bias` (H,) if `use_bias`, `gamma` (H,), and `beta` (H,) for the
    textbook form. States are `[h]`.

    Args:
        units: positive integer, H.
        form: `"textbook"` or `"addons"`.
        epsilon: ε; default 1e-3 for the textbook form (Keras's
            `LayerNormalization` default) and 1e-5 for the Addons form.
        activation: φ, default `"tanh"`.
        gamma_initializer, beta_initializer, gamma_regularizer,
        beta_regularizer, gamma_constraint, beta_constraint: for γ and β.
        use_bias, kernel/recurrent/bias initializers, regularizers,
        constraints, dropout, recurrent_dropout, seed: as in
            `keras.layers.SimpleRNNCell`; dropout masks are drawn once per
            sequence (variational).
        implementation: accepted and ignored, as Keras 2 (and so
            `tfa.rnn.LayerNormSimpleRNNCell`) did; not in `get_config`.

    Example:

    >>> cell = keras_seqlab.LNSimpleRNNCell(4)
    >>> keras.layers.RNN(cell)(np.zeros((2, 7, 3))).shape
    (2, 4)
    """

    def __init__(
        self,
        units,
        form="textbook",
        epsilon=None,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        gamma_initializer="ones",
        beta_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        gamma_regularizer=None,
        beta_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        gamma_constraint=None,
        beta_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        owner = self.__class__.__name__
        pop_legacy_arguments(owner, kwargs)
        self.form = check_choice(owner, "form", form, FORMS)
        if epsilon is None:
            epsilon = _DEFAULT_EPSILON[form]
        self.epsilon = check_positive_float(owner, "epsilon", epsilon)
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
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.beta_constraint = constraints.get(beta_constraint)

    def build_weights(self, input_dim):
        self.add_kernels(input_dim, self.units, self.units)
        self.add_bias((self.units,))
        self.gamma = self.add_weight(
            shape=(self.units,),
            name="gamma",
            initializer=self.gamma_initializer,
            regularizer=self.gamma_regularizer,
            constraint=self.gamma_constraint,
        )
        self.beta = None
        if self.form == "textbook":
            self.beta = self.add_weight(
                shape=(self.units,),
                name="beta",
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )

    def input_bias(self):
        # Textbook form: a = x W + h U + b, so b goes with x W. Addons form:
        # b comes after the normalization and stays in the step.
        if self.form == "textbook" and self.use_bias:
            return self.bias
        return None

    def recurrent_step(self, projected, states, training=False):
        # `projected` is x W (+ b in the textbook form, see `input_bias`).
        h_in = self.recurrent_input(states[0], training)
        a = projected + ops.matmul(h_in, self.recurrent_kernel)
        if self.form == "textbook":
            y = self.gamma * _normalize(a, self.epsilon) + self.beta
        else:
            y = self.gamma * _normalize(a, self.epsilon)
            if self.use_bias:
                y = y + self.bias
        h = self.activation(y)
        return h, [h]

    def get_config(self):
        config = {
            "form": self.form,
            "epsilon": self.epsilon,
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "beta_constraint": constraints.serialize(self.beta_constraint),
        }
        return {**super().get_config(), **config}


@seqlab_export
class LayerNormSimpleRNNCell(LNSimpleRNNCell):
    """`tfa.rnn.LayerNormSimpleRNNCell`, for users migrating from Addons.

    `LNSimpleRNNCell(form="addons")` under the Addons name and signature:
    `layernorm_epsilon` (default 1e-5) is ε, and there is no β. Weights come
    in the Addons order: `kernel`, `recurrent_kernel`, `bias`, `gamma`.

    Example:

    >>> cell = keras_seqlab.LayerNormSimpleRNNCell(4)
    >>> keras.layers.RNN(cell)(np.zeros((2, 7, 3))).shape
    (2, 4)
    """

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        gamma_initializer="ones",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        gamma_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        gamma_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        layernorm_epsilon=1e-5,
        seed=None,
        **kwargs,
    ):
        super().__init__(
            units,
            form="addons",
            epsilon=layernorm_epsilon,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            gamma_initializer=gamma_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            gamma_regularizer=gamma_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            gamma_constraint=gamma_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            **kwargs,
        )

    def get_config(self):
        config = super().get_config()
        for key in ("form", "beta_initializer", "beta_regularizer"):
            del config[key]
        del config["beta_constraint"]
        config["layernorm_epsilon"] = config.pop("epsilon")
        return config


@seqlab_export
class LNSimpleRNN(CellRNN):
    """Layer-normalized SimpleRNN layer: `SeqlabRNN` over `LNSimpleRNNCell`.

    Takes every argument of `LNSimpleRNNCell` (`form`, `epsilon` included)
    plus `return_sequences`, `return_state`, `go_backwards`, `stateful`,
    `unroll` and `zero_output_for_mask`.

    Example:

    >>> layer = keras_seqlab.LNSimpleRNN(4, return_sequences=True)
    >>> layer(np.zeros((2, 7, 3))).shape
    (2, 7, 4)
    """

    cell_class = LNSimpleRNNCell

    @property
    def form(self):
        return self.cell.form

    @property
    def epsilon(self):
        return self.cell.epsilon


# What `seqlab check` compares against the pure-Python reference
# (keras_seqlab.reference): plain data, collected by
# keras_seqlab.testing.reference_check. "step" names a reference.STEPS entry.
REFERENCE_CASES = (
    {
        "kind": "recurrent",
        "name": "LNSimpleRNN textbook",
        "layer": LNSimpleRNN,
        "step": "ln_simple_rnn.textbook",
    },
    {
        "kind": "recurrent",
        "name": "LNSimpleRNN addons",
        "layer": LNSimpleRNN,
        "step": "ln_simple_rnn.addons",
        "layer_kwargs": {"form": "addons"},
    },
    {
        "kind": "recurrent",
        "name": "LNSimpleRNN relu, eps 1e-2",
        "layer": LNSimpleRNN,
        "step": "ln_simple_rnn.textbook",
        "layer_kwargs": {"activation": "relu", "epsilon": 1e-2},
        "step_options": {"activation": "relu", "epsilon": 1e-2},
    },
)
