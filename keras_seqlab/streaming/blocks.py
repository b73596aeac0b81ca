"""How this package's own layers step (see `rules` for the others):
WaveNet's and the TCN's queues, causal attention's key/value cache, the
positional encoding's offset and attention pooling's running softmax."""

from keras import ops

from keras_seqlab.layers.causal_conv import causal_conv_step
from keras_seqlab.layers.causal_conv import keep_mask
from keras_seqlab.streaming.rules import Rule
from keras_seqlab.streaming.rules import Value
from keras_seqlab.streaming.rules import Window
from keras_seqlab.streaming.rules import refuse
from keras_seqlab.streaming.rules import where_real


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
            keep = keep_mask(value.mask, x)
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
    the output at the last real step. `TCNStack` is the same walk over
    other blocks."""

    def __init__(self, layer, shape):
        super().__init__(layer)
        channels = shape[-1]
        self.blocks = []
        for block in layer.blocks:
            self.blocks.append(self.block_rule(block, channels))
            channels = block.filters
        self.last = 0 if layer.return_sequences else 1
        self.timed_out = layer.return_sequences
        self.state_count = sum(b.state_count for b in self.blocks) + self.last

    # Whether the output needs the sum of the skips (a TCN without skip
    # connections may have blocks of other widths).
    sums_skips = True

    def block_rule(self, block, channels):
        return Block(block, channels)

    def output(self, total, h):
        """The stack's output from the sum of the skips and the last
        block's residual output."""
        layer = self.layer
        return layer.output_activation(total if layer.gated else h)

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
            if self.sums_skips:
                total = skip.tensor if total is None else total + skip.tensor
        y = self.output(total, h.tensor)
        if value.mask is not None:
            y = y * keep_mask(value.mask, y)
        if layer.return_sequences:
            return [Value(y, value.mask)], new
        last = where_real(value.mask, y, state[-1])
        return [Value(last, None, False)], new + [last]


def _refuse_non_causal(layer):
    if layer.padding != "causal":
        refuse(
            layer,
            f'padding="{layer.padding}" is not causal (its output at step t '
            'sees later steps); use padding="causal"',
        )
    if getattr(layer, "go_backwards", False):
        refuse(layer, "it runs backwards (go_backwards=True)")


class TCNResidual(Rule):
    """Causal `TCNBlock`: one queue per dilated convolution, of its last
    (k − 1)·d inputs; normalization, activation and (identity at
    inference) dropout are pointwise."""

    def __init__(self, layer, channels):
        super().__init__(layer)
        _refuse_non_causal(layer)
        span = (layer.kernel_size - 1) * layer.dilation_rate
        self.windows = [
            Window(layer, span, channels),
            Window(layer, span, layer.filters),
        ]
        self.state_count = sum(w.state_count for w in self.windows)

    def initial_state(self, batch, dtype):
        return [s for w in self.windows for s in w.initial_state(batch, dtype)]

    def step(self, inputs, state):
        block, value = self.layer, inputs
        x, keep = value.tensor, None
        if value.mask is not None:
            keep = keep_mask(value.mask, x)
            x = x * keep
        h, new, at = x, [], 0
        for i, queue in enumerate(self.windows):
            own = state[at : at + queue.state_count]
            at += queue.state_count
            window, own = queue.window(h, own)
            new += own
            a = causal_conv_step(
                window, block.convolution_kernel(i), block.dilation_rate
            )
            # A length-1 sequence: the normalization layers were built for
            # (batch, time, F).
            h = block.after_convolution(i, ops.expand_dims(a, 1))[:, 0]
            if keep is not None:
                h = h * keep
        residual, skip = block.block_outputs(x, h)
        if keep is not None:
            residual, skip = residual * keep, skip * keep
        mask = value.mask
        return [Value(residual, mask), Value(skip, mask)], new


class TCNStack(Stack):
    """Causal `TCN`: its blocks' queues, and with `return_sequences=False`
    the output at the last real step."""

    def __init__(self, layer, shape):
        _refuse_non_causal(layer)
        self.sums_skips = layer.use_skip_connections
        super().__init__(layer, shape)

    def block_rule(self, block, channels):
        return TCNResidual(block, channels)

    def output(self, total, h):
        return total if self.layer.use_skip_connections else h


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
            source = where_real(value.mask, source, ops.zeros_like(source))
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
            y = where_real(value.mask, y, ops.zeros_like(y))
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
            h = where_real(value.mask, h, ops.zeros_like(h))
        hidden = ops.tanh(ops.matmul(h, layer.kernel) + layer.bias)
        score = ops.sum(hidden * layer.score_vector, axis=-1, keepdims=True)
        new_largest = where_real(
            value.mask, ops.maximum(largest, score), largest
        )
        # Masked steps change nothing; exp(−inf) = 0 before the first real
        # step, and the guards keep −inf − (−inf) out of the sums.
        rescale = ops.exp(
            where_real(value.mask, largest - new_largest, 0 * total)
        )
        weight = where_real(
            value.mask, ops.exp(score - new_largest), ops.zeros_like(score)
        )
        total = total * rescale + weight
        weighted = weighted * rescale + weight * h
        safe = ops.where(total > 0, total, ops.ones_like(total))
        context = weighted / safe
        return [Value(context, None, False)], [new_largest, total, weighted]
