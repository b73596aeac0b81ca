"""The TensorFlow Addons cells: layer-normalized LSTM, NAS, echo state.

One step function per cell, with the signature and conventions of
:mod:`.cells` (``step(params, x, states, **options) -> (output,
new_states)``, weights keyed by their Keras names, the output first among
the new states). The equations are those of ``tfa.rnn.LayerNormLSTMCell``,
``tfa.rnn.NASCell`` and ``tfa.rnn.ESNCell`` (TensorFlow Addons 0.23).
"""

from .activations import apply
from .linalg import add
from .linalg import layer_norm
from .linalg import mul
from .linalg import scale
from .linalg import split
from .linalg import vecmat


def _states(states, count, cell):
    if len(states) != count:
        raise ValueError(
            f"{cell} expects {count} state vector(s), got {len(states)}"
        )
    return list(states)


def _affine_norm(params, name, a, epsilon):
    """γ ⊙ (a - mean(a)) / sqrt(var(a) + ε) + β with γ, β = params[name_*]."""
    normed = layer_norm(a, epsilon)
    return add(mul(params[f"{name}_gamma"], normed), params[f"{name}_beta"])


# Layer-normalized LSTM -------------------------------------------------------


def _ln_lstm(params, x, states, activation, recurrent_activation, epsilon):
    """(h_t, c̃_t, ĉ_t) of the layer-normalized LSTM."""
    h, c = _states(states, 2, "ln_lstm_step")
    z = add(
        _affine_norm(
            params, "kernel_norm", vecmat(x, params["kernel"]), epsilon
        ),
        _affine_norm(
            params,
            "recurrent_norm",
            vecmat(h, params["recurrent_kernel"]),
            epsilon,
        ),
    )
    if params.get("bias") is not None:
        z = add(z, params["bias"])
    a_i, a_f, a_c, a_o = split(z, 4)
    i = apply(recurrent_activation, a_i)
    f = apply(recurrent_activation, a_f)
    o = apply(recurrent_activation, a_o)
    c_new = add(mul(f, c), mul(i, apply(activation, a_c)))
    c_normed = _affine_norm(params, "state_norm", c_new, epsilon)
    h_new = mul(o, apply(activation, c_normed))
    return h_new, c_new, c_normed


def ln_lstm_addons_step(
    params,
    x,
    states,
    activation="tanh",
    recurrent_activation="sigmoid",
    epsilon=1e-3,
):
    """Layer-normalized LSTM as ``tfa.rnn.LayerNormLSTMCell``.

        [a_i, a_f, a_c, a_o] = LN_k(x_t W) + LN_r(h_{t-1} U) + b
        c̃_t = σ(a_f) ⊙ c_{t-1} + σ(a_i) ⊙ φ(a_c)
        ĉ_t = LN_s(c̃_t)
        h_t = σ(a_o) ⊙ φ(ĉ_t)

    LN_n(a) = γ_n ⊙ (a - mean(a)) / sqrt(var(a) + ε) + β_n over the whole
    vector (all 4H gate columns at once for LN_k and LN_r). The carried
    cell state is the normalized ĉ_t.

    params: kernel (D, 4H), recurrent_kernel (H, 4H), bias (4H) or None,
    ``kernel_norm_gamma``/``_beta`` and ``recurrent_norm_gamma``/``_beta``
    (4H), ``state_norm_gamma``/``_beta`` (H). states: [h, c] -> [h_t, ĉ_t].
    """
    h_new, _, c_normed = _ln_lstm(
        params, x, states, activation, recurrent_activation, epsilon
    )
    return h_new, [h_new, c_normed]


def ln_lstm_ba2016_step(
    params,
    x,
    states,
    activation="tanh",
    recurrent_activation="sigmoid",
    epsilon=1e-3,
):
    """Layer-normalized LSTM of Ba, Kiros & Hinton (2016, eq. 20-22).

    The equations of :func:`ln_lstm_addons_step`, but the carried cell
    state is the un-normalized c̃_t; ĉ_t = LN_s(c̃_t) only feeds h_t.
    states: [h, c] -> [h_t, c̃_t].
    """
    h_new, c_new, _ = _ln_lstm(
        params, x, states, activation, recurrent_activation, epsilon
    )
    return h_new, [h_new, c_new]


# NAS -------------------------------------------------------------------------


def nas_step(params, x, states):
    """The NAS cell of Zoph & Le (2017), as ``tfa.rnn.NASCell``.

    With [x_0 … x_7] = x_t W and [m_0 … m_7] = m_{t-1} U + b (8 blocks of
    H columns; the bias goes with the recurrent part):

        l_0 = σ(x_0 + m_0)   l_1 = relu(x_1 + m_1)   l_2 = σ(x_2 + m_2)
        l_3 = relu(x_3 ⊙ m_3)  l_4 = tanh(x_4 + m_4)  l_5 = σ(x_5 + m_5)
        l_6 = tanh(x_6 + m_6)  l_7 = σ(x_7 + m_7)
        k_0 = tanh(l_0 ⊙ l_1)  k_1 = tanh(l_2 + l_3)
        k_2 = tanh(l_4 ⊙ l_5)  k_3 = σ(l_6 + l_7)
        c_t = tanh(k_0 + c_{t-1}) ⊙ k_1
        m_t = tanh(c_t ⊙ tanh(k_2 + k_3))   (then m_t P with a projection)

    params: kernel (D, 8H), recurrent_kernel (P or H, 8H), bias (8H) or
    None, ``projection_weights`` (H, P) or absent. states: [m, c] (the
    output first; Addons orders them [c, m]) -> [m_t, c_t].
    """
    m, c = _states(states, 2, "nas_step")
    inputs = split(vecmat(x, params["kernel"]), 8)
    recurrent = vecmat(m, params["recurrent_kernel"])
    if params.get("bias") is not None:
        recurrent = add(recurrent, params["bias"])
    rec = split(recurrent, 8)
    l0 = apply("sigmoid", add(inputs[0], rec[0]))
    l1 = apply("relu", add(inputs[1], rec[1]))
    l2 = apply("sigmoid", add(inputs[2], rec[2]))
    l3 = apply("relu", mul(inputs[3], rec[3]))
    l4 = apply("tanh", add(inputs[4], rec[4]))
    l5 = apply("sigmoid", add(inputs[5], rec[5]))
    l6 = apply("tanh", add(inputs[6], rec[6]))
    l7 = apply("sigmoid", add(inputs[7], rec[7]))
    k0 = apply("tanh", mul(l0, l1))
    k1 = apply("tanh", add(l2, l3))
    k2 = apply("tanh", mul(l4, l5))
    k3 = apply("sigmoid", add(l6, l7))
    c_new = mul(apply("tanh", add(k0, c)), k1)
    m_new = apply("tanh", mul(c_new, apply("tanh", add(k2, k3))))
    if params.get("projection_weights") is not None:
        m_new = vecmat(m_new, params["projection_weights"])
    return m_new, [m_new, c_new]


# Echo state network ----------------------------------------------------------


def esn_step(params, x, states, activation="tanh", leaky=1.0):
    """Echo state network cell (Jaeger 2001), as ``tfa.rnn.ESNCell``.

        h_t = (1 - α) h_{t-1} + α φ(x_t W + h_{t-1} U + b)

    α is the leaking rate ``leaky``. The reservoir U is fixed (not
    trained); how it is drawn is no part of the step.

    params: kernel (D, H), recurrent_kernel (H, H), bias (H) or None.
    states: [h].
    """
    (h,) = _states(states, 1, "esn_step")
    a = add(vecmat(x, params["kernel"]), vecmat(h, params["recurrent_kernel"]))
    if params.get("bias") is not None:
        a = add(a, params["bias"])
    update = apply(activation, a)
    h_new = add(scale(h, 1.0 - leaky), scale(update, leaky))
    return h_new, [h_new]


ADDONS_STEPS = {
    "ln_lstm.addons": ln_lstm_addons_step,
    "ln_lstm.ba2016": ln_lstm_ba2016_step,
    "nas": nas_step,
    "esn": esn_step,
}
"""The steps above by the name of their Keras layer (see ``cells.STEPS``)."""

TWO_STATES = ("ln_lstm.addons", "ln_lstm.ba2016", "nas")
