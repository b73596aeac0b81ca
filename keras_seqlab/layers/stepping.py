"""The step protocol's helpers: what a causal layer's `step` needs.

A layer streams (`keras_seqlab.stream`) by defining

    initial_step_state(batch_size, dtype) -> [tensor, ...]
    step(x_t, state, mask=None) -> (y_t, new_state)

with `x_t` one step `(batch, features)`, `mask` None or boolean
`(batch,)`, and `y_t` that step of its output (a tuple for a layer with
several outputs). Every streamable layer of this package does, with the
helpers below; a user's own layer may use them too.
"""

from keras import ops
from keras import tree


def cannot_step(layer, why):
    """Raises the ValueError of a layer that cannot be stepped: from its
    `initial_step_state`, so `stream` refuses the model before any step."""
    raise ValueError(
        f"layer {layer.name!r} ({layer.__class__.__name__}) cannot step "
        f"one time point at a time: {why}."
    )


def where_real(mask, new, old):
    """`new` where the step is real, `old` where it is masked: a step's
    mask `(batch,)` or a sequence's `(batch, T)`, None for every step."""
    if mask is None:
        return new
    for _ in range(len(new.shape) - len(mask.shape)):
        mask = ops.expand_dims(mask, -1)
    return ops.where(mask, new, old)


def zero_masked(mask, values):
    """`values` zero at the masked steps: a fresh tensor, which carries no
    Keras mask and does not depend on what the padding held (inf, NaN)."""
    return where_real(mask, values, ops.zeros_like(values))


def step_mask(mask):
    """A step's mask `(batch,)` as a length-1 sequence's `(batch, 1)`."""
    return None if mask is None else ops.expand_dims(mask, 1)


def queue_state(batch_size, span, channels, dtype):
    """A causal convolution's queue of its last `span` = (k − 1)·d
    inputs, zeros before the first step: `[]` when the span is 0."""
    if not span:
        return []
    return [ops.zeros((batch_size, span, channels), dtype)]


def push(queue, x):
    """`(window, new_queue)`: the `(batch, span + 1, C)` window of the
    queue's inputs and `x` `(batch, 1, C)`, and the queue moved on."""
    if not queue:
        return x, []
    window = ops.concatenate([queue[0], x], axis=1)
    return window, [window[:, 1:]]


def split_state(state, sizes):
    """`state` cut into consecutive lists of the given sizes."""
    parts, at = [], 0
    for size in sizes:
        parts.append(list(state[at : at + size]))
        at += size
    return parts


def rnn_initial_state(layer, batch_size, dtype):
    """A `keras.layers.RNN`'s step state: the last output (which a
    masked step returns again, as the full layer does), then its cell's
    states, flat."""
    if layer.go_backwards:
        cannot_step(layer, "it runs backwards (go_backwards=True)")
    if getattr(layer, "return_state", False):
        cannot_step(layer, "return_state=True is not supported")
    units = tree.flatten(layer.cell.output_size)[0]
    output = ops.zeros((batch_size, units), dtype)
    states = layer.cell.get_initial_state(batch_size=batch_size)
    return [output, *tree.flatten(states)]


def rnn_step(layer, x_t, state, mask=None):
    """One step of a `keras.layers.RNN` (its cell at inference), with
    the masked steps keeping the state and the last output."""
    previous, cell_state = state[0], list(state[1:])
    size = layer.cell.state_size
    structure = size if tree.is_nested(size) else [size]
    states = tree.pack_sequence_as(structure, cell_state)
    output, new = layer.cell(x_t, states, training=False)
    new = tree.flatten(new)
    output = where_real(mask, output, previous)
    new = [where_real(mask, n, o) for n, o in zip(new, cell_state)]
    y = output
    if (
        mask is not None
        and layer.return_sequences
        and getattr(layer, "zero_output_for_mask", False)
    ):
        y = where_real(mask, output, ops.zeros_like(output))
    return y, [output, *new]


class PointwiseStep:
    """The step protocol of a layer that acts on each step alone (or on
    the trailing axes): its `call` on a length-1 sequence. A layer with
    `return_sequences=False` (Persistence) gives the value for the
    sequence ending at this step."""

    def initial_step_state(self, batch_size, dtype):
        return []

    def step(self, x_t, state, mask=None):
        y = self(ops.expand_dims(x_t, 1))
        if not getattr(self, "return_sequences", True):
            return y, []
        return y[:, 0], []
