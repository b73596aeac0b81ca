"""How each layer steps: one rule per layer call in a model's graph.

A rule turns one time step of its inputs, and its own state, into that
step of its outputs and its new state. A `Value` is one step of a tensor:
`(batch, …)` without the time axis when the full model's tensor has one
(`timed`), or the whole tensor when the sequence has been reduced already
(an RNN with `return_sequences=False`, pooling): then it is the value the
model computes for the sequence that ends at this step.

Stepping reproduces the full-sequence layer exactly, masks included, so a
rule exists only for layers whose output at step t depends on steps ≤ t
(causal); `rule_for` refuses every other layer with a ValueError naming it.
"""

import inspect

import keras
from keras import ops

from keras_seqlab.layers.causal_conv import causal_conv_step
from keras_seqlab.layers.causal_conv import keep_mask
from keras_seqlab.layers.forecast import Rescale
from keras_seqlab.layers.quantiles import QuantileHead
from keras_seqlab.layers.quantiles import RepeatQuantiles

OWNER = "stream"

# Layers that act on each time step alone (or on the trailing axes), so one
# step of the output is the layer applied to one step of the input.
POINTWISE = (
    keras.layers.Dense,
    keras.layers.TimeDistributed,
    keras.layers.Dropout,
    keras.layers.SpatialDropout1D,
    keras.layers.GaussianNoise,
    keras.layers.GaussianDropout,
    keras.layers.AlphaDropout,
    keras.layers.ActivityRegularization,
    keras.layers.Activation,
    keras.layers.ReLU,
    keras.layers.LeakyReLU,
    keras.layers.ELU,
    keras.layers.Masking,
    keras.layers.Embedding,
    keras.layers.Identity,
    keras.layers.Rescaling,
    keras.layers.Add,
    keras.layers.Subtract,
    keras.layers.Multiply,
    keras.layers.Average,
    keras.layers.Maximum,
    keras.layers.Minimum,
    Rescale,
    QuantileHead,
    RepeatQuantiles,
)


class Value:
    """One step of a tensor: `tensor`, its Keras `mask` (batch,) or None,
    and whether the full model's tensor has a time axis (`timed`)."""

    def __init__(self, tensor, mask=None, timed=True):
        self.tensor = tensor
        self.mask = mask
        self.timed = timed


def refuse(layer, why):
    raise ValueError(
        f"{OWNER}: layer {layer.name!r} ({layer.__class__.__name__}) cannot "
        f"step one time point at a time: {why}."
    )


def _accepts(layer, argument):
    return argument in inspect.signature(layer.call).parameters


def where_real(mask, new, old):
    """Per row: `new` where the step is real, `old` where it is masked."""
    if mask is None:
        return new
    shape = (-1,) + (1,) * (len(new.shape) - 1)
    return ops.where(ops.reshape(mask, shape), new, old)


class Rule:
    """A layer call that keeps no state between steps.

    `state_count` is the number of state tensors it keeps, `timed_out`
    whether its outputs have a time axis in the full model.
    """

    state_count = 0
    timed_out = True

    def __init__(self, layer):
        self.layer = layer

    def initial_state(self, batch, dtype):
        return []

    def step(self, inputs, state):
        raise NotImplementedError


def steps_itself(layer):
    """Whether `layer` follows the step protocol: it defines
    `initial_step_state(batch_size, dtype)` and `step(x_t, state, mask)`."""
    return callable(getattr(layer, "initial_step_state", None)) and callable(
        getattr(layer, "step", None)
    )


class Protocol(Rule):
    """A layer that steps itself (the step protocol), a user's own causal
    layer included:

        initial_step_state(batch_size, dtype) -> [tensor, ...]
        step(x_t, state, mask=None) -> (y_t, new_state)

    `x_t` is one step `(batch, features)`, `mask` None or a boolean
    `(batch,)` (False where the step is padding: the layer keeps its state
    there, as its `call` does with a mask); `y_t` is the step of a sequence
    output, or the value for the sequence ending here when the layer
    reduces the time axis (its output has one axis less than its input).
    The Keras mask passes on to a sequence output if the layer
    `supports_masking`.
    """

    def __init__(self, layer, shape):
        super().__init__(layer)
        self.state_count = len(layer.initial_step_state(1, "float32"))
        out = layer.compute_output_shape(tuple(shape))
        self.timed_out = len(out) == len(shape)

    def initial_state(self, batch, dtype):
        return list(self.layer.initial_step_state(batch, dtype))

    def step(self, inputs, state):
        value = inputs
        if not value.timed:
            refuse(self.layer, "its input was reduced over time already")
        y, new = self.layer.step(value.tensor, list(state), mask=value.mask)
        if len(new) != self.state_count:
            refuse(
                self.layer,
                f"its step returned {len(new)} state tensor(s), its "
                f"initial_step_state {self.state_count}",
            )
        if not self.timed_out:
            return [Value(y, None, False)], list(new)
        mask = value.mask if self.layer.supports_masking else None
        return [Value(y, mask, True)], list(new)


class Static(Rule):
    """A layer after the sequence was reduced: called as it is."""

    timed_out = False

    def __init__(self, layer, kwargs):
        super().__init__(layer)
        self.kwargs = kwargs

    def step(self, inputs, state):
        tensors = keras.tree.map_structure(lambda v: v.tensor, inputs)
        outputs = self.layer(tensors, **self.kwargs)
        return [Value(y, None, False) for y in keras.tree.flatten(outputs)], []


class Pointwise(Rule):
    """A layer that acts on each step alone: applied to a length-1 sequence.

    The time axis is kept (length 1), so axis arguments, ranks and
    `compute_mask` mean what they mean in the full model.
    """

    def __init__(self, layer, kwargs, timed_out=True):
        super().__init__(layer)
        self.kwargs = dict(kwargs)
        self.timed_out = timed_out
        if _accepts(layer, "training"):
            self.kwargs["training"] = False

    def step(self, inputs, state):
        values = keras.tree.flatten(inputs)
        for value in values:
            if not value.timed:
                refuse(self.layer, "it mixes a sequence with a reduced value")
        tensors = keras.tree.map_structure(
            lambda v: ops.expand_dims(v.tensor, 1), inputs
        )
        masks = keras.tree.map_structure(
            lambda v: None if v.mask is None else ops.expand_dims(v.mask, 1),
            inputs,
            none_is_leaf=True,
        )
        kwargs = dict(self.kwargs)
        has_mask = any(v.mask is not None for v in values)
        if has_mask and _accepts(self.layer, "mask"):
            kwargs["mask"] = masks
        outputs = keras.tree.flatten(self.layer(tensors, **kwargs))
        mask = None
        if has_mask and self.layer.supports_masking:
            mask = self.layer.compute_mask(tensors, masks)
            mask = keras.tree.flatten(mask)[0] if mask is not None else None
        elif isinstance(
            self.layer, (keras.layers.Masking, keras.layers.Embedding)
        ):
            # The layers that make a mask (Embedding with mask_zero).
            mask = self.layer.compute_mask(tensors, None)
        if not self.timed_out:
            return [Value(y, None, False) for y in outputs], []
        if mask is not None:
            mask = mask[:, 0]
        return [Value(y[:, 0], mask, True) for y in outputs], []


class Identity(Rule):
    """A layer that passes its input on: `ForecastSpec`, and `FixedWindow`
    (whose check of the window length is the full model's business)."""

    def step(self, inputs, state):
        return [inputs], []


class Reshape(Rule):
    """`keras.layers.Reshape` of the axes after time (time kept first)."""

    def __init__(self, layer, shape):
        super().__init__(layer)
        out = tuple(layer.compute_output_shape(shape))
        if len(out) < 2 or out[1] not in (shape[1], -1, None):
            refuse(layer, "it reshapes the time axis")
        self.step_shape = (-1,) + out[2:]
        if None in self.step_shape[1:]:
            refuse(layer, f"its output shape {out} is not fixed")

    def step(self, inputs, state):
        value = inputs
        y = ops.reshape(value.tensor, self.step_shape)
        return [Value(y, value.mask, True)], []


class Recurrent(Rule):
    """A `keras.layers.RNN` (Keras's LSTM, GRU, SimpleRNN, every layer of
    this package): its cell's states, plus the last output, which a masked
    step returns again (as the full layer does)."""

    def __init__(self, layer, shape):
        super().__init__(layer)
        if layer.go_backwards:
            refuse(layer, "it runs backwards (go_backwards=True)")
        if getattr(layer, "return_state", False):
            refuse(layer, "return_state=True is not supported")
        self.cell = layer.cell
        self.units = layer.compute_output_shape(shape)[-1]
        self.structure = self._cell_state(1)
        self.state_count = 1 + len(keras.tree.flatten(self.structure))
        self.timed_out = layer.return_sequences

    def _cell_state(self, batch):
        states = self.cell.get_initial_state(batch_size=batch)
        return states if keras.tree.is_nested(states) else [states]

    def initial_state(self, batch, dtype):
        output = ops.zeros((batch, self.units), dtype)
        return [output, *keras.tree.flatten(self._cell_state(batch))]

    def step(self, inputs, state):
        value = inputs
        previous, cell_state = state[0], state[1:]
        states = keras.tree.pack_sequence_as(self.structure, cell_state)
        output, new = self.cell(value.tensor, states, training=False)
        new = keras.tree.flatten(new)
        mask = value.mask
        output = where_real(mask, output, previous)
        new = [where_real(mask, n, o) for n, o in zip(new, cell_state)]
        if not self.layer.return_sequences:
            return [Value(output, None, False)], [output, *new]
        y = output
        if mask is not None and getattr(
            self.layer, "zero_output_for_mask", False
        ):
            y = output * keep_mask(mask, output)
        return [Value(y, mask, True)], [output, *new]


class Window(Rule):
    """A causal convolution's left buffer: the last (k − 1)·d inputs."""

    def __init__(self, layer, span, channels):
        super().__init__(layer)
        self.span = span
        self.channels = channels
        self.state_count = 1 if span else 0

    def initial_state(self, batch, dtype):
        if not self.span:
            return []
        return [ops.zeros((batch, self.span, self.channels), dtype)]

    def window(self, x, state):
        """`(window, new_state)`: the buffer with `x` (batch, C) appended."""
        if not self.span:
            return ops.expand_dims(x, 1), []
        window = ops.concatenate([state[0], ops.expand_dims(x, 1)], axis=1)
        return window, [window[:, 1:]]


class Conv(Window):
    """`keras.layers.Conv1D`, causal (or kernel size 1), stride 1."""

    def __init__(self, layer, shape):
        k = layer.kernel_size[0]
        if layer.data_format != "channels_last":
            refuse(layer, "only channels_last is supported")
        if layer.strides[0] != 1:
            refuse(layer, f"strides {layer.strides[0]} skip time steps")
        if layer.groups != 1:
            refuse(layer, "grouped convolutions are not supported")
        if k > 1 and layer.padding != "causal":
            refuse(
                layer,
                f'padding="{layer.padding}" is not causal (its output at '
                'step t sees later steps); use padding="causal"',
            )
        self.dilation = layer.dilation_rate[0]
        super().__init__(layer, (k - 1) * self.dilation, shape[-1])

    def step(self, inputs, state):
        value = inputs
        window, state = self.window(value.tensor, state)
        y = causal_conv_step(window, self.layer.kernel, self.dilation)
        if self.layer.use_bias:
            y = y + self.layer.bias
        y = self.layer.activation(y)
        mask = value.mask if self.layer.supports_masking else None
        return [Value(y, mask, True)], state
