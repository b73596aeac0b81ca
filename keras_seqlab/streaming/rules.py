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

from keras_seqlab.layers.attention import AttentionBlock
from keras_seqlab.layers.attention import AttentionPooling
from keras_seqlab.layers.causal_conv import causal_conv_step
from keras_seqlab.layers.forecast import ForecastSpec
from keras_seqlab.layers.forecast import Rescale
from keras_seqlab.layers.persistence import Persistence
from keras_seqlab.layers.positional import PositionalEncoding
from keras_seqlab.layers.quantiles import QuantileHead
from keras_seqlab.layers.quantiles import RepeatQuantiles
from keras_seqlab.layers.wavenet import WaveNetBlock
from keras_seqlab.layers.wavenet_stack import WaveNet
from keras_seqlab.models.parts import FixedWindow

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


def _keep(mask, like):
    """The mask as `like`'s dtype, shaped to multiply a (batch, F) step."""
    return ops.expand_dims(ops.cast(mask, like.dtype), -1)


def _where(mask, new, old):
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
        elif isinstance(self.layer, keras.layers.Masking):
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
        output = _where(mask, output, previous)
        new = [_where(mask, n, o) for n, o in zip(new, cell_state)]
        if not self.layer.return_sequences:
            return [Value(output, None, False)], [output, *new]
        y = output
        if mask is not None and getattr(
            self.layer, "zero_output_for_mask", False
        ):
            y = output * _keep(mask, output)
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


class Block(Window):
    """`WaveNetBlock`: its queue of the last (k − 1)·d inputs (Fast
    WaveNet, Paine et al. 2016), one step of its dilated convolution."""

    def __init__(self, layer, channels):
        span = (layer.kernel_size - 1) * layer.dilation_rate
        super().__init__(layer, span, channels)

    def step(self, inputs, state):
        block, value = self.layer, inputs
        x, keep = value.tensor, None
        if value.mask is not None:
            keep = _keep(value.mask, x)
            x = x * keep
        window, state = self.window(x, state)
        a = causal_conv_step(
            window, block.convolution_kernel(), block.dilation_rate
        )
        residual, skip = block.block_outputs(a, x)
        if keep is not None:
            residual = residual * keep
            skip = residual if not block.gated else skip * keep
        mask = value.mask
        return [Value(residual, mask), Value(skip, mask)], state


class Stack(Rule):
    """`WaveNet`: its blocks' queues, and with `return_sequences=False`
    the output at the last real step."""

    def __init__(self, layer, shape):
        super().__init__(layer)
        channels = shape[-1]
        self.blocks = []
        for block in layer.blocks:
            self.blocks.append(Block(block, channels))
            channels = layer.filters
        self.last = 0 if layer.return_sequences else 1
        self.timed_out = layer.return_sequences
        self.state_count = sum(b.state_count for b in self.blocks) + self.last

    def initial_state(self, batch, dtype):
        state = []
        for block in self.blocks:
            state += block.initial_state(batch, dtype)
        if self.last:
            state.append(ops.zeros((batch, self.layer.filters), dtype))
        return state

    def step(self, inputs, state):
        layer, value = self.layer, inputs
        h, total, new, at = value, None, [], 0
        for block in self.blocks:
            own = state[at : at + block.state_count]
            at += block.state_count
            (h, skip), own = block.step(h, own)
            new += own
            total = skip.tensor if total is None else total + skip.tensor
        y = layer.output_activation(total if layer.gated else h.tensor)
        if value.mask is not None:
            y = y * _keep(value.mask, y)
        if layer.return_sequences:
            return [Value(y, value.mask)], new
        last = _where(value.mask, y, state[-1])
        return [Value(last, None, False)], new + [last]


class Attention(Rule):
    """Causal `AttentionBlock`: a key/value cache of the steps so far.

    `max_length` None keeps every step (the cache grows by one step a
    call); an integer L keeps the last L (a cache of fixed shape, the
    oldest step dropped): the same numbers as the full sequence while at
    most L steps have been seen, sliding-window attention after that.
    """

    state_count = 3

    def __init__(self, layer, max_length):
        super().__init__(layer)
        if not layer.causal:
            refuse(
                layer,
                "its attention is not causal (causal=False: step t attends "
                "to later steps); build it with causal=True",
            )
        self.max_length = max_length

    def initial_state(self, batch, dtype):
        mha = self.layer.attention
        steps = self.max_length or 0
        heads, key_dim = self.layer.num_heads, self.layer.key_dim
        value_dim = mha.value_dense.kernel.shape[-1]
        return [
            ops.zeros((batch, steps, heads, key_dim), dtype),
            ops.zeros((batch, steps, heads, value_dim), dtype),
            ops.zeros((batch, steps), dtype),
        ]

    def step(self, inputs, state):
        block, value = self.layer, inputs
        mha = block.attention
        keys, values, valid = state
        source = value.tensor
        if value.mask is not None:
            source = _where(value.mask, source, ops.zeros_like(source))
        source = ops.expand_dims(source, 1)  # (batch, 1, d_model)
        real = ops.ones((ops.shape(source)[0], 1), valid.dtype)
        if value.mask is not None:
            real = ops.cast(ops.expand_dims(value.mask, 1), valid.dtype)
        keys = ops.concatenate([keys, mha.key_dense(source)], axis=1)
        values = ops.concatenate([values, mha.value_dense(source)], axis=1)
        # The query attends to the real steps so far and to itself (a
        # padded query attends to itself only in `call`; its output is
        # zeroed either way).
        allowed = ops.concatenate([valid, ops.ones_like(real)], axis=1)
        valid = ops.concatenate([valid, real], axis=1)
        if self.max_length:
            keep = self.max_length
            keys, values = keys[:, -keep:], values[:, -keep:]
            valid, allowed = valid[:, -keep:], allowed[:, -keep:]
        attended, _ = mha._compute_attention(
            mha.query_dense(source),
            keys,
            values,
            attention_mask=ops.expand_dims(allowed > 0.5, 1),
            training=False,
        )
        attended = mha.output_dense(attended)
        y = block.after_attention(source, attended, training=False)[:, 0]
        if value.mask is not None:
            y = _where(value.mask, y, ops.zeros_like(y))
        return [Value(y, value.mask)], [keys, values, valid]


class Positions(Rule):
    """`PositionalEncoding`: the position reached, carried in the state."""

    state_count = 1

    def initial_state(self, batch, dtype):
        return [ops.zeros((batch,), "float32")]

    def step(self, inputs, state):
        value, position = inputs, state[0]
        encoding = self.layer.encoding(position)
        y = value.tensor + ops.cast(encoding, value.tensor.dtype)
        return [Value(y, value.mask)], [position + 1.0]


class Pooling(Rule):
    """`AttentionPooling` as a running (online) softmax: the largest score
    m, the sum l of exp(s − m) and the weighted sum of the steps so far,
    so the context of the steps so far costs one step's work:

        context_t = Σ_{τ≤t} exp(s_τ − m) h_τ / Σ_{τ≤t} exp(s_τ − m)
    """

    state_count = 3
    timed_out = False

    def initial_state(self, batch, dtype):
        features = self.layer.kernel.shape[0]
        return [
            ops.full((batch, 1), float("-inf"), dtype),
            ops.zeros((batch, 1), dtype),
            ops.zeros((batch, features), dtype),
        ]

    def step(self, inputs, state):
        layer, value = self.layer, inputs
        largest, total, weighted = state
        h = value.tensor
        if value.mask is not None:
            h = _where(value.mask, h, ops.zeros_like(h))
        hidden = ops.tanh(ops.matmul(h, layer.kernel) + layer.bias)
        score = ops.sum(hidden * layer.score_vector, axis=-1, keepdims=True)
        new_largest = _where(value.mask, ops.maximum(largest, score), largest)
        # Masked steps change nothing; exp(−inf) = 0 before the first real
        # step, and the guards keep −inf − (−inf) out of the sums.
        rescale = ops.exp(_where(value.mask, largest - new_largest, 0 * total))
        weight = _where(
            value.mask, ops.exp(score - new_largest), ops.zeros_like(score)
        )
        total = total * rescale + weight
        weighted = weighted * rescale + weight * h
        safe = ops.where(total > 0, total, ops.ones_like(total))
        context = weighted / safe
        return [Value(context, None, False)], [new_largest, total, weighted]


def rule_for(layer, inputs, shapes, kwargs, options):
    """The rule of one call of `layer` on the `inputs` `Value`s (whose
    full-model shapes are `shapes`); raises for a layer that is not causal."""
    from keras_seqlab.streaming.graph import Graph  # a nested model

    values = keras.tree.flatten(inputs)
    if not any(v.timed for v in values):
        return Static(layer, kwargs)
    shape = tuple(shapes[0])
    if isinstance(layer, keras.Model):
        return Graph(layer, values, shapes, options)
    if isinstance(layer, keras.layers.Bidirectional):
        refuse(layer, "it is bidirectional (it reads later steps)")
    if kwargs.get("return_attention_scores") or kwargs.get(
        "return_attention_weights"
    ):
        refuse(layer, "attention scores are not returned step by step")
    if isinstance(layer, keras.layers.RNN):
        return Recurrent(layer, shape)
    if isinstance(layer, WaveNet):
        return Stack(layer, shape)
    if isinstance(layer, WaveNetBlock):
        return Block(layer, shape[-1])
    if isinstance(layer, AttentionBlock):
        return Attention(layer, options.get("max_length"))
    if isinstance(layer, PositionalEncoding):
        return Positions(layer)
    if isinstance(layer, AttentionPooling):
        return Pooling(layer)
    if isinstance(layer, keras.layers.Conv1D):
        return Conv(layer, shape)
    if isinstance(layer, (ForecastSpec, FixedWindow)):
        return Identity(layer)
    if isinstance(layer, keras.layers.Reshape):
        return Reshape(layer, shape)
    if isinstance(layer, Persistence):
        return Pointwise(layer, kwargs, timed_out=layer.return_sequences)
    if isinstance(layer, (keras.layers.LayerNormalization,)):
        if 1 in [a % len(shape) for a in _axes(layer.axis)]:
            refuse(layer, "it normalizes over the time axis")
        return Pointwise(layer, kwargs)
    if isinstance(layer, keras.layers.BatchNormalization):
        if layer.axis % len(shape) == 1:
            refuse(layer, "it normalizes the time axis")
        return Pointwise(layer, kwargs)
    if isinstance(layer, keras.layers.Concatenate):
        if layer.axis % len(shape) in (0, 1):
            refuse(layer, "it concatenates along time")
        return Pointwise(layer, kwargs)
    if isinstance(layer, keras.layers.Softmax):
        if 1 in [a % len(shape) for a in _axes(layer.axis)]:
            refuse(layer, "it normalizes over the time axis")
        return Pointwise(layer, kwargs)
    if isinstance(layer, POINTWISE):
        return Pointwise(layer, kwargs)
    refuse(
        layer,
        "it is not known to be causal (stream knows the recurrent layers, "
        "WaveNet, causal attention and convolutions, and layers that act "
        "on each step alone)",
    )


def _axes(axis):
    return [axis] if isinstance(axis, int) else list(axis)
