"""WaveNet (van den Oord et al. 2016): causal convolutions, block, stack.

A sequence is a list over time of channel vectors, ``xs[t][c]``. Kernels
use Keras's Conv1D layout (k, C_in, C_out): ``kernel[j]`` is the C_in×C_out
matrix of tap j, so the dilated causal convolution of width k and dilation
d is

    (W ∗ x)_t = Σ_{j=0}^{k-1} x_{t-(k-1-j)·d} W_j + b,   x_τ = 0 for τ < 0

(Keras's ``padding="causal"``: (k − 1)·d zeros on the left). A 1×1
convolution has k = 1: (V ∗ x)_t = x_t V_0 + c.

The numbers may be floats or :class:`~.autodiff.Value` nodes: everything
goes through the helpers of :mod:`.linalg` and :mod:`.activations`, so the
same code computes forward values and builds autodiff graphs.

Masks (a list of T booleans, True at a real step) follow the Keras layers:
a block sets its input to zero at masked steps (they then look like the
causal padding) and its outputs to zero at masked steps.
"""

from .activations import apply
from .linalg import add
from .linalg import mul
from .linalg import vecmat
from .linalg import zeros


def receptive_field(kernel_size, dilations):
    """R = 1 + (k − 1) · Σ_i d_i for one convolution of width k per block.

    The output of the stack at step t depends on the inputs at steps
    t − R + 1 … t only.
    """
    return 1 + (kernel_size - 1) * sum(dilations)


def causal_conv1d(xs, kernel, bias=None, dilation=1):
    """Dilated causal convolution of a sequence.

        y_t = Σ_{j=0}^{k-1} x_{t-(k-1-j)·d} W_j + b,   x_τ = 0 for τ < 0

    Args:
        xs: list over time of vectors of length C_in.
        kernel: (k, C_in, C_out) nested lists (Keras Conv1D layout).
        bias: vector of length C_out, or None.
        dilation: d >= 1.

    Returns:
        List over time of vectors of length C_out.
    """
    k = len(kernel)
    c_out = len(kernel[0][0])
    ys = []
    for t in range(len(xs)):
        terms = [
            vecmat(xs[t - (k - 1 - j) * dilation], kernel[j])
            for j in range(k)
            if t - (k - 1 - j) * dilation >= 0
        ]
        y = add(*terms) if terms else zeros(c_out)
        ys.append(y if bias is None else add(y, bias))
    return ys


def _masked(xs, mask):
    """xs with the vectors at masked steps replaced by zeros."""
    if mask is None:
        return xs
    return [x if keep else zeros(len(x)) for x, keep in zip(xs, mask)]


def wavenet_block(params, xs, dilation=1, gated=True, mask=None):
    """One WaveNet block; returns ``(residual, skip)``, lists over time.

    ``gated=True``, params ``filter_kernel``, ``gate_kernel`` (k, C, F),
    ``residual_kernel``, ``skip_kernel`` (1, F, F), optionally
    ``input_kernel`` (1, C, F) (present exactly when C ≠ F) and the biases
    ``filter_bias``, ``gate_bias``, ``residual_bias``, ``skip_bias``,
    ``input_bias`` (F) or None / absent for ``use_bias=False``:

        z = tanh(W_f ∗ x + b_f) ⊙ σ(W_g ∗ x + b_g)
        residual = x' + (V_res ∗ z + c_res),   x' = x or V_in ∗ x + c_in
        skip = V_skip ∗ z + c_skip

    ``gated=False``, params ``kernel`` (k, C, F) and ``bias`` (F) or None:

        z = relu(W ∗ x + b),   residual = skip = z

    With a mask, x is zeroed at masked steps first and both outputs are
    zeroed at masked steps last.
    """
    xs = _masked(xs, mask)
    if gated:
        a_filter = causal_conv1d(
            xs, params["filter_kernel"], params.get("filter_bias"), dilation
        )
        a_gate = causal_conv1d(
            xs, params["gate_kernel"], params.get("gate_bias"), dilation
        )
        z = [
            mul(apply("tanh", f), apply("sigmoid", g))
            for f, g in zip(a_filter, a_gate)
        ]
        shortcut = xs
        if params.get("input_kernel") is not None:
            shortcut = causal_conv1d(
                xs, params["input_kernel"], params.get("input_bias")
            )
        res = causal_conv1d(
            z, params["residual_kernel"], params.get("residual_bias")
        )
        residual = [add(s, r) for s, r in zip(shortcut, res)]
        skip = causal_conv1d(z, params["skip_kernel"], params.get("skip_bias"))
    else:
        a = causal_conv1d(xs, params["kernel"], params.get("bias"), dilation)
        residual = skip = [apply("relu", v) for v in a]
    return _masked(residual, mask), _masked(skip, mask)


def wavenet_stack(
    blocks,
    xs,
    dilations,
    gated=True,
    return_sequences=True,
    output_activation=None,
    mask=None,
):
    """A stack of blocks; block i has params ``blocks[i]``, dilation d_i.

    With h_0 = x and (h_i, s_i) = block_i(h_{i-1}):

        gated:      y = act(Σ_i s_i)
        not gated:  y = act(h_n)          (the plain causal ReLU stack)

    act is ``output_activation`` by Keras name (None: linear). With a mask,
    y is zeroed at masked steps.

    Returns:
        List over time of output vectors; with ``return_sequences=False``
        the vector of the last unmasked step (the last step without a mask;
        zeros if every step is masked).
    """
    if len(blocks) != len(dilations):
        raise ValueError(
            f"wavenet_stack: {len(blocks)} parameter sets for {len(dilations)} "
            "dilations"
        )
    h, total = xs, None
    for params, dilation in zip(blocks, dilations):
        h, skip = wavenet_block(params, h, dilation, gated, mask)
        total = (
            skip if total is None else [add(a, b) for a, b in zip(total, skip)]
        )
    ys = [apply(output_activation, y) for y in (total if gated else h)]
    ys = _masked(ys, mask)
    if return_sequences:
        return ys
    if mask is None:
        return ys[-1]
    real = [t for t, keep in enumerate(mask) if keep]
    return ys[real[-1]] if real else zeros(len(ys[-1]))
