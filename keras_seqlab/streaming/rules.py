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

from keras_seqlab.layers.convolutional.causal_conv import causal_conv_step
from keras_seqlab.layers.stepping import cannot_step
from keras_seqlab.layers.stepping import push
from keras_seqlab.layers.stepping import queue_state
from keras_seqlab.layers.stepping import rnn_initial_state
from keras_seqlab.layers.stepping import rnn_step

OWNER = "stream"

# Keras's layers that act on each time step alone (or on the trailing
# axes), so one step of the output is the layer applied to one step of the
# input. This package's layers define the step protocol instead.
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
)


class Value:
    """One step of a tensor: `tensor`, its Keras `mask` (batch,) or None,
    and whether the full model's tensor has a time axis (`timed`)."""

    def __init__(self, tensor, mask=None, timed=True):
        self.tensor = tensor
        self.mask = mask
        self.timed = timed


def refuse(layer, why):
    try:
        cannot_step(layer, why)
    except ValueError as error:
        raise ValueError(f"{OWNER}: {error}") from None


def _taken(method, options):
    """The options a method takes by name."""
    return {
        k: v
        for k, v in options.items()
        if k in inspect.signature(method).parameters
    }


def _accepts(layer, argument):
    return argument in inspect.signature(layer.call).parameters


class Rule:
    """A layer call that keeps no state between steps.

    `state_count` is the number of state tensors it keeps, `timed_out`
    whether its outputs have a time axis in the full model.
    """

    state_count = 0
    timed_out = True
    fixed_shapes = True

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
    """A layer that steps itself (the step protocol, `layers.stepping`),
    this package's own layers and a user's causal layer alike:

        initial_step_state(batch_size, dtype) -> [tensor, ...]
        step(x_t, state, mask=None) -> (y_t, new_state)

    `x_t` is one step `(batch, features)`, `mask` None or a boolean
    `(batch,)` (False where the step is padding: the layer keeps its state
    there, as its `call` does with a mask); `y_t` is the step of a sequence
    output (a tuple of them for a layer with several outputs), or the value
    for the sequence ending here when the layer reduces the time axis (its
    `return_sequences` is False, or without that attribute, its output has
    another rank than its input). The Keras mask passes on to
    a sequence output if the layer `supports_masking`. A ValueError from
    `initial_step_state` refuses the layer; the stepper's options
    (`max_length`) are passed to both methods where they take them by
    name.

    `steps` is the object with the two methods: the layer itself, or an
    adapter for one of Keras's layers.
    """

    def __init__(self, layer, shape, options, steps=None):
        super().__init__(layer)
        self.steps = layer if steps is None else steps
        self.options = _taken(self.steps.initial_step_state, options)
        self.step_options = _taken(self.steps.step, options)
        try:
            probe = self.initial_state(1, layer.compute_dtype)
        except ValueError as error:
            if str(error).startswith(f"layer {layer.name!r}"):
                raise ValueError(f"{OWNER}: {error}") from None
            refuse(layer, str(error))
        self.state_count = len(probe)
        self.timed_out = getattr(layer, "return_sequences", None)
        if self.timed_out is None:
            out = layer.compute_output_shape(tuple(shape))
            while out and isinstance(out[0], (tuple, list)):
                out = out[0]
            self.timed_out = len(out) == len(shape)
        self.fixed_shapes = self._fixed_shapes(shape, probe)

    def _fixed_shapes(self, shape, probe):
        """Whether the state keeps its shapes from step to step (one probe
        step; an attention cache without `max_length` grows)."""
        if None in shape[2:]:
            return True
        x = ops.zeros((1, *shape[2:]), self.layer.compute_dtype)
        _, new = self.steps.step(x, list(probe), **self.step_options)
        return [tuple(s.shape) for s in probe] == [tuple(s.shape) for s in new]

    def initial_state(self, batch, dtype):
        state = self.steps.initial_step_state(batch, dtype, **self.options)
        return list(state)

    def step(self, inputs, state):
        value = inputs
        if not value.timed:
            refuse(self.layer, "its input was reduced over time already")
        y, new = self.steps.step(
            value.tensor, list(state), mask=value.mask, **self.step_options
        )
        if len(new) != self.state_count:
            refuse(
                self.layer,
                f"its step returned {len(new)} state tensor(s), its "
                f"initial_step_state {self.state_count}",
            )
        outputs = list(y) if isinstance(y, (tuple, list)) else [y]
        if not self.timed_out:
            return [Value(t, None, False) for t in outputs], list(new)
        mask = value.mask if self.layer.supports_masking else None
        return [Value(t, mask, True) for t in outputs], list(new)


class KerasRecurrent:
    """The step protocol of one of Keras's `keras.layers.RNN` layers
    (LSTM, GRU, SimpleRNN, RNN of any cell): `layers.stepping`'s, which
    this package's recurrent layers define as their own methods."""

    def __init__(self, layer):
        self.layer = layer

    def initial_step_state(self, batch_size, dtype):
        return rnn_initial_state(self.layer, batch_size, dtype)

    def step(self, x_t, state, mask=None):
        return rnn_step(self.layer, x_t, state, mask)


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

    def __init__(self, layer, kwargs):
        super().__init__(layer)
        self.kwargs = dict(kwargs)
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


class Conv(Rule):
    """`keras.layers.Conv1D`, causal (or kernel size 1), stride 1: a
    queue of its last (k − 1)·d inputs."""

    def __init__(self, layer, shape):
        super().__init__(layer)
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
        self.span = (k - 1) * self.dilation
        self.channels = shape[-1]
        self.state_count = 1 if self.span else 0

    def initial_state(self, batch, dtype):
        return queue_state(batch, self.span, self.channels, dtype)

    def step(self, inputs, state):
        value = inputs
        window, state = push(state, ops.expand_dims(value.tensor, 1))
        y = causal_conv_step(window, self.layer.kernel, self.dilation)
        if self.layer.use_bias:
            y = y + self.layer.bias
        y = self.layer.activation(y)
        mask = value.mask if self.layer.supports_masking else None
        return [Value(y, mask, True)], state
