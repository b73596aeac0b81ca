"""Echo state network (Jaeger 2001): cell and layer.

`ESNCell` replaces `tfa.rnn.ESNCell` (TensorFlow Addons) with its argument
names, weights and numbers.
"""

import keras
from keras import activations
from keras import initializers
from keras import ops

from keras_seqlab.layers.recurrent.base import RecurrentCell
from keras_seqlab.layers.recurrent.peephole_lstm import pop_legacy_arguments
from keras_seqlab.layers.recurrent.rnn import CellRNN
from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.validation import check_fraction
from keras_seqlab.utils.validation import check_positive_float

# The weights are fixed: no regularizer or constraint applies to them.
_NOT_ARGUMENTS = (
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
)


@seqlab_export
class ESNCell(RecurrentCell):
    """Echo state network cell: a fixed random reservoir, a leaky update.

    H. Jaeger, "The 'echo state' approach to analysing and training
    recurrent neural networks", GMD Report 148, 2001; as `tfa.rnn.ESNCell`:

        h_t = (1 − α) h_{t-1} + α φ(x_t W + h_{t-1} U + b)

    α is `leaky`. Every weight is fixed (non-trainable): only the layers
    after the reservoir (the readout) learn. The reservoir U is drawn once,
    when the cell is built: `recurrent_initializer`'s matrix, each entry
    kept with probability `connectivity` (uniform draw <= connectivity),
    then scaled so that its spectral radius (the largest |eigenvalue|) is
    `spectral_radius`, or, with `use_norm2`, so that its Frobenius norm (an
    upper bound of the spectral radius, cheaper to compute) is. No random
    number is drawn in `call`. States are `[h]`.

    Weights, in Addons' order: `recurrent_kernel` (H, H), `kernel` (D, H),
    `bias` (H,) if `use_bias`; all non-trainable and saved with the model.

    Args:
        units: positive integer, H, the reservoir size.
        connectivity: probability in [0, 1] that a reservoir connection
            exists; default 0.1.
        leaky: leaking rate α in (0, 1]; default 1 (no leaky integration).
        spectral_radius: positive number, the reservoir's target spectral
            radius; default 0.9 (below 1 for the echo state property).
        use_norm2: scale by the Frobenius norm instead of the eigenvalues.
        use_bias: whether to add `bias`.
        activation: φ, default `"tanh"`.
        kernel_initializer, recurrent_initializer: default
            `"glorot_uniform"` (both, as in Addons).
        bias_initializer: default `"zeros"`.
        dropout: fraction of the inputs dropped, in [0, 1).
        recurrent_dropout: fraction of `h` dropped before the reservoir
            matmul, in [0, 1). Both masks are drawn once per sequence.
        seed: seed of the connectivity mask and of the dropout masks.

    Call arguments:
        inputs: `(batch, features)` step input.
        states: `[h]`.
        training: whether dropout applies.

    Example:

    >>> cell = keras_seqlab.ESNCell(4, connectivity=0.5, seed=1)
    >>> keras.layers.RNN(cell)(np.zeros((2, 7, 3))).shape
    (2, 4)
    """

    def __init__(
        self,
        units,
        connectivity=0.1,
        leaky=1.0,
        spectral_radius=0.9,
        use_norm2=False,
        use_bias=True,
        activation="tanh",
        kernel_initializer="glorot_uniform",
        recurrent_initializer="glorot_uniform",
        bias_initializer="zeros",
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        owner = self.__class__.__name__
        pop_legacy_arguments(owner, kwargs)
        fixed = [key for key in _NOT_ARGUMENTS if key in kwargs]
        if fixed:
            raise TypeError(
                f"{owner}: got {', '.join(fixed)}, but the reservoir's "
                "weights are fixed (not trained): expected no regularizer "
                "or constraint."
            )
        self.connectivity = check_fraction(
            owner, "connectivity", connectivity, low_open=False, high_open=False
        )
        self.leaky = check_fraction(owner, "leaky", leaky, high_open=False)
        self.spectral_radius = check_positive_float(
            owner, "spectral_radius", spectral_radius
        )
        self.use_norm2 = bool(use_norm2)
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            **kwargs,
        )

    def build_weights(self, input_dim):
        units = self.units
        self.recurrent_kernel = self.add_weight(
            shape=(units, units),
            name="recurrent_kernel",
            initializer=self.reservoir,
            trainable=False,
        )
        self.kernel = self.add_weight(
            shape=(input_dim, units),
            name="kernel",
            initializer=self.kernel_initializer,
            trainable=False,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(units,),
                name="bias",
                initializer=self.bias_initializer,
                trainable=False,
            )

    def reservoir(self, shape, dtype=None):
        """The initial reservoir U: sparse, scaled to the spectral radius."""
        weights = self.recurrent_initializer(shape, dtype=dtype)
        draw = keras.random.uniform(shape, seed=self.seed_generator)
        keep = ops.cast(ops.less_equal(draw, self.connectivity), dtype)
        weights = weights * keep
        if self.use_norm2:
            radius = ops.sqrt(ops.sum(ops.square(weights)))
        else:
            eigenvalues, _ = ops.eig(weights)
            radius = ops.cast(ops.max(ops.abs(eigenvalues)), dtype)
        # An all-zero reservoir stays zero (Addons: divide_no_nan, norm + 1).
        safe = ops.where(radius > 0, radius, ops.ones_like(radius))
        factor = ops.where(radius > 0, self.spectral_radius / safe, 0.0)
        return weights * ops.cast(factor, dtype)

    def input_bias(self):
        return self.bias if self.use_bias else None

    def recurrent_step(self, projected, states, training=False):
        # `projected` is x W + b (see `input_bias`).
        h_tm1 = states[0]
        h_in = self.recurrent_input(h_tm1, training)
        update = self.activation(
            projected + ops.matmul(h_in, self.recurrent_kernel)
        )
        h = (1.0 - self.leaky) * h_tm1 + self.leaky * update
        return h, [h]

    def get_config(self):
        config = super().get_config()
        for key in _NOT_ARGUMENTS:
            del config[key]
        config.update(
            {
                "connectivity": self.connectivity,
                "leaky": self.leaky,
                "spectral_radius": self.spectral_radius,
                "use_norm2": self.use_norm2,
                "activation": activations.serialize(self.activation),
                "recurrent_initializer": initializers.serialize(
                    self.recurrent_initializer
                ),
            }
        )
        return config


@seqlab_export
class ESN(CellRNN):
    """Echo state network layer: `SeqlabRNN` over an `ESNCell`.

    Takes every argument of `ESNCell` plus `return_sequences`,
    `return_state`, `go_backwards`, `stateful`, `unroll` and
    `zero_output_for_mask`. It has no trainable weight: put a trainable
    readout (e.g. `keras.layers.Dense`) after it.

    Call arguments:
        sequences: `(batch, timesteps, features)`.
        initial_state: optional `[h]`.
        mask: optional boolean `(batch, timesteps)`.
        training: whether dropout applies.

    Example:

    >>> layer = keras_seqlab.ESN(16, return_sequences=True, seed=0)
    >>> layer(np.zeros((2, 7, 3))).shape
    (2, 7, 16)
    """

    cell_class = ESNCell

    @property
    def connectivity(self):
        return self.cell.connectivity

    @property
    def leaky(self):
        return self.cell.leaky

    @property
    def spectral_radius(self):
        return self.cell.spectral_radius


# What `seqlab check` compares against the pure-Python reference
# (keras_seqlab.reference): plain data, collected by
# keras_seqlab.testing.reference_check. "step" names a reference.STEPS entry.
# The gradients are those of the inputs and initial states (no weight is
# trainable).
REFERENCE_CASES = (
    {
        "kind": "recurrent",
        "name": "ESN",
        "layer": ESN,
        "step": "esn",
        "layer_kwargs": {"connectivity": 1.0},
    },
    {
        "kind": "recurrent",
        "name": "ESN leaky 0.3, relu, no bias",
        "layer": ESN,
        "step": "esn",
        "layer_kwargs": {
            "connectivity": 0.5,
            "leaky": 0.3,
            "activation": "relu",
            "use_bias": False,
        },
        "step_options": {"leaky": 0.3, "activation": "relu"},
    },
)
