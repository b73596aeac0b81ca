"""Scalar reverse-mode automatic differentiation.

Every number of a computation is a :class:`Value`. An operation on Values
returns a new Value that remembers its parents and, for each parent, the
local derivative d(result)/d(parent) evaluated at the forward pass. A graph
of Values is thus built while the forward computation runs.

:func:`backward` then applies the chain rule from the output back to the
leaves. For a node ``v`` with children ``c`` (the nodes computed from ``v``)

    dL/dv = sum over children c of  dL/dc * dc/dv,

which is evaluated in reverse topological order, so that ``dL/dc`` is
complete before it is handed on. The result is stored in ``v.grad``.

Nested lists, tuples and dicts of floats are turned into trees of fresh
leaf Values by :func:`lift`, back into floats by :func:`lower`, and the
gradients of the leaves are read by :func:`grads`. :func:`value_and_grad`
combines the three for a scalar loss.
"""

import math


def _stable_sigmoid(x):
    """σ(x) = 1 / (1 + e^(-x)), computed without overflow for large |x|.

    For x >= 0 the form 1 / (1 + e^(-x)) is used, for x < 0 the equal form
    e^x / (1 + e^x); the exponent is never positive.
    """
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _as_value(other):
    """Wrap an int or float as a constant Value; return None otherwise."""
    if isinstance(other, Value):
        return other
    if isinstance(other, (int, float)):
        return Value(other)
    return None


class Value:
    """A scalar node of a reverse-mode autodiff graph.

    Attributes:
        data: the float computed by the forward pass.
        grad: dL/d(this node), 0.0 until :func:`backward` runs.

    Supported: ``+ - * /`` and unary ``-`` with a Value or a number on
    either side, ``v ** p`` for a constant number p, and the methods
    ``exp``, ``log``, ``tanh``, ``sigmoid``, ``relu``, ``sqrt`` and
    ``hard_sigmoid``.
    """

    __slots__ = ("data", "grad", "_parents")

    def __init__(self, data, _parents=()):
        self.data = float(data)
        self.grad = 0.0
        # A tuple of (parent Value, local derivative d(self)/d(parent)).
        self._parents = _parents

    def __repr__(self):
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    # Arithmetic -------------------------------------------------------------

    def __add__(self, other):
        """a + b; d/da = 1, d/db = 1."""
        other = _as_value(other)
        if other is None:
            return NotImplemented
        return Value(self.data + other.data, ((self, 1.0), (other, 1.0)))

    def __radd__(self, other):
        return self.__add__(other)

    def __neg__(self):
        """-a; d/da = -1."""
        return Value(-self.data, ((self, -1.0),))

    def __sub__(self, other):
        """a - b; d/da = 1, d/db = -1."""
        other = _as_value(other)
        if other is None:
            return NotImplemented
        return Value(self.data - other.data, ((self, 1.0), (other, -1.0)))

    def __rsub__(self, other):
        other = _as_value(other)
        if other is None:
            return NotImplemented
        return other.__sub__(self)

    def __mul__(self, other):
        """a * b; d/da = b, d/db = a."""
        other = _as_value(other)
        if other is None:
            return NotImplemented
        return Value(
            self.data * other.data,
            ((self, other.data), (other, self.data)),
        )

    def __rmul__(self, other):
        return self.__mul__(other)

    def __truediv__(self, other):
        """a / b; d/da = 1/b, d/db = -a/b²."""
        other = _as_value(other)
        if other is None:
            return NotImplemented
        if other.data == 0.0:
            raise ValueError("Value division by zero")
        inv = 1.0 / other.data
        return Value(
            self.data * inv,
            ((self, inv), (other, -self.data * inv * inv)),
        )

    def __rtruediv__(self, other):
        other = _as_value(other)
        if other is None:
            return NotImplemented
        return other.__truediv__(self)

    def __pow__(self, exponent):
        """a ** p for a constant number p; d/da = p · a^(p-1)."""
        if isinstance(exponent, Value) or not isinstance(
            exponent, (int, float)
        ):
            return NotImplemented
        p = float(exponent)
        a = self.data
        if a < 0.0 and not p.is_integer():
            raise ValueError(
                f"Value ** {p!r} needs a non-negative base, got {a!r}"
            )
        if a == 0.0 and p < 1.0:
            if p < 0.0:
                raise ValueError(f"Value ** {p!r} is undefined at 0.0")
            # 0 ** p for 0 <= p < 1: the derivative is infinite (or 0 for p=0).
            local = 0.0 if p == 0.0 else math.inf
            return Value(a**p, ((self, local),))
        return Value(a**p, ((self, p * a ** (p - 1.0)),))

    # Elementary functions ---------------------------------------------------

    def exp(self):
        """e^a; d/da = e^a."""
        e = math.exp(self.data)
        return Value(e, ((self, e),))

    def log(self):
        """ln a for a > 0; d/da = 1/a."""
        if self.data <= 0.0:
            raise ValueError(
                f"Value.log needs a positive argument, got {self.data!r}"
            )
        return Value(math.log(self.data), ((self, 1.0 / self.data),))

    def sqrt(self):
        """√a for a >= 0; d/da = 1 / (2√a) (infinite at 0)."""
        if self.data < 0.0:
            raise ValueError(
                f"Value.sqrt needs a non-negative argument, got {self.data!r}"
            )
        s = math.sqrt(self.data)
        return Value(s, ((self, 0.5 / s if s > 0.0 else math.inf),))

    def tanh(self):
        """tanh a; d/da = 1 - tanh² a."""
        t = math.tanh(self.data)
        return Value(t, ((self, 1.0 - t * t),))

    def sigmoid(self):
        """σ(a) = 1 / (1 + e^(-a)), stable for large |a|; d/da = σ(1 - σ)."""
        s = _stable_sigmoid(self.data)
        return Value(s, ((self, s * (1.0 - s)),))

    def relu(self):
        """max(a, 0); d/da = 1 for a > 0, else 0."""
        if self.data > 0.0:
            return Value(self.data, ((self, 1.0),))
        return Value(0.0, ((self, 0.0),))

    def hard_sigmoid(self):
        """Keras 3 hard sigmoid: clip(a/6 + 1/2, 0, 1).

        It is 0 for a <= -3, 1 for a >= 3 and a/6 + 1/2 in between, with
        d/da = 1/6 strictly inside (-3, 3) and 0 elsewhere (Keras 2 used
        clip(0.2a + 0.5, 0, 1) instead).
        """
        if self.data <= -3.0:
            return Value(0.0, ((self, 0.0),))
        if self.data >= 3.0:
            return Value(1.0, ((self, 0.0),))
        return Value(self.data / 6.0 + 0.5, ((self, 1.0 / 6.0),))


def _topological_order(out):
    """Nodes reachable from ``out``, every node after all of its parents.

    An iterative depth-first search: a node is pushed once to be expanded
    and once more to be emitted after its parents, so deep graphs need no
    recursion.
    """
    order = []
    seen = set()
    stack = [(out, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for parent, _ in node._parents:
            if id(parent) not in seen:
                stack.append((parent, False))
    return order


def backward(out):
    """Back-propagate from the scalar ``out``: set out.grad = 1, then

        parent.grad += local_derivative · node.grad

    for every node in reverse topological order, so every ancestor ends
    with dout/d(ancestor) added to its ``.grad``. Gradients accumulate:
    run it once on a freshly built graph.
    """
    if not isinstance(out, Value):
        raise ValueError(f"backward needs a Value, got {type(out).__name__}")
    order = _topological_order(out)
    out.grad = 1.0
    for node in reversed(order):
        for parent, local in node._parents:
            parent.grad += local * node.grad


def _map_tree(fn, tree):
    """Apply ``fn`` to every leaf of nested lists, tuples and dicts.

    None is kept as None; containers keep their type and dict keys.
    """
    if tree is None:
        return None
    if isinstance(tree, dict):
        return {key: _map_tree(fn, item) for key, item in tree.items()}
    if isinstance(tree, list):
        return [_map_tree(fn, item) for item in tree]
    if isinstance(tree, tuple):
        return tuple(_map_tree(fn, item) for item in tree)
    return fn(tree)


def _lift_leaf(leaf):
    if isinstance(leaf, Value):
        return Value(leaf.data)
    if isinstance(leaf, (int, float)):
        return Value(leaf)
    raise ValueError(
        f"lift expects numbers in nested lists, tuples or dicts, "
        f"got {type(leaf).__name__}"
    )


def _lower_leaf(leaf):
    if isinstance(leaf, Value):
        return leaf.data
    if isinstance(leaf, (int, float)):
        return float(leaf)
    raise ValueError(
        f"lower expects Values or numbers, got {type(leaf).__name__}"
    )


def _grad_leaf(leaf):
    if isinstance(leaf, Value):
        return leaf.grad
    raise ValueError(f"grads expects Values, got {type(leaf).__name__}")


def lift(tree):
    """Numbers -> fresh leaf Values, in the same nested structure."""
    return _map_tree(_lift_leaf, tree)


def lower(tree):
    """Values (or numbers) -> floats (their ``.data``), same structure."""
    return _map_tree(_lower_leaf, tree)


def grads(tree):
    """Values -> their ``.grad`` floats, same structure."""
    return _map_tree(_grad_leaf, tree)


def value_and_grad(fn, *args):
    """Evaluate a scalar loss and its gradient with respect to every arg.

    Each argument (nested lists, tuples or dicts of numbers, or None) is
    lifted to leaf Values, ``loss = fn(*lifted)`` is evaluated and
    back-propagated.

    Returns:
        ``(loss_float, [dloss/darg for each arg])``, each gradient in the
        structure of its argument (None stays None).
    """
    lifted = [lift(arg) for arg in args]
    loss = fn(*lifted)
    if not isinstance(loss, Value):
        raise ValueError(
            "value_and_grad needs fn to return a scalar Value, "
            f"got {type(loss).__name__}"
        )
    backward(loss)
    return loss.data, [grads(tree) for tree in lifted]
