"""Quantile outputs: ordered quantile heads and conformal widening.

`QuantileHead` turns Q raw values into Q ordered quantiles,
`RepeatQuantiles` turns a point forecast into a degenerate (width 0)
quantile forecast, `ConformalInterval` moves the outermost quantiles out by
a calibrated margin. `model_quantiles(model)` reads the quantile levels
back from a (loaded) model. They live here, beside the other layers, so
that `import keras_seqlab` registers them and a saved quantile model loads
with `safe_mode=True`.
"""

import numpy as np
from keras import layers
from keras import ops

from keras_seqlab.layers.stepping import PointwiseStep
from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.validation import check_finite_float
from keras_seqlab.utils.validation import check_fraction
from keras_seqlab.utils.validation import layer_owner


def check_quantiles(owner, quantiles):
    """`quantiles` as a tuple of floats, each in (0, 1), strictly increasing.

    Raises a ValueError naming `owner` for an empty sequence, a value that
    is not a number, a value outside (0, 1), or values that are unsorted or
    repeated.
    """
    if isinstance(quantiles, (str, bytes)):
        items = None
    else:
        try:
            items = list(quantiles)
        except TypeError:
            items = None
    if not items:
        raise ValueError(
            f"{owner}: `quantiles` must be a non-empty sequence of numbers "
            f"in (0, 1), got {quantiles!r}."
        )
    values = tuple(
        check_fraction(owner, f"quantiles[{i}]", q) for i, q in enumerate(items)
    )
    for a, b in zip(values, values[1:]):
        if not a < b:
            what = "repeated" if a == b else "unsorted"
            raise ValueError(
                f"{owner}: `quantiles` must be strictly increasing, got "
                f"{quantiles!r} ({what}: {a!r} then {b!r})."
            )
    return values


def _check_last_axis(layer, shape, expected=None, minimum=1):
    shape = tuple(shape)
    size = shape[-1] if shape else None
    wrong = not shape or size is None
    if not wrong and expected is not None:
        wrong = size != expected
    if not wrong:
        wrong = size < minimum
    if wrong:
        if expected is not None:
            want = f"a last axis of size {expected} (one per quantile)"
        else:
            want = f"a defined last (quantile) axis of size >= {minimum}"
        raise ValueError(
            f"{layer_owner(layer)}: expected inputs with {want}, got "
            f"shape {shape}."
        )


@seqlab_export
class QuantileHead(PointwiseStep, layers.Layer):
    """Ordered (non-crossing) quantiles from Q raw values.

    For inputs a of shape `(..., Q)`, Q = `len(quantiles)`:

        q_0 = a_0,    q_k = q_{k-1} + softplus(a_k)   (k = 1 .. Q-1).

    The sum is taken one quantile at a time, each step adding a
    non-negative number, so in floating point the outputs never decrease
    along the last axis, whatever the inputs (no crossing quantiles, by
    construction rather than by training). They increase strictly wherever
    softplus(a_k) is larger than the rounding step of q_{k-1} (in float32,
    about 1.2e-7 |q_{k-1}|); only an a_k below about -87 (where softplus
    underflows) or a huge q_{k-1} leaves two neighbours equal.

    No weights: put it after a `Dense(... * Q)` and a `Reshape` (the
    builders' `quantiles=` argument does that).

    Args:
        quantiles: the quantile levels, a non-empty, strictly increasing
            sequence of numbers in (0, 1), e.g. `(0.1, 0.5, 0.9)`.

    Example:

    >>> head = keras_seqlab.layers.QuantileHead((0.1, 0.5, 0.9))
    >>> keras.ops.convert_to_numpy(head(np.zeros((1, 3)))).round(4)
    array([[0.    , 0.6931, 1.3863]], dtype=float32)
    """

    def __init__(self, quantiles, **kwargs):
        super().__init__(**kwargs)
        self.quantiles = check_quantiles(self.__class__.__name__, quantiles)

    def build(self, inputs_shape):
        _check_last_axis(self, inputs_shape, len(self.quantiles))

    def call(self, inputs):
        _check_last_axis(self, inputs.shape, len(self.quantiles))
        q = inputs[..., :1]
        outputs = [q]
        for k in range(1, len(self.quantiles)):
            q = q + ops.softplus(inputs[..., k : k + 1])
            outputs.append(q)
        if len(outputs) == 1:
            return q
        return ops.concatenate(outputs, axis=-1)

    def compute_output_shape(self, inputs_shape):
        _check_last_axis(self, inputs_shape, len(self.quantiles))
        return tuple(inputs_shape)

    def get_config(self):
        config = {"quantiles": list(self.quantiles)}
        return {**super().get_config(), **config}


@seqlab_export
class RepeatQuantiles(PointwiseStep, layers.Layer):
    """A point forecast as a quantile forecast: every quantile the same.

    Appends a trailing axis of size Q = `len(quantiles)` that repeats the
    input: `(...)` → `(..., Q)`. The interval it states has width 0 (the
    persistence builder's quantile output); a conformal margin
    (`ConformalInterval`) then gives it a calibrated width.

    Args:
        quantiles: the quantile levels (as for `QuantileHead`).
    """

    def __init__(self, quantiles, **kwargs):
        super().__init__(**kwargs)
        self.quantiles = check_quantiles(self.__class__.__name__, quantiles)

    def call(self, inputs):
        values = ops.expand_dims(inputs, -1)
        return ops.repeat(values, len(self.quantiles), axis=-1)

    def compute_output_shape(self, inputs_shape):
        return tuple(inputs_shape) + (len(self.quantiles),)

    def get_config(self):
        config = {"quantiles": list(self.quantiles)}
        return {**super().get_config(), **config}


def check_margin(owner, margin):
    """`margin` as a finite float."""
    return check_finite_float(owner, "margin", margin)


@seqlab_export
class ConformalInterval(PointwiseStep, layers.Layer):
    """Moves the outermost quantiles out by a calibrated margin.

    For quantile forecasts q of shape `(..., Q)`, Q >= 2, ordered along the
    last axis, the output is q with

        q_0 → q_0 - margin,    q_{Q-1} → q_{Q-1} + margin,

    the inner quantiles unchanged: the interval [q_0, q_{Q-1}] widened by
    the split-conformal margin of `keras_seqlab.forecasting.conformal`
    (conformalized quantile regression, Romano et al. 2019). A negative
    margin (an interval that was too wide) narrows it, but never past the
    neighbouring quantile (Q >= 3) or the midpoint of the two (Q = 2), so
    the outputs stay ordered. No weights; the margin is in the layer's
    config, so a saved model carries its calibration.

    Args:
        margin: a finite number, in the units of the model's outputs.
        coverage: the nominal coverage the margin was calibrated for
            (informative, kept in the config), or None.
    """

    def __init__(self, margin, coverage=None, **kwargs):
        super().__init__(**kwargs)
        owner = self.__class__.__name__
        self.margin = check_margin(owner, margin)
        self.coverage = check_fraction(
            owner, "coverage", coverage, optional=True
        )

    def build(self, inputs_shape):
        _check_last_axis(self, inputs_shape, minimum=2)

    def call(self, inputs):
        _check_last_axis(self, inputs.shape, minimum=2)
        size = inputs.shape[-1]
        lower = inputs[..., :1] - self.margin
        upper = inputs[..., -1:] + self.margin
        if size == 2:
            middle = (inputs[..., :1] + inputs[..., 1:]) / 2.0
            lower = ops.minimum(lower, middle)
            upper = ops.maximum(upper, middle)
            return ops.concatenate([lower, upper], axis=-1)
        lower = ops.minimum(lower, inputs[..., 1:2])
        upper = ops.maximum(upper, inputs[..., -2:-1])
        return ops.concatenate([lower, inputs[..., 1:-1], upper], axis=-1)

    def compute_output_shape(self, inputs_shape):
        _check_last_axis(self, inputs_shape, minimum=2)
        return tuple(inputs_shape)

    def get_config(self):
        config = {"margin": self.margin, "coverage": self.coverage}
        return {**super().get_config(), **config}


def median_index(quantiles):
    """The index of the level closest to 0.5: a quantile model's point
    forecast."""
    return int(np.argmin(np.abs(np.asarray(quantiles) - 0.5)))


def point_forecast(values, quantiles):
    """`values` (quantiles on the last axis) at the median level; a point
    model's values (`quantiles` None) as they are."""
    if quantiles is None:
        return values
    return values[..., median_index(quantiles)]


def model_quantiles(model):
    """The quantile levels of a model's output, or None for a point model.

    Reads the `QuantileHead` (or `RepeatQuantiles`) of `model`, also inside
    nested models, so it works on a model loaded from a `.keras` file.

    Returns:
        A tuple of floats, or None when the model has no quantile output.
    """
    found = []
    stack = [model]
    while stack:
        layer = stack.pop()
        if isinstance(layer, (QuantileHead, RepeatQuantiles)):
            found.append(layer.quantiles)
        stack.extend(getattr(layer, "layers", ()))
    if not found:
        return None
    if len(set(found)) > 1:
        raise ValueError(
            f"model_quantiles: model '{model.name}' has several quantile "
            f"outputs with different levels: {sorted(set(found))}."
        )
    return found[0]
