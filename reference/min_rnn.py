"""minGRU and minLSTM (Feng et al. 2024, "Were RNNs All We Needed?").

One time step of each, as small pure functions in the style of
:mod:`.cells`, usable with :func:`.sequence.run_sequence`:

    step(params, x, states) -> (output, new_states)

* ``params``: ``kernel`` (D, k·H) as a list of D rows, with the k gate
  blocks of H columns in the order given below, and ``bias`` (k·H) or
  None (``use_bias=False``: the bias terms are left out). There is no
  recurrent kernel: every gate depends on x_t only.
* ``states``: ``[h]``; the output is h_t, and ``new_states`` is ``[h_t]``.

Notation: σ the logistic sigmoid, ⊙ the elementwise product, W_z the z
columns of the kernel, b_z the matching part of the bias.

Both cells are linear in the state: h_t = a_t ⊙ h_{t-1} + b_t with a_t
and b_t computed from x_t alone, which is what lets the Keras layers solve
the whole sequence with a parallel scan. :func:`min_gru_coefficients` and
:func:`min_lstm_coefficients` give (a_t, b_t); :func:`linear_recurrence`
runs h_t = a_t ⊙ h_{t-1} + b_t over a sequence, the specification of that
scan (masked steps have a_t = 1, b_t = 0).
"""

from .activations import sigmoid
from .linalg import add
from .linalg import mul
from .linalg import one_minus
from .linalg import split
from .linalg import vecmat


def _units(params, blocks, cell):
    """H, from the kernel's k·H columns."""
    kernel = params["kernel"]
    if not kernel or len(kernel[0]) % blocks:
        width = len(kernel[0]) if kernel else 0
        raise ValueError(
            f"{cell} expects a kernel of {blocks}·H columns, got {width}"
        )
    return len(kernel[0]) // blocks


def _projection(params, x, blocks, cell):
    """x_t W + b split into its ``blocks`` gate blocks."""
    units = _units(params, blocks, cell)
    projected = vecmat(x, params["kernel"])
    bias = params.get("bias")
    if bias is not None:
        if len(bias) != blocks * units:
            raise ValueError(
                f"{cell} expects a bias of length {blocks * units}, got "
                f"{len(bias)}"
            )
        projected = add(projected, bias)
    return split(projected, blocks)


def _state(states, cell):
    if len(states) != 1:
        raise ValueError(f"{cell} expects 1 state vector, got {len(states)}")
    return states[0]


def min_gru_coefficients(params, x):
    """(a_t, b_t) of minGRU: a_t = 1 - z, b_t = z ⊙ h̃.

    kernel (D, 2H) in column order z, h; bias (2H) or None:

        z = σ(x_t W_z + b_z)
        h̃ = x_t W_h + b_h          (no activation on the candidate)
    """
    x_z, x_h = _projection(params, x, 2, "min_gru_step")
    z = [sigmoid(v) for v in x_z]
    return one_minus(z), mul(z, x_h)


def min_gru_step(params, x, states):
    """minGRU (Feng et al. 2024), in the paper's convention.

        z   = σ(x_t W_z + b_z)
        h̃   = x_t W_h + b_h
        h_t = (1 - z) ⊙ h_{t-1} + z ⊙ h̃

    Note the flip against the Keras GRU (h_t = z ⊙ h_{t-1} + (1 - z) ⊙ h̃):
    here z is the share of the new candidate.

    params: kernel (D, 2H) in column order z, h; bias (2H) or None.
    states: [h] -> [h_t].
    """
    h = _state(states, "min_gru_step")
    a, b = min_gru_coefficients(params, x)
    h_new = add(mul(a, h), b)
    return h_new, [h_new]


def min_lstm_coefficients(params, x):
    """(a_t, b_t) of minLSTM: a_t = f', b_t = i' ⊙ h̃.

    kernel (D, 3H) in column order f, i, h; bias (3H) or None:

        f  = σ(x_t W_f + b_f),   i = σ(x_t W_i + b_i)
        f' = f / (f + i),        i' = i / (f + i)
        h̃  = x_t W_h + b_h
    """
    x_f, x_i, x_h = _projection(params, x, 3, "min_lstm_step")
    f = [sigmoid(v) for v in x_f]
    i = [sigmoid(v) for v in x_i]
    total = add(f, i)
    f_norm = [p / q for p, q in zip(f, total, strict=True)]
    i_norm = [p / q for p, q in zip(i, total, strict=True)]
    return f_norm, mul(i_norm, x_h)


def min_lstm_step(params, x, states):
    """minLSTM (Feng et al. 2024): normalized forget and input gates.

        f   = σ(x_t W_f + b_f)
        i   = σ(x_t W_i + b_i)
        f'  = f / (f + i),   i' = i / (f + i)     (so f' + i' = 1)
        h̃   = x_t W_h + b_h
        h_t = f' ⊙ h_{t-1} + i' ⊙ h̃

    There is no separate cell state and no output gate: h_t is the state.

    params: kernel (D, 3H) in column order f, i, h; bias (3H) or None.
    states: [h] -> [h_t].
    """
    h = _state(states, "min_lstm_step")
    a, b = min_lstm_coefficients(params, x)
    h_new = add(mul(a, h), b)
    return h_new, [h_new]


def linear_recurrence(coefficients, h0, mask=None):
    """h_t = a_t ⊙ h_{t-1} + b_t for t = 1 … T, from h_0 = ``h0``.

    Args:
        coefficients: list over time of pairs (a_t, b_t) of vectors.
        h0: the initial state vector.
        mask: None, or a list of T booleans; a masked step (False) has
            a_t = 1, b_t = 0, so it carries the state unchanged.

    Returns:
        The list of states h_1 … h_T.

    This is what a parallel scan with the associative combination
    (a1, b1) ∘ (a2, b2) = (a1 ⊙ a2, a2 ⊙ b1 + b2) computes: folding the
    initial state into the first pair, b_1 += a_1 ⊙ h_0, the b part of the
    t-th prefix combination is h_t.
    """
    if mask is not None and len(mask) != len(coefficients):
        raise ValueError(
            f"linear_recurrence: mask has {len(mask)} entries for "
            f"{len(coefficients)} time steps"
        )
    h = list(h0)
    states = []
    for t, (a, b) in enumerate(coefficients):
        if mask is None or mask[t]:
            h = add(mul(a, h), b)
        states.append(h)
    return states
