"""The TCN (Bai, Kolter & Koltun 2018, as keras-tcn builds it): dilated
convolutions with causal or "same" padding, the residual block of two of
them, and the stack.

A batch is a list over samples of sequences, a sequence a list over time
of channel vectors (``xs[b][t][c]``): batch normalization in training
mixes the samples. Kernels use Keras's Conv1D layout (k, C_in, C_out).
Everything goes through :mod:`.linalg` and :mod:`.activations`, so the
same code computes values and builds :class:`~.autodiff.Value` graphs.

Parameters of a block are a dict: ``kernel_0`` (k, C, F), ``kernel_1``
(k, F, F), ``bias_0``, ``bias_1`` (F) or absent, with weight
normalization ``scale_0``, ``scale_1`` (F), ``input_kernel`` (1, C, F)
and ``input_bias`` when C ≠ F, and for a normalization layer
``norm_i/gamma``, ``norm_i/beta`` (and ``norm_i/moving_mean``,
``norm_i/moving_variance`` for batch normalization).
"""

from .activations import apply
from .attention import layer_norm_affine
from .linalg import add
from .linalg import mean
from .linalg import vecmat
from .linalg import zeros

EPSILON = 1e-3  # Keras's BatchNormalization and LayerNormalization default
NORM_FLOOR = 1e-12  # tf.nn.l2_normalize's floor on the squared norm


def receptive_field(kernel_size, dilations, nb_stacks=1):
    """R = 1 + 2 · (k − 1) · nb_stacks · Σ_i d_i (keras-tcn's formula: two
    convolutions of width k per block)."""
    return 1 + 2 * (kernel_size - 1) * nb_stacks * sum(dilations)


def conv1d(xs, kernel, bias=None, dilation=1, padding="causal"):
    """Dilated convolution of one sequence, zeros outside it.

        y_t = Σ_{j=0}^{k-1} x_{t − p + j·d} W_j + b

    with p = (k − 1)·d for ``padding="causal"`` (y_t sees steps ≤ t) and
    p = ⌊(k − 1)·d / 2⌋ for ``padding="same"``.
    """
    k = len(kernel)
    c_out = len(kernel[0][0])
    pad = (k - 1) * dilation
    left = pad if padding == "causal" else pad // 2
    ys = []
    for t in range(len(xs)):
        terms = [
            vecmat(xs[t - left + j * dilation], kernel[j])
            for j in range(k)
            if 0 <= t - left + j * dilation < len(xs)
        ]
        y = add(*terms) if terms else zeros(c_out)
        ys.append(y if bias is None else add(y, bias))
    return ys


def weight_norm(v, g):
    """W = g ⊙ V / ‖V‖ per output channel f:

    W_jcf = g_f · V_jcf / √max(Σ_{j,c} V_jcf², 1e-12)
    """
    k, c_in, c_out = len(v), len(v[0]), len(v[0][0])
    norms = []
    for f in range(c_out):
        squares = sum(
            (v[j][c][f] * v[j][c][f] for j in range(k) for c in range(c_in)),
            0.0,
        )
        floor = squares if _data(squares) >= NORM_FLOOR else NORM_FLOOR
        norms.append(floor**0.5)
    return [
        [
            [g[f] * v[j][c][f] / norms[f] for f in range(c_out)]
            for c in range(c_in)
        ]
        for j in range(k)
    ]


def _data(x):
    return getattr(x, "data", x)


def batch_norm(batch, params, prefix, training):
    """``keras.layers.BatchNormalization`` over the channels of a batch:

        out = γ ⊙ (a − μ) / √(σ² + ε) + β,   ε = 1e-3

    μ, σ² (biased) per channel over every sample and step in training,
    the moving statistics otherwise.
    """
    gamma, beta = params[f"{prefix}/gamma"], params[f"{prefix}/beta"]
    vectors = [v for seq in batch for v in seq]
    channels = len(vectors[0])
    if training:
        mu = [mean([v[c] for v in vectors]) for c in range(channels)]
        var = [
            mean([(v[c] - mu[c]) * (v[c] - mu[c]) for v in vectors])
            for c in range(channels)
        ]
    else:
        mu = params[f"{prefix}/moving_mean"]
        var = params[f"{prefix}/moving_variance"]
    std = [(var[c] + EPSILON) ** 0.5 for c in range(channels)]
    return [
        [
            [
                gamma[c] * (v[c] - mu[c]) / std[c] + beta[c]
                for c in range(channels)
            ]
            for v in seq
        ]
        for seq in batch
    ]


def _masked(batch, masks):
    if masks is None:
        return batch
    return [
        [v if keep else zeros(len(v)) for v, keep in zip(seq, mask)]
        for seq, mask in zip(batch, masks)
    ]


def tcn_block(
    params,
    batch,
    dilation=1,
    padding="causal",
    activation="relu",
    norm=None,
    training=False,
    masks=None,
):
    """One TCN residual block; returns ``(residual, skip)`` batches.

        h_0 = x;  a_i = N_i(W_i ∗ h_{i−1} + b_i);  h_i = φ(a_i)  (i = 1, 2)
        skip = φ(h_2);  residual = φ(x' + skip)

    x' = x, or x V_in + c_in when ``input_kernel`` is present. ``norm``:
    None, "batch", "layer" or "weight" (W_i = g_i ⊙ V_i / ‖V_i‖). With
    ``masks`` (one list of T booleans per sample) x, h_1, h_2 and both
    outputs are zero at masked steps. No dropout (inference).
    """
    x = _masked(batch, masks)
    h = x
    for i in range(2):
        kernel = params[f"kernel_{i}"]
        if norm == "weight":
            kernel = weight_norm(kernel, params[f"scale_{i}"])
        bias = params.get(f"bias_{i}")
        a = [conv1d(seq, kernel, bias, dilation, padding) for seq in h]
        prefix = f"norm_{i}"
        if norm == "batch":
            a = batch_norm(a, params, prefix, training)
        elif norm == "layer":
            gamma, beta = params[f"{prefix}/gamma"], params[f"{prefix}/beta"]
            a = [
                [layer_norm_affine(v, gamma, beta, EPSILON) for v in seq]
                for seq in a
            ]
        h = _masked([[apply(activation, v) for v in seq] for seq in a], masks)
    skip = [[apply(activation, v) for v in seq] for seq in h]
    shortcut = x
    if params.get("input_kernel") is not None:
        shortcut = [
            conv1d(seq, params["input_kernel"], params.get("input_bias"))
            for seq in x
        ]
    residual = [
        [apply(activation, add(s, k)) for s, k in zip(sc, sk)]
        for sc, sk in zip(shortcut, skip)
    ]
    return _masked(residual, masks), _masked(skip, masks)


def tcn_stack(
    blocks,
    batch,
    dilations,
    padding="causal",
    activation="relu",
    norm=None,
    use_skip_connections=True,
    return_sequences=False,
    go_backwards=False,
    training=False,
    masks=None,
):
    """A TCN: block i has params ``blocks[i]`` and dilation
    ``dilations[i]`` (already repeated for every stack).

        y = Σ_i skip_i   (use_skip_connections)   or   y = h_n

    ``go_backwards`` reverses the sequences (and masks) first. With
    ``return_sequences=False`` each sample's output at its last real step
    (causal) or at its real step number ⌊n/2⌋ ("same"); zeros if none.
    """
    if len(blocks) != len(dilations):
        raise ValueError(
            f"tcn_stack: {len(blocks)} parameter sets for {len(dilations)} "
            "dilations"
        )
    if go_backwards:
        batch = [seq[::-1] for seq in batch]
        masks = None if masks is None else [m[::-1] for m in masks]
    h, total = batch, None
    for params, dilation in zip(blocks, dilations):
        h, skip = tcn_block(
            params, h, dilation, padding, activation, norm, training, masks
        )
        if not use_skip_connections:
            continue
        total = (
            skip
            if total is None
            else [
                [add(a, b) for a, b in zip(sa, sb)]
                for sa, sb in zip(total, skip)
            ]
        )
    ys = total if use_skip_connections else h
    if return_sequences:
        return ys
    out = []
    for b, seq in enumerate(ys):
        real = (
            list(range(len(seq)))
            if masks is None
            else [t for t, keep in enumerate(masks[b]) if keep]
        )
        if not real:
            out.append(zeros(len(seq[0])))
        elif padding == "causal":
            out.append(seq[real[-1]])
        else:
            out.append(seq[real[len(real) // 2]])
    return out
