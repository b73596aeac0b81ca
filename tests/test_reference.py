"""Tests of the pure-Python reference (no numpy, no keras here)."""

import ast
import copy
import importlib
import math
import os
import random
import subprocess
import sys

import pytest

reference = importlib.import_module("keras_seqlab.reference")

# Pure Python: no backend runs here (tox: the torch environment only).
pytestmark = pytest.mark.backend_free

Value = reference.Value
H_FD = 1e-6
TOL = 1e-6


# Helpers --------------------------------------------------------------------


def _leaf_paths(tree, prefix=()):
    """Paths (tuples of keys/indices) to every number of a nested tree."""
    if tree is None:
        return []
    if isinstance(tree, dict):
        items = tree.items()
    elif isinstance(tree, (list, tuple)):
        items = enumerate(tree)
    else:
        return [prefix]
    paths = []
    for key, item in items:
        paths.extend(_leaf_paths(item, (*prefix, key)))
    return paths


def _get(tree, path):
    for key in path:
        tree = tree[key]
    return tree


def _perturbed(tree, path, delta):
    """A deep copy of tree with delta added to the number at path."""
    new = copy.deepcopy(tree)
    parent = _get(new, path[:-1])
    parent[path[-1]] += delta
    return new


def _finite_difference_check(fn, args, tol=TOL):
    """Compare value_and_grad(fn, *args) with central differences.

    ``fn`` must work on floats as well as on Values.
    """
    loss, grads = reference.value_and_grad(fn, *args)
    assert math.isclose(loss, fn(*args), rel_tol=1e-12, abs_tol=1e-12)
    checked = 0
    for index, arg in enumerate(args):
        if arg is None:
            assert grads[index] is None
            continue
        for path in _leaf_paths(arg):
            plus = list(args)
            minus = list(args)
            plus[index] = _perturbed(arg, path, H_FD)
            minus[index] = _perturbed(arg, path, -H_FD)
            numeric = (fn(*plus) - fn(*minus)) / (2 * H_FD)
            analytic = _get(grads[index], path)
            assert abs(numeric - analytic) <= tol * max(1.0, abs(numeric)), (
                index,
                path,
                numeric,
                analytic,
            )
            checked += 1
    return checked


def _vector(rng, n, scale=1.0):
    return [rng.uniform(-scale, scale) for _ in range(n)]


def _matrix(rng, rows, cols, scale=1.0):
    return [_vector(rng, cols, scale) for _ in range(rows)]


D, H = 3, 2

# name -> {weight name: shape}; a shape is (n,) or (rows, cols).
SHAPES = {
    "simple_rnn": {
        "kernel": (D, H),
        "recurrent_kernel": (H, H),
        "bias": (H,),
    },
    "ln_simple_rnn.textbook": {
        "kernel": (D, H),
        "recurrent_kernel": (H, H),
        "bias": (H,),
        "gamma": (H,),
        "beta": (H,),
    },
    "ln_simple_rnn.addons": {
        "kernel": (D, H),
        "recurrent_kernel": (H, H),
        "gamma": (H,),
        "bias": (H,),
    },
    "lstm": {
        "kernel": (D, 4 * H),
        "recurrent_kernel": (H, 4 * H),
        "bias": (4 * H,),
    },
    "peephole_lstm": {
        "kernel": (D, 4 * H),
        "recurrent_kernel": (H, 4 * H),
        "bias": (4 * H,),
        "input_gate_peephole_weights": (H,),
        "forget_gate_peephole_weights": (H,),
        "output_gate_peephole_weights": (H,),
    },
    "gru_variant.reset_after": {
        "kernel": (D, 3 * H),
        "recurrent_kernel": (H, 3 * H),
        "bias": (2, 3 * H),
    },
    "gru_variant.reset_before": {
        "kernel": (D, 3 * H),
        "recurrent_kernel": (H, 3 * H),
        "bias": (3 * H,),
    },
    "gru_variant.mgu": {
        "kernel": (D, 2 * H),
        "recurrent_kernel": (H, 2 * H),
        "bias": (2 * H,),
    },
    "gru_variant.gru1": {
        "kernel": (D, H),
        "recurrent_kernel": (H, 3 * H),
        "bias": (3 * H,),
    },
    "gru_variant.gru2": {
        "kernel": (D, H),
        "recurrent_kernel": (H, 3 * H),
        "bias": (H,),
    },
    "gru_variant.gru3": {
        "kernel": (D, H),
        "recurrent_kernel": (H, H),
        "bias": (3 * H,),
    },
    "min_gru": {"kernel": (D, 2 * H), "bias": (2 * H,)},
    "min_lstm": {"kernel": (D, 3 * H), "bias": (3 * H,)},
    **{
        f"ln_lstm.{form}": {
            "kernel": (D, 4 * H),
            "recurrent_kernel": (H, 4 * H),
            "bias": (4 * H,),
            "kernel_norm_gamma": (4 * H,),
            "kernel_norm_beta": (4 * H,),
            "recurrent_norm_gamma": (4 * H,),
            "recurrent_norm_beta": (4 * H,),
            "state_norm_gamma": (H,),
            "state_norm_beta": (H,),
        }
        for form in ("addons", "ba2016")
    },
    "nas": {
        "kernel": (D, 8 * H),
        "recurrent_kernel": (H, 8 * H),
        "bias": (8 * H,),
    },
    "esn": {"kernel": (D, H), "recurrent_kernel": (H, H), "bias": (H,)},
}


def _random_params(name, rng, use_bias=True):
    params = {}
    for weight, shape in SHAPES[name].items():
        if len(shape) == 1:
            params[weight] = _vector(rng, shape[0])
        else:
            params[weight] = _matrix(rng, *shape)
    if not use_bias:
        params["bias"] = None
    return params


def _random_states(name, rng):
    return [_vector(rng, H) for _ in range(reference.state_count(name))]


def _weighted_step_loss(step, coefficients, options):
    """Scalar loss Σ c_k · (output and new states, flattened)."""

    def loss(params, x, states):
        output, new_states = step(params, x, states, **options)
        flat = list(output)
        for state in new_states:
            flat.extend(state)
        total = 0.0
        for c, item in zip(coefficients, flat, strict=True):
            total = total + c * item
        return total

    return loss


# Autodiff ---------------------------------------------------------------------

UNARY = {
    "exp": (lambda v: v.exp(), math.exp, [-2.0, -0.3, 0.0, 0.7, 2.5]),
    "log": (lambda v: v.log(), math.log, [0.1, 0.5, 1.0, 3.0]),
    "sqrt": (lambda v: v.sqrt(), math.sqrt, [0.05, 0.5, 2.0, 9.0]),
    "tanh": (lambda v: v.tanh(), math.tanh, [-3.0, -0.5, 0.0, 0.4, 2.0]),
    "sigmoid": (
        lambda v: v.sigmoid(),
        lambda x: 1.0 / (1.0 + math.exp(-x)),
        [-6.0, -1.0, 0.0, 0.5, 4.0],
    ),
    "relu": (lambda v: v.relu(), lambda x: max(x, 0.0), [-2.0, -0.1, 0.2, 3]),
    "hard_sigmoid": (
        lambda v: v.hard_sigmoid(),
        lambda x: min(max(x / 6.0 + 0.5, 0.0), 1.0),
        [-5.0, -2.9, -1.0, 0.0, 2.0, 2.9, 4.0],
    ),
    "neg": (lambda v: -v, lambda x: -x, [-1.5, 0.0, 2.0]),
    "pow_3": (lambda v: v**3, lambda x: x**3, [-1.5, 0.2, 2.0]),
    "pow_half": (lambda v: v**0.5, math.sqrt, [0.3, 1.0, 4.0]),
    "pow_neg": (lambda v: v**-1.5, lambda x: x**-1.5, [0.3, 1.0, 4.0]),
    "pow_int_neg_base": (lambda v: v**2, lambda x: x**2, [-3.0, -0.5]),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_values_and_gradients(name):
    op, exact, points = UNARY[name]
    for x in points:
        v = Value(x)
        out = op(v)
        assert isinstance(out, Value)
        assert out.data == pytest.approx(exact(x), rel=1e-12, abs=1e-12)
        reference.backward(out)
        numeric = (op(Value(x + H_FD)).data - op(Value(x - H_FD)).data) / (
            2 * H_FD
        )
        assert abs(v.grad - numeric) <= TOL * max(1.0, abs(numeric)), (
            x,
            v.grad,
            numeric,
        )


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_values_and_gradients(name):
    op = BINARY[name]
    for x, y in [(1.5, -0.7), (-2.0, 3.0), (0.3, 0.4)]:
        a, b = Value(x), Value(y)
        out = op(a, b)
        assert out.data == pytest.approx(op(x, y), rel=1e-12)
        reference.backward(out)
        da = (op(x + H_FD, y) - op(x - H_FD, y)) / (2 * H_FD)
        db = (op(x, y + H_FD) - op(x, y - H_FD)) / (2 * H_FD)
        assert a.grad == pytest.approx(da, abs=TOL)
        assert b.grad == pytest.approx(db, abs=TOL)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_with_numbers_on_either_side(name):
    op = BINARY[name]
    x, c = 1.25, -0.8
    left = Value(x)
    out = op(left, c)
    assert out.data == pytest.approx(op(x, c))
    reference.backward(out)
    assert left.grad == pytest.approx(
        (op(x + H_FD, c) - op(x - H_FD, c)) / (2 * H_FD), abs=TOL
    )
    right = Value(x)
    out = op(c, right)
    assert out.data == pytest.approx(op(c, x))
    reference.backward(out)
    assert right.grad == pytest.approx(
        (op(c, x + H_FD) - op(c, x - H_FD)) / (2 * H_FD), abs=TOL
    )
    assert op(3, Value(2.0)).data == pytest.approx(op(3, 2.0))


def test_sigmoid_is_stable_for_large_arguments():
    for x in (-1000.0, -745.0, 745.0, 1000.0):
        v = Value(x)
        out = v.sigmoid()
        reference.backward(out)
        assert 0.0 <= out.data <= 1.0
        assert v.grad == pytest.approx(0.0, abs=1e-300)
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    assert reference.ACTIVATIONS["sigmoid"](-800.0) == 0.0


def test_hard_sigmoid_keras3_values_and_gradients():
    expected = {-4.0: 0.0, -3.0: 0.0, 0.0: 0.5, 1.5: 0.75, 3.0: 1.0, 4.0: 1.0}
    function = reference.activation("hard_sigmoid")
    for x, y in expected.items():
        assert function(x) == pytest.approx(y, abs=1e-15)
        v = Value(x)
        out = function(v)
        assert out.data == pytest.approx(y, abs=1e-15)
        reference.backward(out)
        slope = 1.0 / 6.0 if -3.0 < x < 3.0 else 0.0
        assert v.grad == pytest.approx(slope, abs=1e-15)
    # Keras 2's clip(0.2x + 0.5) would give 0.8 here.
    assert function(1.5) != pytest.approx(0.8)


def test_backward_on_a_deep_chain_needs_no_recursion():
    x = Value(0.5)
    y = x
    depth = 5000
    for _ in range(depth):
        y = y * 1.0001 + 0.0
    reference.backward(y)
    assert x.grad == pytest.approx(1.0001**depth, rel=1e-9)
    assert y.data == pytest.approx(0.5 * 1.0001**depth, rel=1e-9)


def test_gradient_accumulates_when_a_node_is_used_twice():
    x = Value(3.0)
    y = x * x  # dy/dx = 2x
    reference.backward(y)
    assert x.grad == pytest.approx(6.0)
    a = Value(2.0)
    b = a + 1.0
    c = b * b + b  # dc/da = 2b + 1 = 7, b used three times
    reference.backward(c)
    assert a.grad == pytest.approx(7.0)
    assert b.grad == pytest.approx(7.0)
    # Diamond: both branches reach u through the shared node s.
    u = Value(0.3)
    s = u.tanh()
    out = s.exp() * s.sigmoid()
    reference.backward(out)
    t = math.tanh(0.3)
    sig = 1.0 / (1.0 + math.exp(-t))
    d_out_ds = math.exp(t) * sig + math.exp(t) * sig * (1 - sig)
    assert u.grad == pytest.approx(d_out_ds * (1 - t * t), rel=1e-12)


def test_lift_lower_grads_keep_structure_and_none():
    tree = {"a": [1.0, [2, 3.5]], "b": None, "c": (4.0,)}
    lifted = reference.lift(tree)
    assert isinstance(lifted["a"][1][0], Value)
    assert lifted["b"] is None
    assert isinstance(lifted["c"], tuple)
    assert reference.lower(lifted) == {
        "a": [1.0, [2.0, 3.5]],
        "b": None,
        "c": (4.0,),
    }
    assert reference.grads(lifted) == {
        "a": [0.0, [0.0, 0.0]],
        "b": None,
        "c": (0.0,),
    }
    assert reference.lower([Value(1.5), 2]) == [1.5, 2.0]


def test_value_and_grad_with_none_and_nested_args():
    def fn(w, nothing, x):
        assert nothing is None
        return w["k"][0] * x[0] + w["k"][1] * w["k"][1]

    loss, (dw, dnone, dx) = reference.value_and_grad(
        fn, {"k": [2.0, 3.0]}, None, [5.0]
    )
    assert loss == pytest.approx(19.0)
    assert dw == {"k": [5.0, 6.0]}
    assert dnone is None
    assert dx == [2.0]


def test_value_and_grad_rejects_non_scalar_result():
    with pytest.raises(ValueError, match="scalar Value"):
        reference.value_and_grad(lambda v: [v[0]], [1.0])


def test_value_errors_are_clear():
    with pytest.raises(ValueError, match="positive"):
        Value(-1.0).log()
    with pytest.raises(ValueError, match="non-negative"):
        Value(-1.0).sqrt()
    with pytest.raises(ValueError, match="division by zero"):
        Value(1.0) / 0.0


# Linear algebra ---------------------------------------------------------------


def test_vecmat_and_elementwise_helpers():
    x = [1.0, 2.0]
    w = [[1.0, 0.0, -1.0], [0.5, 2.0, 3.0]]
    assert reference.vecmat(x, w) == [2.0, 4.0, 5.0]
    assert reference.add([1, 2], [3, 4], [5, 6]) == [9, 12]
    assert reference.sub([1, 2], [3, 5]) == [-2, -3]
    assert reference.mul([1, 2], [3, 5]) == [3, 10]
    assert reference.scale([1, 2], 3) == [3, 6]
    assert reference.one_minus([0.25, 1.0]) == [0.75, 0.0]
    assert reference.zeros(2) == [0.0, 0.0]
    assert reference.ones(3) == [1.0, 1.0, 1.0]
    assert reference.mean([1.0, 2.0, 6.0]) == pytest.approx(3.0)
    assert reference.split([1, 2, 3, 4, 5, 6], 3) == [[1, 2], [3, 4], [5, 6]]
    assert reference.columns(w, 1, 3) == [[0.0, -1.0], [2.0, 3.0]]


def test_linalg_shape_errors():
    with pytest.raises(ValueError, match="cannot be split into 4"):
        reference.split([1.0] * 6, 4)
    with pytest.raises(ValueError, match="2 rows"):
        reference.vecmat([1.0, 2.0, 3.0], [[1.0], [2.0]])
    with pytest.raises(ValueError, match="one length"):
        reference.add([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="empty"):
        reference.mean([])


def test_layer_norm_has_zero_mean_and_unit_variance_up_to_epsilon():
    rng = random.Random(3)
    a = _vector(rng, 7, scale=3.0)
    m = sum(a) / len(a)
    var = sum((p - m) ** 2 for p in a) / len(a)
    for epsilon in (0.0, 1e-5, 1e-3, 0.5):
        out = reference.layer_norm(a, epsilon)
        out_mean = sum(out) / len(out)
        out_var = sum((p - out_mean) ** 2 for p in out) / len(out)
        assert out_mean == pytest.approx(0.0, abs=1e-12)
        assert out_var == pytest.approx(var / (var + epsilon), rel=1e-12)
    # the biased variance: [1, 3] has variance 1, so the output is [-1, 1]
    assert reference.layer_norm([1.0, 3.0], 0.0) == pytest.approx([-1, 1])


def test_layer_norm_gradient():
    rng = random.Random(4)
    weights = _vector(rng, 5)

    def fn(a):
        out = reference.layer_norm(a, 1e-3)
        tanh = reference.activation("tanh")
        total = 0.0
        for w, o in zip(weights, out, strict=True):
            total = total + w * tanh(o)
        return total

    assert _finite_difference_check(fn, [_vector(rng, 5)]) == 5


# Activations ------------------------------------------------------------------


def test_activations_accept_floats_and_values():
    for name, function in reference.ACTIVATIONS.items():
        for x in (-1.2, 0.3, 2.0):
            as_float = function(x)
            as_value = function(Value(x))
            assert isinstance(as_float, float), name
            assert isinstance(as_value, Value), name
            assert as_value.data == as_float
    assert reference.apply("relu", [-1.0, 2.0]) == [0.0, 2.0]
    assert reference.apply("linear", [-1.0, 2.0]) == [-1.0, 2.0]
    assert reference.activation(None) is reference.ACTIVATIONS["linear"]


def test_unknown_activation_lists_the_known_names():
    with pytest.raises(ValueError, match=r"'swish'.*hard_sigmoid.*tanh"):
        reference.activation("swish")


# Step functions: gradients ----------------------------------------------------

STEP_OPTIONS = {
    "simple_rnn": [{}, {"activation": "relu"}],
    "ln_simple_rnn.textbook": [{}, {"epsilon": 1e-5, "activation": "sigmoid"}],
    "ln_simple_rnn.addons": [{}, {"epsilon": 1e-3}],
    "lstm": [{}, {"recurrent_activation": "hard_sigmoid"}],
    "peephole_lstm": [{}, {"activation": "relu"}],
    "gru_variant.reset_after": [{}, {"recurrent_activation": "hard_sigmoid"}],
    "gru_variant.reset_before": [{}, {"activation": "linear"}],
    "gru_variant.mgu": [{}, {"activation": "relu"}],
    "gru_variant.gru1": [{}, {"recurrent_activation": "hard_sigmoid"}],
    "gru_variant.gru2": [{}],
    "gru_variant.gru3": [{}],
    "min_gru": [{}],
    "min_lstm": [{}],
    "ln_lstm.addons": [
        {},
        {"epsilon": 1e-2, "recurrent_activation": "hard_sigmoid"},
    ],
    "ln_lstm.ba2016": [{}],
    "nas": [{}],
    "esn": [{}, {"leaky": 0.3, "activation": "relu"}],
}


def test_steps_registry():
    assert set(reference.STEPS) == set(SHAPES)
    for name in SHAPES:
        two = ("lstm", "peephole_lstm", "ln_lstm.addons", "ln_lstm.ba2016")
        expected = 2 if name in (*two, "nas") else 1
        assert reference.state_count(name) == expected
    with pytest.raises(ValueError, match="Unknown cell 'nope'"):
        reference.state_count("nope")


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_step_gradients_match_finite_differences(name):
    step = reference.STEPS[name]
    for seed, options in enumerate(STEP_OPTIONS[name]):
        rng = random.Random(1000 + seed)
        params = _random_params(name, rng)
        x = _vector(rng, D)
        states = _random_states(name, rng)
        output, new_states = step(params, x, states, **options)
        assert len(output) == H
        assert len(new_states) == reference.state_count(name)
        assert new_states[0] == output  # output first
        size = H * (1 + len(new_states))
        coefficients = _vector(rng, size)
        loss = _weighted_step_loss(step, coefficients, options)
        checked = _finite_difference_check(loss, [params, x, states])
        n_params = sum(math.prod(shape) for shape in SHAPES[name].values())
        assert checked == n_params + D + H * len(states)


@pytest.mark.parametrize("name", sorted(set(SHAPES) - {"gru_variant.gru3"}))
def test_step_gradients_without_bias(name):
    step = reference.STEPS[name]
    rng = random.Random(7)
    params = _random_params(name, rng, use_bias=False)
    x = _vector(rng, D)
    states = _random_states(name, rng)
    coefficients = _vector(rng, H * (1 + len(states)))
    loss = _weighted_step_loss(step, coefficients, {})
    _, (d_params, _, _) = reference.value_and_grad(loss, params, x, states)
    assert d_params["bias"] is None
    _finite_difference_check(loss, [params, x, states])


# Step functions: known values -------------------------------------------------


def _zero_params(name):
    params = {}
    for weight, shape in SHAPES[name].items():
        if len(shape) == 1:
            params[weight] = [0.0] * shape[0]
        else:
            params[weight] = [[0.0] * shape[1] for _ in range(shape[0])]
    return params


def test_lstm_with_zero_weights():
    params = _zero_params("lstm")
    h, c = [0.3, -0.4], [1.0, -2.0]
    output, (h_new, c_new) = reference.lstm_step(params, [1.0, 2, 3], [h, c])
    # i = f = o = σ(0) = 1/2, candidate tanh(0) = 0.
    assert c_new == pytest.approx([0.5, -1.0], abs=1e-15)
    expected_h = [0.5 * math.tanh(0.5), 0.5 * math.tanh(-1.0)]
    assert h_new == pytest.approx(expected_h, abs=1e-15)
    assert output == h_new


def test_lstm_with_bias_only():
    params = _zero_params("lstm")
    # gates i, f, c, o for H = 2
    params["bias"] = [0.0, 1.0, -50.0, 50.0, 0.5, -0.5, 0.0, 50.0]
    output, (_, c_new) = reference.lstm_step(
        params, [1.0, 2.0, 3.0], [[0.0, 0.0], [1.0, 1.0]]
    )
    sig = [0.5, 1.0 / (1.0 + math.exp(-1.0))]  # i
    f = [0.0, 1.0]  # σ(-50) ≈ 0, σ(50) ≈ 1
    cand = [math.tanh(0.5), math.tanh(-0.5)]
    expected_c = [f[k] * 1.0 + sig[k] * cand[k] for k in range(2)]
    assert c_new == pytest.approx(expected_c, abs=1e-12)
    expected_h = [0.5 * math.tanh(expected_c[0]), math.tanh(expected_c[1])]
    assert output == pytest.approx(expected_h, abs=1e-12)


def test_peephole_lstm_with_zero_peepholes_equals_lstm():
    rng = random.Random(11)
    params = _random_params("lstm", rng)
    x = _vector(rng, D)
    states = _random_states("lstm", rng)
    peep = dict(params)
    for key in (
        "input_gate_peephole_weights",
        "forget_gate_peephole_weights",
        "output_gate_peephole_weights",
    ):
        peep[key] = [0.0] * H
    for options in ({}, {"recurrent_activation": "hard_sigmoid"}):
        expected = reference.lstm_step(params, x, states, **options)
        got = reference.peephole_lstm_step(peep, x, states, **options)
        assert got == expected


def test_peephole_output_gate_sees_the_new_cell_state():
    params = _zero_params("peephole_lstm")
    params["bias"] = [50.0, 50.0, -50.0, -50.0, 0.0, 0.0, 0.0, 0.0]
    params["kernel"][0][4:6] = [1.0, 2.0]  # candidate columns, x[0] = 1
    params["output_gate_peephole_weights"] = [3.0, -1.0]
    output, (_, c_new) = reference.peephole_lstm_step(
        params, [1.0, 0.0, 0.0], [[0.0, 0.0], [5.0, 5.0]]
    )
    # i ≈ 1, f ≈ 0: c_t = tanh([1, 2]); o = σ(p_o ⊙ c_t), not σ(p_o ⊙ c_0).
    c_t = [math.tanh(1.0), math.tanh(2.0)]
    assert c_new == pytest.approx(c_t, abs=1e-12)
    o = [1 / (1 + math.exp(-3.0 * c_t[0])), 1 / (1 + math.exp(c_t[1]))]
    assert output == pytest.approx(
        [o[0] * math.tanh(c_t[0]), o[1] * math.tanh(c_t[1])], abs=1e-12
    )


@pytest.mark.parametrize(
    "name",
    [
        "gru_variant.reset_after",
        "gru_variant.reset_before",
        "gru_variant.gru1",
        "gru_variant.gru3",
    ],
)
def test_gru_with_saturated_update_gate_keeps_h(name):
    rng = random.Random(5)
    params = _random_params(name, rng)
    bias = params["bias"]
    if name == "gru_variant.reset_after":
        bias[0][:H] = [60.0] * H
    else:
        bias[:H] = [60.0] * H
    if name in ("gru_variant.gru1",):
        params["recurrent_kernel"] = [[0.0] * (3 * H) for _ in range(H)]
    h = [0.7, -0.2]
    output, (h_new,) = reference.STEPS[name](params, _vector(rng, D), [h])
    assert h_new == pytest.approx(h, abs=1e-20)
    assert output == h_new


def test_simple_rnn_known_values():
    params = {
        "kernel": [[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]],
        "recurrent_kernel": [[2.0, 0.0], [0.0, 0.5]],
        "bias": [0.1, -0.2],
    }
    output, (h_new,) = reference.simple_rnn_step(
        params, [0.5, 1.0, 2.0], [[0.25, -1.0]]
    )
    # x W = [2.5, -1.0], h U = [0.5, -0.5]
    assert output == pytest.approx([math.tanh(3.1), math.tanh(-1.7)])
    assert h_new == output


def test_gru_reset_after_and_before_known_values():
    # Zero kernels: z = r = σ(0) = 1/2, U_h = identity.
    u = [[0.0] * (3 * H) for _ in range(H)]
    u[0][2 * H] = u[1][2 * H + 1] = 1.0
    kernel = [[0.0] * (3 * H) for _ in range(D)]
    h = [0.6, -0.2]
    x = [1.0, 2.0, 3.0]
    b_h = [0.3, 0.1]
    after = {
        "kernel": kernel,
        "recurrent_kernel": u,
        "bias": [[0.0] * (2 * H) + b_h, [0.0] * (2 * H) + [1.0, -1.0]],
    }
    # h̃ = tanh(b_h + r ⊙ (h U_h + b'_h)), the reset applied after U
    candidate = [math.tanh(0.3 + 0.5 * 1.6), math.tanh(0.1 + 0.5 * -1.2)]
    expected = [0.5 * h[k] + 0.5 * candidate[k] for k in range(H)]
    output, _ = reference.gru_reset_after_step(after, x, [h])
    assert output == pytest.approx(expected, abs=1e-15)
    before = {
        "kernel": kernel,
        "recurrent_kernel": u,
        "bias": [0.0] * (2 * H) + b_h,
    }
    # h̃ = tanh((r ⊙ h) U_h + b_h), the reset applied before U
    candidate = [math.tanh(0.5 * 0.6 + 0.3), math.tanh(0.5 * -0.2 + 0.1)]
    expected = [0.5 * h[k] + 0.5 * candidate[k] for k in range(H)]
    output, _ = reference.gru_reset_before_step(before, x, [h])
    assert output == pytest.approx(expected, abs=1e-15)


def test_gru_reset_after_equals_reset_before_when_reset_is_one():
    rng = random.Random(6)
    before = _random_params("gru_variant.reset_before", rng)
    before["bias"][H : 2 * H] = [60.0] * H  # r = σ(60) = 1
    after = dict(before)
    after["bias"] = [list(before["bias"]), [0.0] * (3 * H)]
    x, h = _vector(rng, D), _vector(rng, H)
    got = reference.gru_reset_after_step(after, x, [h])
    expected = reference.gru_reset_before_step(before, x, [h])
    assert got[0] == pytest.approx(expected[0], abs=1e-14)


def test_gru1_gru2_gru3_are_restrictions_of_reset_before():
    rng = random.Random(8)
    x, h = _vector(rng, D), _vector(rng, H)
    gru1 = _random_params("gru_variant.gru1", rng)
    # GRU1 = reset_before with the input kernel of z and r set to zero.
    full = {
        "kernel": [[0.0] * (2 * H) + row for row in gru1["kernel"]],
        "recurrent_kernel": gru1["recurrent_kernel"],
        "bias": gru1["bias"],
    }
    assert reference.gru1_step(gru1, x, [h])[0] == pytest.approx(
        reference.gru_reset_before_step(full, x, [h])[0], abs=1e-14
    )
    # GRU2 = GRU1 with b_z = b_r = 0.
    gru2 = dict(gru1)
    gru2["bias"] = gru1["bias"][2 * H :]
    gru1_no_gate_bias = dict(gru1)
    gru1_no_gate_bias["bias"] = [0.0] * (2 * H) + gru1["bias"][2 * H :]
    assert reference.gru2_step(gru2, x, [h])[0] == pytest.approx(
        reference.gru1_step(gru1_no_gate_bias, x, [h])[0], abs=1e-14
    )
    # GRU3 = GRU1 with U_z = U_r = 0.
    gru3 = dict(gru1)
    gru3["recurrent_kernel"] = reference.columns(
        gru1["recurrent_kernel"], 2 * H, 3 * H
    )
    gru1_no_gate_u = dict(gru1)
    gru1_no_gate_u["recurrent_kernel"] = [
        [0.0] * (2 * H) + row for row in gru3["recurrent_kernel"]
    ]
    assert reference.gru3_step(gru3, x, [h])[0] == pytest.approx(
        reference.gru1_step(gru1_no_gate_u, x, [h])[0], abs=1e-14
    )


def test_gru3_known_values():
    params = _zero_params("gru_variant.gru3")
    params["bias"] = [0.0, 0.0, 0.0, 0.0, 0.5, -1.0]
    h = [0.4, -0.6]
    output, _ = reference.gru3_step(params, [1.0, 2.0, 3.0], [h])
    # z = σ(0) = 1/2, h̃ = tanh(b_h)
    expected = [0.5 * 0.4 + 0.5 * math.tanh(0.5), -0.3 + 0.5 * math.tanh(-1)]
    assert output == pytest.approx(expected, abs=1e-15)
    # the gates ignore x and h: z = σ(b_z) = 1 keeps h whatever U is
    params["bias"][:H] = [60.0, 60.0]
    params["recurrent_kernel"] = [[5.0, -3.0], [2.0, 1.0]]
    assert reference.gru3_step(params, [9.0, 9.0, 9.0], [h])[0] == (
        pytest.approx(h, abs=1e-20)
    )


def test_gru3_without_bias_is_an_error():
    params = _zero_params("gru_variant.gru3")
    params["bias"] = None
    with pytest.raises(ValueError, match="gru3_step needs a bias"):
        reference.gru3_step(params, [0.0] * D, [[0.0] * H])


def test_mgu_known_values():
    params = _zero_params("gru_variant.mgu")
    h = [0.8, -0.4]
    output, _ = reference.mgu_step(params, [1.0, 2.0, 3.0], [h])
    # f = 1/2, h̃ = tanh(0) = 0 -> h_t = h / 2
    assert output == pytest.approx([0.4, -0.2], abs=1e-15)
    # f ≈ 0 keeps h; f ≈ 1 gives h̃ = tanh(x W_h + h U_h + b_h)
    params["bias"] = [-60.0, -60.0, 0.1, 0.2]
    assert reference.mgu_step(params, [1.0, 2, 3], [h])[0] == pytest.approx(
        h, abs=1e-20
    )
    params["bias"] = [60.0, 60.0, 0.1, 0.2]
    params["recurrent_kernel"] = [[0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 2.0]]
    expected = [math.tanh(0.8 + 0.1), math.tanh(-0.8 + 0.2)]
    assert reference.mgu_step(params, [1.0, 2, 3], [h])[0] == pytest.approx(
        expected, abs=1e-15
    )


def test_ln_simple_rnn_normalizes_the_preactivation():
    rng = random.Random(9)
    params = _random_params("ln_simple_rnn.textbook", rng)
    params["kernel"] = _matrix(rng, D, 5)
    params["recurrent_kernel"] = _matrix(rng, 5, 5)
    params["bias"] = _vector(rng, 5)
    params["gamma"] = [1.0] * 5
    params["beta"] = [0.0] * 5
    output, _ = reference.ln_simple_rnn_step(
        params,
        _vector(rng, D),
        [_vector(rng, 5)],
        activation="linear",
        epsilon=0.0,
    )
    m = sum(output) / 5
    assert m == pytest.approx(0.0, abs=1e-12)
    assert sum((o - m) ** 2 for o in output) / 5 == pytest.approx(1.0)


def test_ln_simple_rnn_known_values():
    params = _zero_params("ln_simple_rnn.textbook")
    params["recurrent_kernel"] = [[1.0, 0.0], [0.0, 1.0]]
    params["bias"] = [1.0, -1.0]
    params["gamma"] = [2.0, 3.0]
    params["beta"] = [0.1, 0.2]
    h = [0.5, -0.5]
    # a = h U + b = [1.5, -1.5]: mean 0, variance 2.25
    output, _ = reference.ln_simple_rnn_step(params, [1.0] * D, [h])
    scale = 1.5 / math.sqrt(2.25 + 1e-3)
    expected = [math.tanh(2.0 * scale + 0.1), math.tanh(-3.0 * scale + 0.2)]
    assert output == pytest.approx(expected, abs=1e-15)
    # the Addons form adds its bias after normalizing: a = h U = [0.5, -0.5]
    addons = _zero_params("ln_simple_rnn.addons")
    addons["recurrent_kernel"] = params["recurrent_kernel"]
    addons["gamma"] = params["gamma"]
    addons["bias"] = [0.1, 0.2]
    output, _ = reference.ln_simple_rnn_addons_step(addons, [1.0] * D, [h])
    scale = 0.5 / math.sqrt(0.25 + 1e-5)
    expected = [math.tanh(2.0 * scale + 0.1), math.tanh(-3.0 * scale + 0.2)]
    assert output == pytest.approx(expected, abs=1e-15)


def test_ln_simple_rnn_addons_adds_the_bias_after_normalization():
    rng = random.Random(10)
    params = _random_params("ln_simple_rnn.addons", rng)
    params["gamma"] = [1.0] * H
    output, _ = reference.ln_simple_rnn_addons_step(
        params, _vector(rng, D), [_vector(rng, H)], activation="linear"
    )
    shifted = reference.sub(output, params["bias"])
    assert sum(shifted) == pytest.approx(0.0, abs=1e-12)
    # textbook form without bias and with β = b is the Addons form
    textbook = {
        "kernel": params["kernel"],
        "recurrent_kernel": params["recurrent_kernel"],
        "bias": None,
        "gamma": _vector(rng, H),
        "beta": params["bias"],
    }
    addons = dict(params)
    addons["gamma"] = textbook["gamma"]
    x, h = _vector(rng, D), _vector(rng, H)
    assert reference.ln_simple_rnn_step(textbook, x, [h], epsilon=1e-5) == (
        reference.ln_simple_rnn_addons_step(addons, x, [h])
    )


def test_step_rejects_wrong_state_count_and_bias_length():
    params = _zero_params("lstm")
    with pytest.raises(ValueError, match="expects 2 state"):
        reference.lstm_step(params, [0.0] * D, [[0.0] * H])
    params["bias"] = [0.0] * 3
    with pytest.raises(ValueError, match="bias of length 8"):
        reference.lstm_step(params, [0.0] * D, [[0.0] * H, [0.0] * H])
    gru = _zero_params("gru_variant.reset_after")
    gru["bias"] = [0.0] * (3 * H)
    with pytest.raises(ValueError, match=r"shape \(2, 6\)"):
        reference.gru_reset_after_step(gru, [0.0] * D, [[0.0] * H])


# Sequences --------------------------------------------------------------------

# A linear one-unit cell h_t = x_t + h_{t-1}: outputs are running sums.
SUM_PARAMS = {"kernel": [[1.0]], "recurrent_kernel": [[1.0]], "bias": None}
XS = [[1.0], [2.0], [3.0], [4.0]]
INIT = [[10.0]]


def _run(mask=None, **kw):
    outputs, last, final = reference.run_sequence(
        reference.simple_rnn_step,
        SUM_PARAMS,
        XS,
        INIT,
        mask=mask,
        activation="linear",
        **kw,
    )
    return [o[0] for o in outputs], last[0], final[0][0]


def test_run_sequence_without_mask():
    assert _run() == ([11.0, 13.0, 16.0, 20.0], 20.0, 20.0)


def test_run_sequence_right_padded_mask_repeats_the_last_output():
    assert _run([True, True, False, False]) == (
        [11.0, 13.0, 13.0, 13.0],
        13.0,
        13.0,
    )


def test_run_sequence_left_padded_mask_outputs_zeros_then_carries_state():
    # the initial state 10 is carried through the masked steps
    assert _run([False, False, True, True]) == (
        [0.0, 0.0, 13.0, 17.0],
        17.0,
        17.0,
    )


def test_run_sequence_all_masked_keeps_the_initial_state():
    assert _run([False] * 4) == ([0.0] * 4, 0.0, 10.0)


def test_run_sequence_middle_mask():
    assert _run([True, False, True, False]) == (
        [11.0, 11.0, 14.0, 14.0],
        14.0,
        14.0,
    )


def test_run_sequence_zero_output_for_mask():
    assert _run([True, False, True, False], zero_output_for_mask=True) == (
        [11.0, 0.0, 14.0, 0.0],
        0.0,
        14.0,
    )


def test_run_sequence_go_backwards_lists_outputs_in_processing_order():
    assert _run(go_backwards=True) == ([14.0, 17.0, 19.0, 20.0], 20.0, 20.0)
    # a right-padded sequence read backwards starts with the padding
    assert _run([True, True, False, False], go_backwards=True) == (
        [0.0, 0.0, 12.0, 13.0],
        13.0,
        13.0,
    )


def test_run_sequence_carries_every_state_of_an_lstm():
    rng = random.Random(12)
    params = _random_params("lstm", rng)
    xs = [_vector(rng, D) for _ in range(4)]
    init = _random_states("lstm", rng)
    mask = [True, True, False, False]
    outputs, last, final = reference.run_sequence(
        reference.lstm_step, params, xs, init, mask=mask
    )
    short = reference.run_sequence(reference.lstm_step, params, xs[:2], init)
    assert final == short[2]
    assert outputs[2] == outputs[3] == short[1]
    assert last == short[1]
    _, _, all_masked = reference.run_sequence(
        reference.lstm_step, params, xs, init, mask=[False] * 4
    )
    assert all_masked == init


def test_run_sequence_gradients_through_masked_steps():
    rng = random.Random(13)
    params = _random_params("gru_variant.reset_after", rng)
    xs = [_vector(rng, D) for _ in range(3)]
    init = [_vector(rng, H)]
    mask = [False, True, False]
    coefficients = _vector(rng, 3 * H)

    def loss(params, xs, init):
        outputs, _, _ = reference.run_sequence(
            reference.gru_reset_after_step, params, xs, init, mask=mask
        )
        total = 0.0
        flat = [item for output in outputs for item in output]
        for c, item in zip(coefficients, flat, strict=True):
            total = total + c * item
        return total

    _, (_, d_xs, _) = reference.value_and_grad(loss, params, xs, init)
    assert d_xs[0] == [0.0] * D and d_xs[2] == [0.0] * D
    _finite_difference_check(loss, [params, xs, init])


def test_run_batch_maps_over_samples():
    outputs, last, final = reference.run_batch(
        reference.simple_rnn_step,
        SUM_PARAMS,
        [XS, XS],
        [INIT, [[0.0]]],
        batch_mask=[None, [True, False, True, True]],
        activation="linear",
    )
    assert [[o[0] for o in sample] for sample in outputs] == [
        [11.0, 13.0, 16.0, 20.0],
        [1.0, 1.0, 4.0, 8.0],
    ]
    assert last == [[20.0], [8.0]]
    assert final == [[[20.0]], [[8.0]]]


def test_run_sequence_errors():
    with pytest.raises(ValueError, match="mask has 2 entries for 4"):
        _run([True, False])
    with pytest.raises(ValueError, match="at least one time step"):
        reference.run_sequence(reference.simple_rnn_step, SUM_PARAMS, [], INIT)


# Purity -----------------------------------------------------------------------

REFERENCE_DIR = os.path.dirname(reference.__file__)


def test_reference_sources_import_only_math_and_relative_modules():
    for filename in sorted(os.listdir(REFERENCE_DIR)):
        if not filename.endswith(".py"):
            continue
        with open(os.path.join(REFERENCE_DIR, filename), encoding="utf-8") as f:
            tree = ast.parse(f.read(), filename)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
                assert names == ["math"], (filename, names)
            elif isinstance(node, ast.ImportFrom):
                assert node.level >= 1, (filename, node.module)


_NO_NUMPY_SCRIPT = r"""
import importlib.abc
import importlib.util
import sys

BLOCKED = {"numpy", "keras", "tensorflow", "jax", "torch"}


class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError("blocked for this test: " + name)
        return None


sys.meta_path.insert(0, Blocker())
for name in list(sys.modules):
    if name.split(".")[0] in BLOCKED:
        del sys.modules[name]
directory = sys.argv[1]
spec = importlib.util.spec_from_file_location(
    "seqlab_reference",
    directory + "/__init__.py",
    submodule_search_locations=[directory],
)
ref = importlib.util.module_from_spec(spec)
sys.modules["seqlab_reference"] = ref
spec.loader.exec_module(ref)
try:
    import numpy  # noqa: F401
except ImportError:
    pass
else:
    raise SystemExit("the blocker did not block numpy")
params = {
    "kernel": [[0.1] * 4, [0.2] * 4],
    "recurrent_kernel": [[0.3] * 4],
    "bias": [0.0] * 4,
}
output, states = ref.lstm_step(params, [1.0, -1.0], [[0.5], [0.25]])


def loss(params, x):
    out, _ = ref.lstm_step(params, x, [[0.5], [0.25]])
    return out[0]


value, (d_params, d_x) = ref.value_and_grad(loss, params, [1.0, -1.0])
assert abs(value - output[0]) < 1e-15
assert len(d_params["kernel"]) == 2 and len(d_x) == 2
assert not any(name.split(".")[0] in BLOCKED for name in sys.modules)
print("OK")
"""


def test_reference_imports_with_numpy_unavailable():
    result = subprocess.run(
        [sys.executable, "-I", "-B", "-c", _NO_NUMPY_SCRIPT, REFERENCE_DIR],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK"
