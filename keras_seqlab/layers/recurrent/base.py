"""The base of every recurrent cell: `RecurrentCell`, the Keras argument
vocabulary, validation, variational dropout masks and the split of a step
into an input projection `x_t W` (which a layer may hoist out of the time
loop) and a recurrent update."""

import keras
from keras import activations
from keras import constraints
from keras import initializers
from keras import ops
from keras import regularizers

from keras_seqlab.utils.validation import check_rate
from keras_seqlab.utils.validation import check_step_shape
from keras_seqlab.utils.validation import check_units


class RecurrentCell(keras.layers.Layer):
    """Base class of the keras_seqlab cells.

    A step is `call(x_t, states) = recurrent_step(project_inputs(x_t),
    states)`; `project_inputs` includes the input-side bias (`input_bias`).
    Subclasses create their weights in `build_weights(input_dim)` and
    implement `recurrent_step`; they return `(output, [output, ...])`,
    output first, so masked steps give the same numbers on every backend.

    Dropout is variational (Gal & Ghahramani 2016): one input mask and one
    recurrent mask per sequence, the same at every step, applied only when
    `training` is true. The masks are drawn before the time loop by
    `SeqlabRNN` (random draws inside a JAX scan would leak tracers).
    """

    num_states = 1

    def __init__(
        self,
        units,
        activation="tanh",
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
        self.units = check_units(owner, units)
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = check_rate(owner, "dropout", dropout)
        self.recurrent_dropout = check_rate(
            owner, "recurrent_dropout", recurrent_dropout
        )
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)
        self.input_dim = None
        self._dropout_mask = None
        self._recurrent_dropout_mask = None

    # -- Keras cell protocol -------------------------------------------------

    @property
    def state_size(self):
        if self.num_states == 1:
            return self.units
        return [self.units] * self.num_states

    @property
    def output_size(self):
        return self.units

    def get_initial_state(self, batch_size=None):
        return [
            ops.zeros((batch_size, self.units), dtype=self.compute_dtype)
            for _ in range(self.num_states)
        ]

    def build(self, input_shape):
        check_step_shape(self.__class__.__name__, input_shape)
        self.input_dim = int(input_shape[-1])
        self.build_weights(self.input_dim)

    def call(self, inputs, states, training=False):
        if not isinstance(states, (list, tuple)):
            states = [states]
        inputs = self.drop_inputs(inputs, training)
        return self.recurrent_step(
            self.project_inputs(inputs), list(states), training=training
        )

    # -- what subclasses implement --------------------------------------------

    def build_weights(self, input_dim):
        raise NotImplementedError

    def recurrent_step(self, projected, states, training=False):
        """One step from the projected input `x_t W` and the states."""
        raise NotImplementedError

    def project_inputs(self, inputs):
        """`x W + b_x` for one step `(batch, D)` or a sequence `(batch, T, D)`.

        `b_x` is `input_bias()`, the part of the bias that is added to
        `x W` alone; hoisted with it, it costs one addition per sequence
        on the PyTorch loop instead of one per step.
        """
        projected = ops.matmul(inputs, self.kernel)
        bias = self.input_bias()
        if bias is not None:
            projected = projected + bias
        return projected

    def input_bias(self):
        """The bias added to `x W` before the recurrence, or None.

        `recurrent_step` must not add it again.
        """
        return None

    # -- helpers ---------------------------------------------------------------

    def add_kernels(self, input_dim, kernel_columns, recurrent_columns):
        self.kernel = self.add_weight(
            shape=(input_dim, kernel_columns),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, recurrent_columns),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )

    def add_bias(self, shape, initializer=None):
        if not self.use_bias:
            self.bias = None
            return
        self.bias = self.add_weight(
            shape=shape,
            name="bias",
            initializer=initializer or self.bias_initializer,
            regularizer=self.bias_regularizer,
            constraint=self.bias_constraint,
        )

    def drop_inputs(self, inputs, training):
        """Input dropout of one step `(batch, D)` or a sequence `(batch, T, D)`.

        The same mask (drawn once per sequence) multiplies every step.
        """
        if not training or self.dropout == 0:
            return inputs
        mask = self._mask("_dropout_mask", "dropout")
        if len(inputs.shape) == 3:
            mask = mask[:, None, :]
        return inputs * mask

    def recurrent_input(self, h, training):
        """The previous output as the recurrent matmul sees it."""
        if training and self.recurrent_dropout > 0:
            return h * self._mask(
                "_recurrent_dropout_mask", "recurrent_dropout"
            )
        return h

    # -- variational dropout masks ---------------------------------------------

    def prepare_dropout_masks(self, batch_probe):
        """Draws this sequence's masks; `batch_probe` is any (batch, k) tensor.

        Masks are ones scaled by 1 / (1 - rate) and zeroed with probability
        `rate`, shaped (batch, input_dim) and (batch, units).
        """
        ones = ops.ones_like(batch_probe[:, :1])
        dtype = self.compute_dtype
        if self.dropout > 0:
            self._dropout_mask = keras.random.dropout(
                ones * ops.ones((self.input_dim,), dtype=dtype),
                rate=self.dropout,
                seed=self.seed_generator,
            )
        if self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = keras.random.dropout(
                ones * ops.ones((self.units,), dtype=dtype),
                rate=self.recurrent_dropout,
                seed=self.seed_generator,
            )

    def clear_dropout_masks(self):
        self._dropout_mask = None
        self._recurrent_dropout_mask = None

    def _mask(self, attribute, argument):
        mask = getattr(self, attribute)
        if mask is None:
            raise ValueError(
                f"{self.__class__.__name__} '{self.name}': {argument}="
                f"{getattr(self, argument)} needs its mask drawn once per "
                "sequence, before the time loop, which keras.layers.RNN only "
                "does for Keras's own cells. Wrap the cell in "
                "keras_seqlab.SeqlabRNN (a drop-in subclass of "
                "keras.layers.RNN) or use the matching keras_seqlab layer."
            )
        return mask

    def get_config(self):
        config = {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(
                self.kernel_initializer
            ),
            "recurrent_initializer": initializers.serialize(
                self.recurrent_initializer
            ),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(
                self.kernel_regularizer
            ),
            "recurrent_regularizer": regularizers.serialize(
                self.recurrent_regularizer
            ),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(
                self.recurrent_constraint
            ),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}


def cells_of(cell):
    """The cell itself, or the cells of a `StackedRNNCells`, flattened."""
    if isinstance(cell, keras.layers.StackedRNNCells):
        return [c for inner in cell.cells for c in cells_of(inner)]
    return [cell]
