"""The time loop of the recurrent layers: one mask rule, one PyTorch loop.

`SeqlabRNN` (and through it every recurrent layer of the package, the
minGRU/minLSTM layers included) runs Keras's generic loop on TensorFlow
and JAX and `torch_loop` on PyTorch. Every path ends with
`zero_before_first_step`, so masked steps give the same numbers on every
backend.
"""

import keras
from keras import ops

# The PyTorch loop projects x W + b in chunks of time steps of at most
# this many bytes: a whole-sequence projection and its gradient, allocated
# fresh, cost as much as the arithmetic around them (benchmarks/README.md,
# "Measured figures behind library constants").
CHUNK_BYTES = 4 * 2**20


def seen_mask(mask, go_backwards=False):
    """Boolean (batch, T, 1): True from the first real step on.

    `mask` is boolean (batch, T) in input order; with `go_backwards` the
    steps are processed, and their outputs returned, in reverse order.
    """
    if go_backwards:
        mask = ops.flip(mask, axis=1)
    return (ops.cumsum(ops.cast(mask, "int32"), axis=1) > 0)[:, :, None]


def zero_before_first_step(outputs, last_output, mask, go_backwards=False):
    """The mask rule: masked steps before every real step output zero.

    Keras's TensorFlow and PyTorch loops output zeros there, its JAX loop
    the initial state; this makes all three give zeros. `outputs` is
    (batch, T, H) in processing order, or None when only the last output
    is kept; a sequence with no real step at all has a zero last output.
    `mask` is boolean (batch, T), as `SeqlabRNN` passes it on.
    """
    if outputs is not None:
        seen = seen_mask(mask, go_backwards)
        outputs = ops.where(seen, outputs, ops.zeros_like(outputs))
    any_step = ops.any(mask, axis=1)[:, None]
    last_output = ops.where(any_step, last_output, ops.zeros_like(last_output))
    return outputs, last_output


def time_chunks(sequences, cell):
    """`sequences` split along time into chunks whose projection is small."""
    batch, steps = sequences.shape[0], sequences.shape[1]
    kernel = getattr(cell, "kernel", None)
    width = kernel.shape[-1] if kernel is not None else cell.units
    dtype = keras.backend.standardize_dtype(sequences.dtype)
    itemsize = {"float64": 8, "float16": 2, "bfloat16": 2}.get(dtype, 4)
    per_step = max(1, (batch or 1) * width * itemsize)
    length = max(1, CHUNK_BYTES // per_step)
    if steps <= length:
        return [sequences]
    return ops.split(sequences, list(range(length, steps, length)), axis=1)


def torch_loop(layer, sequences, initial_state, mask, training):
    """The PyTorch path: hoisted `x W`, a Python loop over time steps.

    Keras's generic loop (and `ops.scan`) index `x[t]` at every step, so
    its backward pass grows with T² on PyTorch; a loop over
    `ops.unstack` of the projection is linear in T. `mask` is boolean or
    None. Returns
    `(last_output, outputs, states)` like `keras.layers.RNN.inner_loop`.
    """
    cell = layer.cell
    sequences = cell.drop_inputs(sequences, training)
    # Projected chunk by chunk: one (batch, T, units) tensor and its
    # gradient would come in large fresh allocations at long T.
    projections = [
        cell.project_inputs(chunk) for chunk in time_chunks(sequences, cell)
    ]
    steps = [s for p in projections for s in ops.unstack(p, axis=1)]
    masks = [None] * len(steps)
    if mask is not None:
        masks = ops.unstack(mask[:, :, None], axis=1)
    order = range(len(steps))
    if layer.go_backwards:
        order = reversed(order)
    # Subnormal gradients slow the backward pass down many times; see
    # keras_seqlab/layers/recurrent/_torch_denormal.py.
    from keras_seqlab.layers.recurrent import (
        _torch_denormal as torch_denormal,  # backend-guarded: torch
    )

    torch_denormal.reset_if_left_on()
    flush_denormals = torch_denormal.applies(projections)
    # Copies keep autograd valid when stateful layers assign in place.
    states = [ops.copy(s) for s in initial_state]
    outputs = []
    for t in order:
        output, new_states = cell.recurrent_step(
            steps[t], states, training=training
        )
        if masks[t] is not None:
            new_states = [
                ops.where(masks[t], n, s) for n, s in zip(new_states, states)
            ]
            # A masked step repeats the previous output; the first step
            # has none (zero_before_first_step gives the same zeros).
            if layer.zero_output_for_mask or not outputs:
                previous = ops.zeros_like(output)
            else:
                previous = outputs[-1]
            output = ops.where(masks[t], output, previous)
        states = list(new_states)
        outputs.append(output)
    last_output = outputs[-1]
    if layer.return_sequences:
        outputs = ops.stack(outputs, axis=1)
    else:
        outputs = last_output[:, None, :]
    if flush_denormals:
        torch_denormal.watch(projections, [last_output, outputs, *states])
    return last_output, outputs, states
