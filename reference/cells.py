"""One time step of every recurrent cell, as a small pure function.

Every step function has the signature

    step(params, x, states, **options) -> (output, new_states)

* ``params``: dict of weights keyed by their Keras names. Kernels are
  matrices (lists of rows): ``kernel`` is (D, k·H) and ``recurrent_kernel``
  is (H, k·H), with the k gate blocks of H columns in Keras's gate order.
  ``params.get("bias")`` may be None (``use_bias=False``): the bias terms
  are then left out.
* ``x``: the input vector x_t (length D).
* ``states``: list of state vectors at t-1 ([h] or [h, c]).
* ``output``: the output vector; ``new_states`` the states at t, the
  output first ([h_t] or [h_t, c_t]).

Notation: x W is the row vector x times the kernel W, U the recurrent
kernel, b the bias, σ the recurrent activation (logistic sigmoid by
default), φ the activation (tanh by default), ⊙ the elementwise product;
a subscript names a gate block (W_z = the z columns of W).
"""

from .activations import apply
from .addons_cells import ADDONS_STEPS
from .addons_cells import TWO_STATES as _ADDONS_TWO_STATES
from .linalg import add
from .linalg import columns
from .linalg import layer_norm
from .linalg import mul
from .linalg import one_minus
from .linalg import split
from .linalg import vecmat
from .min_rnn import min_gru_step
from .min_rnn import min_lstm_step


def _states(states, count, cell):
    """Check that ``states`` holds ``count`` vectors and return them."""
    if len(states) != count:
        raise ValueError(
            f"{cell} expects {count} state vector(s), got {len(states)}"
        )
    return list(states)


def _bias(params, size, cell):
    """params["bias"] (a vector of ``size`` numbers) or None."""
    bias = params.get("bias")
    if bias is not None and len(bias) != size:
        raise ValueError(
            f"{cell} expects a bias of length {size}, got {len(bias)}"
        )
    return bias


def _plus_bias(vector, bias):
    """vector + bias, or vector unchanged when there is no bias."""
    if bias is None:
        return vector
    return add(vector, bias)


def _units(params):
    """H, the number of units: the rows of the recurrent kernel."""
    return len(params["recurrent_kernel"])


# Simple RNNs ---------------------------------------------------------------


def simple_rnn_step(params, x, states, activation="tanh"):
    """Keras SimpleRNN cell.

        h_t = φ(x_t W + h_{t-1} U + b)

    params: kernel (D, H), recurrent_kernel (H, H), bias (H) or None.
    states: [h].
    """
    (h,) = _states(states, 1, "simple_rnn_step")
    bias = _bias(params, _units(params), "simple_rnn_step")
    a = add(vecmat(x, params["kernel"]), vecmat(h, params["recurrent_kernel"]))
    h_new = apply(activation, _plus_bias(a, bias))
    return h_new, [h_new]


def ln_simple_rnn_step(params, x, states, activation="tanh", epsilon=1e-3):
    """Layer-normalized SimpleRNN, the textbook form.

        a   = x_t W + h_{t-1} U + b
        h_t = φ(γ ⊙ (a - mean(a)) / sqrt(var(a) + ε) + β)

    with the biased variance var(a) = mean((a - mean(a))²) (as
    ``keras.layers.LayerNormalization``, whose default ε is 1e-3).

    params: kernel (D, H), recurrent_kernel (H, H), bias (H) or None,
    gamma (H), beta (H). states: [h].
    """
    (h,) = _states(states, 1, "ln_simple_rnn_step")
    bias = _bias(params, _units(params), "ln_simple_rnn_step")
    a = add(vecmat(x, params["kernel"]), vecmat(h, params["recurrent_kernel"]))
    normed = layer_norm(_plus_bias(a, bias), epsilon)
    pre = add(mul(params["gamma"], normed), params["beta"])
    h_new = apply(activation, pre)
    return h_new, [h_new]


def ln_simple_rnn_addons_step(
    params, x, states, activation="tanh", epsilon=1e-5
):
    """Layer-normalized SimpleRNN, TensorFlow Addons form.

    As ``tfa.rnn.LayerNormSimpleRNNCell``: scale-only normalization of the
    bias-free pre-activation, the bias added afterwards (it plays β's role):

        a   = x_t W + h_{t-1} U
        h_t = φ(γ ⊙ (a - mean(a)) / sqrt(var(a) + ε) + b)

    params: kernel (D, H), recurrent_kernel (H, H), gamma (H), bias (H) or
    None. states: [h].
    """
    (h,) = _states(states, 1, "ln_simple_rnn_addons_step")
    bias = _bias(params, _units(params), "ln_simple_rnn_addons_step")
    a = add(vecmat(x, params["kernel"]), vecmat(h, params["recurrent_kernel"]))
    pre = mul(params["gamma"], layer_norm(a, epsilon))
    h_new = apply(activation, _plus_bias(pre, bias))
    return h_new, [h_new]


# LSTMs ---------------------------------------------------------------------


def lstm_step(
    params, x, states, activation="tanh", recurrent_activation="sigmoid"
):
    """Keras LSTM cell, gate order i, f, c, o.

        [a_i, a_f, a_c, a_o] = x_t W + h_{t-1} U + b
        i = σ(a_i),  f = σ(a_f),  o = σ(a_o)
        c_t = f ⊙ c_{t-1} + i ⊙ φ(a_c)
        h_t = o ⊙ φ(c_t)

    params: kernel (D, 4H), recurrent_kernel (H, 4H), bias (4H) or None.
    states: [h, c] -> new states [h_t, c_t].
    """
    h, c = _states(states, 2, "lstm_step")
    units = _units(params)
    bias = _bias(params, 4 * units, "lstm_step")
    z = add(vecmat(x, params["kernel"]), vecmat(h, params["recurrent_kernel"]))
    a_i, a_f, a_c, a_o = split(_plus_bias(z, bias), 4)
    i = apply(recurrent_activation, a_i)
    f = apply(recurrent_activation, a_f)
    c_new = add(mul(f, c), mul(i, apply(activation, a_c)))
    o = apply(recurrent_activation, a_o)
    h_new = mul(o, apply(activation, c_new))
    return h_new, [h_new, c_new]


def peephole_lstm_step(
    params, x, states, activation="tanh", recurrent_activation="sigmoid"
):
    """Peephole LSTM (Gers, Schraudolph & Schmidhuber 2002), Keras layout.

        [a_i, a_f, a_c, a_o] = x_t W + h_{t-1} U + b
        i = σ(a_i + p_i ⊙ c_{t-1})
        f = σ(a_f + p_f ⊙ c_{t-1})
        c_t = f ⊙ c_{t-1} + i ⊙ φ(a_c)
        o = σ(a_o + p_o ⊙ c_t)        (the output gate sees the new c_t)
        h_t = o ⊙ φ(c_t)

    With p_i = p_f = p_o = 0 this is exactly :func:`lstm_step`.

    params: as :func:`lstm_step` plus ``input_gate_peephole_weights``
    (p_i), ``forget_gate_peephole_weights`` (p_f) and
    ``output_gate_peephole_weights`` (p_o), each of length H.
    states: [h, c] -> new states [h_t, c_t].
    """
    h, c = _states(states, 2, "peephole_lstm_step")
    units = _units(params)
    bias = _bias(params, 4 * units, "peephole_lstm_step")
    z = add(vecmat(x, params["kernel"]), vecmat(h, params["recurrent_kernel"]))
    a_i, a_f, a_c, a_o = split(_plus_bias(z, bias), 4)
    p_i = params["input_gate_peephole_weights"]
    p_f = params["forget_gate_peephole_weights"]
    p_o = params["output_gate_peephole_weights"]
    i = apply(recurrent_activation, add(a_i, mul(p_i, c)))
    f = apply(recurrent_activation, add(a_f, mul(p_f, c)))
    c_new = add(mul(f, c), mul(i, apply(activation, a_c)))
    o = apply(recurrent_activation, add(a_o, mul(p_o, c_new)))
    h_new = mul(o, apply(activation, c_new))
    return h_new, [h_new, c_new]


# GRU family ----------------------------------------------------------------


def _gru_update(z, h, candidate):
    """h_t = z ⊙ h_{t-1} + (1 - z) ⊙ h̃ (the Keras GRU convention)."""
    return add(mul(z, h), mul(one_minus(z), candidate))


def gru_reset_after_step(
    params, x, states, activation="tanh", recurrent_activation="sigmoid"
):
    """Keras GRU with ``reset_after=True`` (the default, cuDNN form).

        [x_z, x_r, x_h] = x_t W + b        (b: input bias)
        [u_z, u_r, u_h] = h_{t-1} U + b'   (b': recurrent bias)
        z = σ(x_z + u_z),  r = σ(x_r + u_r)
        h̃ = φ(x_h + r ⊙ u_h)              (reset applied after U)
        h_t = z ⊙ h_{t-1} + (1 - z) ⊙ h̃

    params: kernel (D, 3H), recurrent_kernel (H, 3H), bias None or the
    2×3H matrix [input_bias, recurrent_bias], gate order z, r, h.
    states: [h]. Equals ``keras.layers.GRU``.
    """
    (h,) = _states(states, 1, "gru_reset_after_step")
    units = _units(params)
    bias = params.get("bias")
    if bias is None:
        input_bias = recurrent_bias = None
    else:
        if len(bias) != 2 or any(
            not isinstance(row, (list, tuple)) or len(row) != 3 * units
            for row in bias
        ):
            raise ValueError(
                "gru_reset_after_step expects a bias of shape "
                f"(2, {3 * units}) = [input_bias, recurrent_bias] or None, "
                f"got {bias!r}"
            )
        input_bias, recurrent_bias = bias
    matrix_x = _plus_bias(vecmat(x, params["kernel"]), input_bias)
    matrix_h = _plus_bias(vecmat(h, params["recurrent_kernel"]), recurrent_bias)
    x_z, x_r, x_h = split(matrix_x, 3)
    u_z, u_r, u_h = split(matrix_h, 3)
    z = apply(recurrent_activation, add(x_z, u_z))
    r = apply(recurrent_activation, add(x_r, u_r))
    candidate = apply(activation, add(x_h, mul(r, u_h)))
    h_new = _gru_update(z, h, candidate)
    return h_new, [h_new]


def gru_reset_before_step(
    params, x, states, activation="tanh", recurrent_activation="sigmoid"
):
    """Keras GRU with ``reset_after=False`` (Cho et al. 2014).

        z = σ(x_t W_z + h_{t-1} U_z + b_z)
        r = σ(x_t W_r + h_{t-1} U_r + b_r)
        h̃ = φ(x_t W_h + (r ⊙ h_{t-1}) U_h + b_h)   (reset before U)
        h_t = z ⊙ h_{t-1} + (1 - z) ⊙ h̃

    params: kernel (D, 3H), recurrent_kernel (H, 3H), bias (3H) or None,
    gate order z, r, h. states: [h].
    """
    (h,) = _states(states, 1, "gru_reset_before_step")
    units = _units(params)
    bias = _bias(params, 3 * units, "gru_reset_before_step")
    u = params["recurrent_kernel"]
    x_z, x_r, x_h = split(_plus_bias(vecmat(x, params["kernel"]), bias), 3)
    z = apply(recurrent_activation, add(x_z, vecmat(h, columns(u, 0, units))))
    r = apply(
        recurrent_activation,
        add(x_r, vecmat(h, columns(u, units, 2 * units))),
    )
    u_h = columns(u, 2 * units, 3 * units)
    candidate = apply(activation, add(x_h, vecmat(mul(r, h), u_h)))
    h_new = _gru_update(z, h, candidate)
    return h_new, [h_new]


def mgu_step(
    params, x, states, activation="tanh", recurrent_activation="sigmoid"
):
    """Minimal gated unit (Zhou et al. 2016): one forget gate f.

        f = σ(x_t W_f + h_{t-1} U_f + b_f)
        h̃ = φ(x_t W_h + (f ⊙ h_{t-1}) U_h + b_h)
        h_t = (1 - f) ⊙ h_{t-1} + f ⊙ h̃

    params: kernel (D, 2H), recurrent_kernel (H, 2H), bias (2H) or None,
    column order f, h. states: [h].
    """
    (h,) = _states(states, 1, "mgu_step")
    units = _units(params)
    bias = _bias(params, 2 * units, "mgu_step")
    u = params["recurrent_kernel"]
    x_f, x_h = split(_plus_bias(vecmat(x, params["kernel"]), bias), 2)
    f = apply(recurrent_activation, add(x_f, vecmat(h, columns(u, 0, units))))
    u_h = columns(u, units, 2 * units)
    candidate = apply(activation, add(x_h, vecmat(mul(f, h), u_h)))
    h_new = add(mul(one_minus(f), h), mul(f, candidate))
    return h_new, [h_new]


def _gru_candidate(params, u_h, x, h, r, b_h, activation):
    """h̃ = φ(x_t W + (r ⊙ h_{t-1}) U_h + b_h) for the GRU1/2/3 variants.

    W = params["kernel"] (D, H); U_h is the candidate's (H, H) block of
    the recurrent kernel; the candidate bias b_h may be None.
    """
    pre = add(vecmat(x, params["kernel"]), vecmat(mul(r, h), u_h))
    return apply(activation, _plus_bias(pre, b_h))


def gru1_step(
    params, x, states, activation="tanh", recurrent_activation="sigmoid"
):
    """GRU1 (Dey & Salem 2017): gates from the state and a bias only.

        z = σ(h_{t-1} U_z + b_z),  r = σ(h_{t-1} U_r + b_r)
        h̃ = φ(x_t W + (r ⊙ h_{t-1}) U_h + b_h)
        h_t = z ⊙ h_{t-1} + (1 - z) ⊙ h̃

    params: kernel (D, H) (candidate only), recurrent_kernel (H, 3H) and
    bias (3H) or None, both in order z, r, h. states: [h].
    """
    (h,) = _states(states, 1, "gru1_step")
    units = _units(params)
    bias = _bias(params, 3 * units, "gru1_step")
    b_z, b_r, b_h = split(bias, 3) if bias is not None else (None,) * 3
    u = params["recurrent_kernel"]
    z = apply(
        recurrent_activation,
        _plus_bias(vecmat(h, columns(u, 0, units)), b_z),
    )
    r = apply(
        recurrent_activation,
        _plus_bias(vecmat(h, columns(u, units, 2 * units)), b_r),
    )
    u_h = columns(u, 2 * units, 3 * units)
    candidate = _gru_candidate(params, u_h, x, h, r, b_h, activation)
    h_new = _gru_update(z, h, candidate)
    return h_new, [h_new]


def gru2_step(
    params, x, states, activation="tanh", recurrent_activation="sigmoid"
):
    """GRU2 (Dey & Salem 2017): gates from the state only.

        z = σ(h_{t-1} U_z),  r = σ(h_{t-1} U_r)
        h̃ = φ(x_t W + (r ⊙ h_{t-1}) U_h + b_h)
        h_t = z ⊙ h_{t-1} + (1 - z) ⊙ h̃

    params: kernel (D, H), recurrent_kernel (H, 3H) in order z, r, h, bias
    (H) or None (the candidate's bias b_h only). states: [h].
    """
    (h,) = _states(states, 1, "gru2_step")
    units = _units(params)
    bias = _bias(params, units, "gru2_step")
    u = params["recurrent_kernel"]
    z = apply(recurrent_activation, vecmat(h, columns(u, 0, units)))
    r = apply(recurrent_activation, vecmat(h, columns(u, units, 2 * units)))
    u_h = columns(u, 2 * units, 3 * units)
    candidate = _gru_candidate(params, u_h, x, h, r, bias, activation)
    h_new = _gru_update(z, h, candidate)
    return h_new, [h_new]


def gru3_step(
    params, x, states, activation="tanh", recurrent_activation="sigmoid"
):
    """GRU3 (Dey & Salem 2017): gates from a bias only.

        z = σ(b_z),  r = σ(b_r)
        h̃ = φ(x_t W + (r ⊙ h_{t-1}) U + b_h)
        h_t = z ⊙ h_{t-1} + (1 - z) ⊙ h̃

    params: kernel (D, H), recurrent_kernel (H, H) (candidate only), bias
    (3H) in order z, r, h. The bias is required: without it the gates
    would be constant 1/2. states: [h].
    """
    (h,) = _states(states, 1, "gru3_step")
    units = _units(params)
    if params.get("bias") is None:
        raise ValueError(
            "gru3_step needs a bias of length 3H (its gates z = σ(b_z) and "
            "r = σ(b_r) depend on nothing else); got bias=None "
            "(use_bias=False is not supported by GRU3)"
        )
    b_z, b_r, b_h = split(_bias(params, 3 * units, "gru3_step"), 3)
    z = apply(recurrent_activation, b_z)
    r = apply(recurrent_activation, b_r)
    u = params["recurrent_kernel"]
    candidate = _gru_candidate(params, u, x, h, r, b_h, activation)
    h_new = _gru_update(z, h, candidate)
    return h_new, [h_new]


STEPS = {
    "simple_rnn": simple_rnn_step,
    "lstm": lstm_step,
    "ln_simple_rnn.textbook": ln_simple_rnn_step,
    "ln_simple_rnn.addons": ln_simple_rnn_addons_step,
    "peephole_lstm": peephole_lstm_step,
    "gru_variant.reset_after": gru_reset_after_step,
    "gru_variant.reset_before": gru_reset_before_step,
    "gru_variant.mgu": mgu_step,
    "gru_variant.gru1": gru1_step,
    "gru_variant.gru2": gru2_step,
    "gru_variant.gru3": gru3_step,
    "min_gru": min_gru_step,
    "min_lstm": min_lstm_step,
    **ADDONS_STEPS,
}
"""Every step function by the name of its Keras layer.

The key is the layer's builder name (``keras_seqlab.models``), followed by
``.variant`` or ``.form`` where the layer has one (``GRUVariant(variant=
"mgu")`` is ``"gru_variant.mgu"``, ``LNSimpleRNN(form="addons")`` is
``"ln_simple_rnn.addons"``). The TensorFlow Addons cells' steps come
from :mod:`.addons_cells`.
"""

_TWO_STATES = ("lstm", "peephole_lstm", *_ADDONS_TWO_STATES)


def state_count(name):
    """Number of state vectors of the cell ``name`` (2 for LSTMs and NAS,
    else 1)."""
    if name not in STEPS:
        raise ValueError(
            f"Unknown cell {name!r}; known cells: {', '.join(sorted(STEPS))}"
        )
    return 2 if name in _TWO_STATES else 1
