"""Split-conformal calibration of prediction intervals.

Conformalized quantile regression (Romano, Patterson & Candès 2019): on a
calibration (validation) split not used for fitting, the conformity score
of each value is E = max(lower - y, y - upper), how far y falls outside
its interval (negative inside). With n scores and miscoverage
α = 1 - coverage, the margin q is the ⌈(n + 1)(1 - α)⌉-th smallest score;
the interval [lower - q, upper + q] then covers a new value from the same
(exchangeable) process with probability at least 1 - α, and at most
1 - α + 1/(n + 1) when the scores have no ties.

For forecasts the guarantee needs exchangeable calibration and test
errors; for a series, where errors drift or cluster, it holds only
approximately.

`conformal_margin` computes q, `widen` applies it to arrays,
`ConformalInterval` (a layer, defined with the quantile layers so that
`import keras_seqlab` registers it) applies it inside a model, and
`conformalize(model, margin)` appends that layer to a quantile model so
the saved model carries its calibration.
"""

import math

import keras
import numpy as np

from keras_seqlab.layers.heads.quantiles import ConformalInterval
from keras_seqlab.layers.heads.quantiles import check_margin
from keras_seqlab.utils.validation import check_fraction


def _arrays(owner, y, lower, upper):
    names = ("y_val", "lower_val", "upper_val")
    arrays = []
    for name, values in zip(names, (y, lower, upper)):
        try:
            array = np.asarray(values, dtype="float64")
        except (TypeError, ValueError):
            array = None
        if array is None or array.size == 0:
            raise ValueError(
                f"{owner}: `{name}` must be a non-empty array of numbers, "
                f"got {values!r}."
            )
        arrays.append(array)
    shapes = [a.shape for a in arrays]
    if len(set(shapes)) > 1:
        raise ValueError(
            f"{owner}: expected y_val, lower_val and upper_val of the same "
            f"shape, got {shapes[0]}, {shapes[1]} and {shapes[2]}."
        )
    return arrays


def conformity_scores(y, lower, upper):
    """max(lower - y, y - upper) per value: > 0 outside the interval."""
    y, lower, upper = _arrays("conformity_scores", y, lower, upper)
    return np.maximum(lower - y, y - upper)


def conformal_margin(y_val, lower_val, upper_val, coverage):
    """The split-conformal margin for intervals [lower, upper].

    Args:
        y_val: calibration values (any shape; every value is one score).
        lower_val, upper_val: the model's interval on them, same shape.
        coverage: the nominal coverage 1 - α in (0, 1), e.g. 0.8.

    Returns:
        The margin q as a float: the ⌈(n + 1) · coverage⌉-th smallest of the
        n scores max(lower - y, y - upper). Negative when the interval was
        wider than needed.

    Raises:
        ValueError: when n is too small for that coverage (⌈(n + 1) ·
            coverage⌉ > n, the margin would be infinite), or on bad input.
    """
    owner = "conformal_margin"
    coverage = check_fraction(
        owner, "coverage", coverage, example="e.g. 0.8 for an 80% interval"
    )
    y, lower, upper = _arrays(owner, y_val, lower_val, upper_val)
    scores = np.maximum(lower - y, y - upper).reshape(-1)
    if not np.all(np.isfinite(scores)):
        raise ValueError(
            f"{owner}: the calibration values and intervals must be "
            "finite; got NaN or infinity."
        )
    n = scores.size
    rank = math.ceil((n + 1) * coverage - 1e-9)
    if rank > n:
        needed = math.ceil(coverage / (1.0 - coverage) - 1e-9)
        raise ValueError(
            f"{owner}: {n} calibration value(s) are too few for coverage "
            f"{coverage}: need at least {needed} (otherwise the margin is "
            "infinite)."
        )
    return float(np.partition(scores, rank - 1)[rank - 1])


def widen(lower, upper, margin):
    """The interval [lower - margin, upper + margin] as two arrays.

    A negative margin narrows the interval, down to its midpoint at most
    (the two ends never cross), as `ConformalInterval` does for two
    quantiles.
    """
    owner = "widen"
    margin = check_margin(owner, margin)
    low = np.asarray(lower, dtype="float64")
    high = np.asarray(upper, dtype="float64")
    if low.shape != high.shape:
        raise ValueError(
            f"{owner}: expected lower and upper of the same shape, got "
            f"{low.shape} and {high.shape}."
        )
    if margin >= 0:
        return low - margin, high + margin
    middle = (low + high) / 2.0
    return np.minimum(low - margin, middle), np.maximum(high + margin, middle)


def conformalize(model, margin, coverage=None):
    """`model` followed by a `ConformalInterval(margin)`: a new model.

    `model` must output quantile forecasts `(..., Q)`, Q >= 2 (a model
    built with `quantiles=`); the result shares its layers and weights and
    moves the outermost quantiles out by `margin`. Saved, it loads with
    `safe_mode=True` and carries the margin in its config.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"conformalize: expected a keras.Model, got {type(model).__name__}."
        )
    if len(model.outputs) != 1:
        raise ValueError(
            f"conformalize: expected a model with one output, model "
            f"'{model.name}' has {len(model.outputs)}."
        )
    layer = ConformalInterval(margin, coverage=coverage, name="conformal")
    return keras.Model(
        model.inputs, layer(model.outputs[0]), name=f"{model.name}_conformal"
    )
