"""Vectors and matrices as plain Python lists.

A vector is a list of numbers; a D×N matrix is a list of D rows, each a
list of N numbers, so ``w[i][j]`` is row i, column j. The numbers may be
floats or :class:`~.autodiff.Value` nodes (or a mix): every function
below only uses ``+ - * /`` and ``** 0.5``, which both support, so the
same code computes forward values and builds autodiff graphs.

Inputs are row vectors, as in Keras: a layer computes ``x W`` with x of
length D and the kernel W of shape (D, N).
"""


def _total(terms):
    """Left-to-right sum t_0 + t_1 + ... (0.0 for no terms)."""
    if not terms:
        return 0.0
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _check_same_length(name, *vectors):
    lengths = {len(v) for v in vectors}
    if len(lengths) > 1:
        raise ValueError(
            f"{name} needs vectors of one length, got lengths "
            f"{[len(v) for v in vectors]}"
        )


def vecmat(x, w):
    """Row vector times matrix: out[j] = Σ_i x[i] · w[i][j].

    Args:
        x: vector of length D.
        w: D×N matrix (D rows of N numbers).

    Returns:
        Vector of length N.
    """
    if len(x) != len(w):
        raise ValueError(
            f"vecmat: vector of length {len(x)} cannot multiply a matrix "
            f"with {len(w)} rows"
        )
    if not w:
        return []
    n = len(w[0])
    for i, row in enumerate(w):
        if len(row) != n:
            raise ValueError(
                f"vecmat: matrix row {i} has {len(row)} columns, row 0 has {n}"
            )
    return [_total([x[i] * w[i][j] for i in range(len(x))]) for j in range(n)]


def add(*vectors):
    """Elementwise sum of one or more vectors: out[k] = Σ_v v[k]."""
    if not vectors:
        raise ValueError("add needs at least one vector")
    _check_same_length("add", *vectors)
    return [_total(list(items)) for items in zip(*vectors, strict=True)]


def sub(a, b):
    """Elementwise difference: out[k] = a[k] - b[k]."""
    _check_same_length("sub", a, b)
    return [p - q for p, q in zip(a, b, strict=True)]


def mul(a, b):
    """Elementwise (Hadamard) product a ⊙ b: out[k] = a[k] · b[k]."""
    _check_same_length("mul", a, b)
    return [p * q for p, q in zip(a, b, strict=True)]


def scale(a, s):
    """Vector times scalar: out[k] = a[k] · s."""
    return [p * s for p in a]


def one_minus(v):
    """out[k] = 1 - v[k] (as in the GRU update (1 - z) ⊙ h̃)."""
    return [1.0 - p for p in v]


def zeros(n):
    """The zero vector of length n."""
    return [0.0] * n


def ones(n):
    """The vector of n ones."""
    return [1.0] * n


def split(v, n):
    """Split v into n equal consecutive parts (Keras gate blocks).

    A vector of length n·H becomes [v[0:H], v[H:2H], ..., v[(n-1)H:nH]].
    """
    if n <= 0 or len(v) % n:
        raise ValueError(
            f"split: a vector of length {len(v)} cannot be split into {n} "
            "equal parts"
        )
    size = len(v) // n
    return [v[k * size : (k + 1) * size] for k in range(n)]


def columns(w, start, stop):
    """The sub-matrix of columns start..stop-1 of w (every row sliced)."""
    return [row[start:stop] for row in w]


def mean(v):
    """Arithmetic mean (1/n) Σ_k v[k] of a non-empty vector."""
    if not v:
        raise ValueError("mean of an empty vector")
    return _total(list(v)) / len(v)


def layer_norm(a, epsilon):
    """Normalize a vector to zero mean and (almost) unit variance.

        μ = mean(a),  σ² = mean((a - μ)²)   (biased variance),
        out[k] = (a[k] - μ) / sqrt(σ² + ε).

    No scale or shift is applied (the cells apply γ and β themselves). The
    output has mean 0 and variance σ² / (σ² + ε).
    """
    if epsilon < 0:
        raise ValueError(f"layer_norm needs epsilon >= 0, got {epsilon!r}")
    mu = mean(a)
    deviations = [p - mu for p in a]
    variance = mean([d * d for d in deviations])
    std = (variance + epsilon) ** 0.5
    return [d / std for d in deviations]
