"""Shared machinery of the recurrent cells and layers.

`RecurrentCell` is the base of every cell: the Keras argument vocabulary,
validation, variational dropout masks and the split of a step into an input
projection `x_t W` (which a layer may hoist out of the time loop) and a
recurrent update. `SeqlabRNN` is a `keras.layers.RNN` that draws the dropout
masks once per sequence, before the loop, and on PyTorch runs its own loop
over the hoisted projection. `CellRNN` is the base of the thin layers
(`PeepholeLSTM`, `GRUVariant`, `LNSimpleRNN`) that own one cell.
"""

import keras
from keras import activations
from keras import constraints
from keras import initializers
from keras import ops
from keras import regularizers

from keras_seqlab.layers import loop
from keras_seqlab.layers.stepping import rnn_initial_state
from keras_seqlab.layers.stepping import rnn_step
from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.validation import check_initial_state
from keras_seqlab.utils.validation import check_rate
from keras_seqlab.utils.validation import check_sequence_call
from keras_seqlab.utils.validation import check_sequence_shape
from keras_seqlab.utils.validation import check_step_shape
from keras_seqlab.utils.validation import check_units
from keras_seqlab.utils.validation import layer_owner


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


@seqlab_export
class SeqlabRNN(keras.layers.RNN):
    """`keras.layers.RNN` for keras_seqlab cells (any Keras cell works too).

    Differences from the parent, all about getting the same numbers on
    every backend, fast:

    - dropout and recurrent dropout masks of keras_seqlab cells (also inside
      `keras.layers.StackedRNNCells`) are drawn once per sequence before the
      time loop and cleared after it;
    - at masked steps before the first real step the output is zero on
      every backend (Keras's JAX loop returns the initial state there);
    - on PyTorch, a single keras_seqlab cell runs in a Python loop over
      `ops.unstack` of the hoisted input projection `x W + b` (computed
      in chunks of time of at most 4 MiB): linear in T, where the generic
      loop's backward pass grows with T² there. On the CPU its backward
      pass runs with `torch.set_flush_denormal(True)` (restored after):
      gradients that fade over many steps would otherwise reach subnormal
      floats, which the CPU handles many times slower;
    - masks become boolean once, on entry (`check_mask`: any non-zero
      value is a real step);
    - bad calls raise a `ValueError` naming the layer before any backend
      op (`_check_call`): inputs that are not (batch, timesteps, features)
      with a known feature size, zero time steps, another feature size than
      the layer was built with, a mask of another batch size or length,
      initial states of another number, width or batch size.

    Args and call arguments: those of `keras.layers.RNN`.

    Example:

    >>> cell = keras_seqlab.PeepholeLSTMCell(8, dropout=0.1)
    >>> layer = keras_seqlab.SeqlabRNN(cell, return_sequences=True)
    >>> layer(np.zeros((2, 5, 3))).shape
    (2, 5, 8)
    """

    def initial_step_state(self, batch_size, dtype):
        """The step protocol (`layers.stepping.rnn_initial_state`)."""
        return rnn_initial_state(self, batch_size, dtype)

    def step(self, x_t, state, mask=None):
        """One step of the cell (`layers.stepping.rnn_step`)."""
        return rnn_step(self, x_t, state, mask)

    def build(self, sequences_shape, initial_state_shape=None):
        check_sequence_shape(
            layer_owner(self), sequences_shape, needs_steps=True
        )
        super().build(sequences_shape, initial_state_shape)
        self._features = int(sequences_shape[-1])

    def _check_call(self, sequences, initial_state=None, mask=None):
        """Raises for bad call arguments; returns the boolean mask or None.

        On static shapes, before any backend op: rank 3, at least one time
        step (Keras's own RNN layers fail differently on each backend
        there), the feature size the layer was built with, a mask of the
        inputs' batch size and length, one initial state tensor of shape
        (batch, width) per state.
        """
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        mask = check_sequence_call(
            self,
            sequences,
            mask,
            getattr(self, "_features", None),
            needs_steps=True,
        )
        if initial_state is not None:
            check_initial_state(
                layer_owner(self),
                self.state_size,
                sequences.shape,
                initial_state,
            )
        return mask

    def compute_output_spec(
        self, sequences, initial_state=None, mask=None, **kwargs
    ):
        self._check_call(sequences, initial_state, mask)
        return super().compute_output_spec(
            sequences, initial_state=initial_state, mask=mask, **kwargs
        )

    def call(self, sequences, initial_state=None, mask=None, training=False):
        mask = self._check_call(sequences, initial_state, mask)
        cells = [c for c in cells_of(self.cell) if _has_dropout(c)]
        if training:
            for cell in cells:
                cell.prepare_dropout_masks(sequences[:, 0, :])
        try:
            return super().call(
                sequences,
                initial_state=initial_state,
                mask=mask,
                training=training,
            )
        finally:
            for cell in cells:
                cell.clear_dropout_masks()

    def inner_loop(self, sequences, initial_state, mask, training=False):
        last_output, outputs, states = self.time_loop(
            sequences, initial_state, mask, training
        )
        if mask is not None and not self.zero_output_for_mask:
            sequence, last_output = loop.zero_before_first_step(
                outputs if self.return_sequences else None,
                last_output,
                mask,
                self.go_backwards,
            )
            if self.return_sequences:
                outputs = sequence
        return last_output, outputs, states

    def time_loop(self, sequences, initial_state, mask, training):
        """The loop itself: `(last_output, outputs, states)`.

        The one hook for a layer with a loop of its own (the parallel scan
        of `MinGRU`/`MinLSTM`); `inner_loop` applies the mask rule to
        whatever it returns.
        """
        if keras.backend.backend() == "torch" and isinstance(
            self.cell, RecurrentCell
        ):
            return loop.torch_loop(
                self, sequences, initial_state, mask, training
            )
        return super().inner_loop(
            sequences, initial_state, mask, training=training
        )


def _has_dropout(cell):
    return isinstance(cell, RecurrentCell) and (
        cell.dropout > 0 or cell.recurrent_dropout > 0
    )


_LAYER_ARGUMENTS = (
    "name",
    "dtype",
    "trainable",
    "autocast",
    "activity_regularizer",
    "input_shape",
    "input_dim",
)
_CELL_CONFIG_SKIP = ("name", "trainable", "dtype")


class CellRNN(SeqlabRNN):
    """Base of the thin layers: a `SeqlabRNN` that builds its own cell.

    A subclass sets `cell_class`; its constructor takes the cell's arguments
    plus `return_sequences`, `return_state`, `go_backwards`, `stateful`,
    `unroll`, `zero_output_for_mask` and the usual layer arguments, and
    `get_config` returns all of them flat, like `keras.layers.LSTM`.
    """

    cell_class = None

    def __init__(
        self,
        units,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        layer_kwargs = {
            k: kwargs.pop(k) for k in _LAYER_ARGUMENTS if k in kwargs
        }
        cell = self.cell_class(
            units,
            dtype=layer_kwargs.get("dtype"),
            trainable=layer_kwargs.get("trainable", True),
            name=f"{self.cell_class.__name__.lower()}",
            **kwargs,
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            **layer_kwargs,
        )

    @property
    def units(self):
        return self.cell.units

    @property
    def activation(self):
        return self.cell.activation

    @property
    def use_bias(self):
        return self.cell.use_bias

    @property
    def dropout(self):
        return self.cell.dropout

    @property
    def recurrent_dropout(self):
        return self.cell.recurrent_dropout

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in _CELL_CONFIG_SKIP:
            cell_config.pop(key, None)
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
