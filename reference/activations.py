"""Scalar activation functions by Keras name.

    tanh          φ(x) = (e^x - e^(-x)) / (e^x + e^(-x))
    sigmoid       φ(x) = 1 / (1 + e^(-x))
    relu          φ(x) = max(x, 0)
    linear        φ(x) = x
    hard_sigmoid  φ(x) = clip(x/6 + 1/2, 0, 1)   (the Keras 3 definition;
                  Keras 2 used clip(0.2x + 0.5, 0, 1))

Each function takes a float (and returns a float) or a
:class:`~.autodiff.Value` (and returns a Value in the autodiff graph). The
float result is computed by the same code as the Value's ``.data``, so
the two always agree.
"""

from .autodiff import Value


def _scalar(method_name, doc):
    """A function calling ``Value.<method_name>`` on Values and floats."""

    def function(x):
        if isinstance(x, Value):
            return getattr(x, method_name)()
        return getattr(Value(x), method_name)().data

    function.__name__ = method_name
    function.__doc__ = doc
    return function


tanh = _scalar("tanh", "Hyperbolic tangent tanh(x).")
sigmoid = _scalar("sigmoid", "Logistic sigmoid σ(x) = 1 / (1 + e^(-x)).")
relu = _scalar("relu", "Rectifier max(x, 0).")
hard_sigmoid = _scalar(
    "hard_sigmoid", "Keras 3 hard sigmoid clip(x/6 + 1/2, 0, 1)."
)


def linear(x):
    """Identity φ(x) = x (Keras's ``"linear"`` and ``None``)."""
    if isinstance(x, Value):
        return x
    return float(x)


ACTIVATIONS = {
    "tanh": tanh,
    "sigmoid": sigmoid,
    "relu": relu,
    "linear": linear,
    "hard_sigmoid": hard_sigmoid,
}


def activation(name):
    """The scalar function for a Keras activation name.

    None means ``"linear"``, as in Keras layers.
    """
    if name is None:
        return linear
    if name not in ACTIVATIONS:
        raise ValueError(
            f"Unknown activation {name!r}; known activations: "
            f"{', '.join(sorted(ACTIVATIONS))}"
        )
    return ACTIVATIONS[name]


def apply(name, vector):
    """Apply the activation ``name`` to every element of ``vector``."""
    function = activation(name)
    return [function(item) for item in vector]
