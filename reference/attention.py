"""Attention: softmax, multi-head self-attention, the attention block,
additive pooling and the sinusoidal positional encoding.

Every function works on one sequence (no batch axis): a sequence is a list
over time of vectors, ``xs[t]`` is the vector at step t. A mask is a list
of T booleans, True for a real step and False for padding. Numbers may be
floats or :class:`~.autodiff.Value` nodes, so the same code computes
forward values and builds autodiff graphs.

Weights follow ``keras.layers.MultiHeadAttention`` (``query``, ``key``,
``value``: ``kernel`` (D, N, K) and ``bias`` (N, K); ``attention_output``:
``kernel`` (N, K, D) and ``bias`` (D,), N heads of size K) and
``keras.layers.LayerNormalization`` (``gamma``, ``beta``), nested in dicts
keyed by the sublayer names of ``keras_seqlab.AttentionBlock``.
"""

import math

from .activations import relu
from .activations import tanh
from .autodiff import Value
from .linalg import add
from .linalg import layer_norm
from .linalg import mul
from .linalg import scale
from .linalg import vecmat
from .linalg import zeros


def _total(terms):
    """Left-to-right sum (0.0 for no terms)."""
    total = 0.0
    for term in terms:
        total = total + term
    return total


def _data(x):
    """The float value of a number or a Value."""
    return x.data if isinstance(x, Value) else float(x)


def _exp(x):
    return x.exp() if isinstance(x, Value) else math.exp(x)


def _check_mask(name, mask, timesteps):
    if mask is None:
        return [True] * timesteps
    if len(mask) != timesteps:
        raise ValueError(
            f"{name}: mask has {len(mask)} entries for {timesteps} time steps"
        )
    return [bool(m) for m in mask]


def softmax(logits, mask=None):
    """Softmax over the unmasked entries; masked entries get exactly 0.

        α_k = exp(s_k - m) / Σ_{j kept} exp(s_j - m)   for kept k,
        α_k = 0                                        for masked k,

    with the shift m = max of the kept s_j (a constant: softmax does not
    change when every logit moves by the same amount, so the gradient is
    the same with or without it). If every entry is masked the result is
    all zeros (no NaN), which is what ``keras.layers.Softmax`` returns for
    a fully masked axis.

    Args:
        logits: vector s of length n.
        mask: None, or n booleans (True = kept).
    """
    keep = _check_mask("softmax", mask, len(logits))
    kept = [s for s, k in zip(logits, keep) if k]
    if not kept:
        return zeros(len(logits))
    shift = max(_data(s) for s in kept)
    exps = [_exp(s - shift) if k else None for s, k in zip(logits, keep)]
    total = _total([e for e in exps if e is not None])
    return [0.0 if e is None else e / total for e in exps]


def layer_norm_affine(a, gamma, beta, epsilon):
    """``keras.layers.LayerNormalization`` on one vector:

        out = γ ⊙ (a - mean(a)) / sqrt(var(a) + ε) + β

    with the biased variance var(a) = mean((a - mean(a))²).
    """
    return add(mul(layer_norm(a, epsilon), gamma), beta)


def dense(x, params, activation=None):
    """``keras.layers.Dense``: φ(x W + b), W = params["kernel"] (D, N),
    b = params["bias"] (N,); φ is ``relu`` or None (linear)."""
    out = add(vecmat(x, params["kernel"]), params["bias"])
    if activation == "relu":
        return [relu(v) for v in out]
    if activation is not None:
        raise ValueError(f"dense: unsupported activation {activation!r}")
    return out


def _project(x, params, head):
    """Head `head` of an (D, N, K) einsum projection: x W[:, h, :] + b[h]."""
    kernel = [row[head] for row in params["kernel"]]
    return add(vecmat(x, kernel), params["bias"][head])


def attention_mask(timesteps, mask=None, causal=False):
    """allowed[i][j]: may query step i attend to key step j?

        allowed[i][j] = mask[j] and (j <= i if causal)

    A key-padding mask (False = padding) is never attended to; the causal
    mask keeps every query from looking ahead.
    """
    keep = _check_mask("attention_mask", mask, timesteps)
    return [
        [keep[j] and (not causal or j <= i) for j in range(timesteps)]
        for i in range(timesteps)
    ]


def multi_head_attention(params, xs, allowed=None):
    """Multi-head self-attention in Keras's MultiHeadAttention layout.

    For each head h (N heads of size K) and steps i, j:

        q_i = x_i W^Q_h + b^Q_h,  k_j = x_j W^K_h + b^K_h,
        v_j = x_j W^V_h + b^V_h,
        α_h[i] = softmax_j(q_i · k_j / sqrt(K))   over allowed[i][j] only,
        c_{i,h} = Σ_j α_h[i][j] v_j,
        o_i = Σ_h c_{i,h} W^O_h + b^O

    with W^Q_h = ``query/kernel[:, h, :]`` (D, K), W^O_h =
    ``attention_output/kernel[h]`` (K, D). A query row with no allowed key
    gets all-zero weights (so o_i = b^O), as Keras's masked softmax.

    Args:
        params: {"query", "key", "value", "attention_output"}, each
            {"kernel", "bias"}.
        xs: T vectors of length D.
        allowed: None (everything allowed) or T×T booleans, see
            :func:`attention_mask`.

    Returns:
        ``(outputs, scores)``: T vectors of length D and the weights
        ``scores[h][i][j]`` = α_h[i][j] (N × T × T).
    """
    timesteps = len(xs)
    if allowed is None:
        allowed = attention_mask(timesteps)
    heads = len(params["query"]["bias"])
    key_dim = len(params["query"]["bias"][0])
    inverse_sqrt = 1.0 / math.sqrt(key_dim)
    scores, contexts = [], [[] for _ in xs]
    for h in range(heads):
        queries = [_project(x, params["query"], h) for x in xs]
        keys = [_project(x, params["key"], h) for x in xs]
        values = [_project(x, params["value"], h) for x in xs]
        head_scores = []
        for i, q in enumerate(queries):
            q = scale(q, inverse_sqrt)
            logits = [_total(mul(q, k)) for k in keys]
            alpha = softmax(logits, allowed[i])
            head_scores.append(alpha)
            context = _total_vectors(
                [scale(v, a) for v, a in zip(values, alpha)], key_dim
            )
            contexts[i].extend(context)
        scores.append(head_scores)
    output_params = params["attention_output"]
    kernel = [row for head in output_params["kernel"] for row in head]
    outputs = [add(vecmat(c, kernel), output_params["bias"]) for c in contexts]
    return outputs, scores


def _total_vectors(vectors, size):
    return [_total([v[k] for v in vectors]) for k in range(size)]


def attention_block(params, xs, mask=None, causal=False, epsilon=1e-5):
    """Post-norm residual self-attention block, with an optional FFN.

        a_i = MHA(x, x)_i          keys: mask[j] and (j <= i if causal)
        y_i = LayerNorm_1(x_i + a_i)
        y_i = LayerNorm_2(y_i + relu(y_i W_1 + b_1) W_2 + b_2)   (if FFN)

    Padded query steps (mask[i] False) output the zero vector and a row of
    zero scores: they attend to nothing and are never attended to. Real
    steps always have at least themselves to attend to. (Inference: no
    dropout.)

    Args:
        params: {"attention": :func:`multi_head_attention` params,
            "attention_norm": {"gamma", "beta"}} and, for the FFN,
            "ffn_hidden", "ffn_output" ({"kernel", "bias"}) and
            "ffn_norm" ({"gamma", "beta"}).
        xs: T vectors of length D.
        mask: None or T booleans.
        causal: whether step i only sees steps j <= i.
        epsilon: ε of both layer norms.

    Returns:
        ``(outputs, scores)``, T vectors of length D and N × T × T weights.
    """
    keep = _check_mask("attention_block", mask, len(xs))
    allowed = attention_mask(len(xs), keep, causal)
    attended, scores = multi_head_attention(params["attention"], xs, allowed)
    norm = params["attention_norm"]
    ys = [
        layer_norm_affine(add(x, a), norm["gamma"], norm["beta"], epsilon)
        for x, a in zip(xs, attended)
    ]
    if params.get("ffn_hidden") is not None:
        norm = params["ffn_norm"]
        ys = [
            layer_norm_affine(
                add(y, _feed_forward(params, y)),
                norm["gamma"],
                norm["beta"],
                epsilon,
            )
            for y in ys
        ]
    ys = [y if k else zeros(len(y)) for y, k in zip(ys, keep)]
    scores = [
        [row if k else zeros(len(row)) for row, k in zip(head, keep)]
        for head in scores
    ]
    return ys, scores


def _feed_forward(params, y):
    """FFN(y) = relu(y W_1 + b_1) W_2 + b_2."""
    return dense(dense(y, params["ffn_hidden"], "relu"), params["ffn_output"])


def additive_pooling(params, hs, mask=None):
    """Additive (Bahdanau) attention pooling over time.

        s_t = vᵀ tanh(h_t W + b)
        α = softmax(s) over the unmasked steps (masked steps: α_t = 0)
        context = Σ_t α_t h_t

    A fully masked sequence gets α = 0 everywhere and a zero context.

    Args:
        params: ``kernel`` W (F, U), ``bias`` b (U,), ``score_vector``
            v (U,).
        hs: T vectors of length F.
        mask: None or T booleans.

    Returns:
        ``(context, weights)``: a vector of length F and the T weights α.
    """
    keep = _check_mask("additive_pooling", mask, len(hs))
    scores = [
        _total(
            mul(
                params["score_vector"],
                [tanh(u) for u in dense(h, params)],
            )
        )
        for h in hs
    ]
    weights = softmax(scores, keep)
    context = _total_vectors(
        [scale(h, a) for h, a, k in zip(hs, weights, keep) if k], len(hs[0])
    )
    return context, weights


def positional_encoding(timesteps, depth, max_wavelength=10000.0):
    """Sinusoidal positional encoding (Vaswani et al. 2017), T × d floats:

        PE[t][2i]   = sin(t / max_wavelength^(2i/d))
        PE[t][2i+1] = cos(t / max_wavelength^(2i/d))

    for t = 0 … T-1. For an odd d the last column is a sine.
    """
    rows = []
    for t in range(timesteps):
        row = []
        for j in range(depth):
            angle = t / max_wavelength ** (2 * (j // 2) / depth)
            row.append(math.sin(angle) if j % 2 == 0 else math.cos(angle))
        rows.append(row)
    return rows


def add_positional_encoding(xs, max_wavelength=10000.0):
    """x_t + PE[t] for every step (see :func:`positional_encoding`)."""
    encoding = positional_encoding(len(xs), len(xs[0]), max_wavelength)
    return [add(x, pe) for x, pe in zip(xs, encoding)]
