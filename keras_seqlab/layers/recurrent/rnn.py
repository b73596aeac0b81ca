"""The recurrent layers' base: `SeqlabRNN` is a `keras.layers.RNN` that
draws the dropout masks once per sequence, before the loop, and on PyTorch
runs its own loop over the hoisted projection (`_loop`); `CellRNN` is the
base of the thin layers (`PeepholeLSTM`, `GRUVariant`, `LNSimpleRNN`) that
own one cell. Both define the step protocol (`layers.stepping`)."""

import keras

from keras_seqlab.layers.recurrent import _loop as loop
from keras_seqlab.layers.recurrent.base import RecurrentCell
from keras_seqlab.layers.recurrent.base import cells_of
from keras_seqlab.layers.stepping import rnn_initial_state
from keras_seqlab.layers.stepping import rnn_step
from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.validation import check_initial_state
from keras_seqlab.utils.validation import check_sequence_call
from keras_seqlab.utils.validation import check_sequence_shape
from keras_seqlab.utils.validation import layer_owner


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
