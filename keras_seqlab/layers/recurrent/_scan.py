"""The parallel scan of h_t = a_t ⊙ h_{t-1} + b_t (minGRU and minLSTM).

A linear recurrence is the prefix scan of the pairs (a_t, b_t) under the
associative combination (a1, b1) ∘ (a2, b2) = (a1 ⊙ a2, a2 ⊙ b1 + b2):
log2(T) levels of parallel work instead of T sequential steps.
"""

import functools

import keras
from keras import ops


def _combine(earlier, later):
    """(a1, b1) ∘ (a2, b2) = (a1 a2, a2 b1 + b2): two steps as one."""
    a1, b1 = earlier
    a2, b2 = later
    return a1 * a2, a2 * b1 + b2


def _pairwise_scan(a, b):
    """The b part of the inclusive scan of `_combine` along axis 1.

    The work-efficient recursion (Blelloch 1990; what
    `jax.lax.associative_scan` does): combine neighbouring pairs, scan the
    half-length sequence of pairs, which gives the odd positions, then one
    combination more gives the even ones. O(T) work, 2 log2(T) levels. The
    pairs come from reshapes of static size (T is known when this runs), so
    shapes stay static with an unknown batch size, and the dtype and device
    are those of the inputs.
    """
    steps = a.shape[1]
    if steps == 1:
        return b
    if steps % 2:
        # Pad with the identity pair (1, 0), which changes no prefix.
        a = ops.concatenate([a, ops.ones_like(a[:, :1])], axis=1)
        b = ops.concatenate([b, ops.zeros_like(b[:, :1])], axis=1)
        return _pairwise_scan(a, b)[:, :steps]
    units = a.shape[2]
    pairs = (-1, steps // 2, 2, units)
    a = ops.reshape(a, pairs)
    b = ops.reshape(b, pairs)
    a_even, a_odd = a[:, :, 0], a[:, :, 1]
    b_even, b_odd = b[:, :, 0], b[:, :, 1]
    # h at positions 1, 3, 5, ...: the scan of the combined pairs.
    odd = _pairwise_scan(a_even * a_odd, a_odd * b_even + b_odd)
    # h at positions 0, 2, 4, ...: one more step from the odd ones.
    even = ops.concatenate(
        [b_even[:, :1], a_even[:, 1:] * odd[:, :-1] + b_even[:, 1:]], axis=1
    )
    return ops.reshape(ops.stack([even, odd], axis=2), (-1, steps, units))


def linear_scan(a, b):
    """All h_t of h_t = a_t ⊙ h_{t-1} + b_t, h_0 = 0, along axis 1.

    `a` and `b` are (batch, T, H) with T and H known. On JAX this is
    `keras.ops.associative_scan` (`jax.lax.associative_scan`). On
    TensorFlow and PyTorch it is the same recursion written in `keras.ops`
    (`_pairwise_scan`), because Keras 3.15's `associative_scan` there
    loses the rank with an unknown batch size, fails with an unknown
    number of steps and fails to compile under XLA with an unknown batch
    size (TensorFlow), and returns float32 for float16, bfloat16 and
    float64 inputs while building every level in host memory (PyTorch).
    """
    if keras.backend.backend() == "jax":
        return ops.associative_scan(_combine, (a, b), axis=1)[1]
    return _pairwise_scan(a, b)


@functools.cache
def _accelerator_present(backend):
    """Whether the backend computes on a GPU/TPU/... by default."""
    if backend == "torch":
        # keras.distribution.list_devices has no torch implementation;
        # Keras's torch backend creates tensors on its default device.
        return ops.zeros(()).device.type != "cpu"  # backend-guarded
    try:
        devices = keras.distribution.list_devices()
    except (AttributeError, NotImplementedError, RuntimeError, ValueError):
        return False
    return any(not str(d).lower().startswith("cpu") for d in devices)


def accelerator_present():
    """Whether the current backend's default device is not the CPU."""
    return _accelerator_present(keras.backend.backend())
