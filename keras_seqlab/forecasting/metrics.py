"""Forecast scores in original units, and the pinball loss for training.

numpy functions (arrays of any shape, `y_true` and `y_pred` the same
shape; each returns a Python float): `mae`, `rmse`, `mase` (and its
scale, `naive_scale`), `smape`,
`coverage`, `interval_width`, `pinball`, `last_time_step_mse`. Keras
versions for `compile`: `PinballLoss(quantiles)` (the quantile heads'
loss) and the `LastTimeStepMSE` metric.
"""

import keras
import numpy as np
from keras import ops

from keras_seqlab.layers.heads.quantiles import check_quantiles
from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.validation import check_units


def _array(owner, name, values):
    try:
        array = np.asarray(values, dtype="float64")
    except (TypeError, ValueError):
        array = None
    if array is None or array.size == 0:
        raise ValueError(
            f"{owner}: `{name}` must be a non-empty array of numbers, got "
            f"{values!r}."
        )
    return array


def _pair(owner, names, *values):
    """The arrays, checked to have one shape."""
    arrays = [_array(owner, n, v) for n, v in zip(names, values)]
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        got = ", ".join(f"{n} {a.shape}" for n, a in zip(names, arrays))
        raise ValueError(
            f"{owner}: expected {', '.join(names)} of the same shape, "
            f"got {got}."
        )
    return arrays


def mae(y_true, y_pred):
    """Mean absolute error, mean |y_true - y_pred|."""
    y, f = _pair("mae", ("y_true", "y_pred"), y_true, y_pred)
    return float(np.mean(np.abs(y - f)))


def rmse(y_true, y_pred):
    """Root mean squared error, sqrt(mean (y_true - y_pred)²)."""
    y, f = _pair("rmse", ("y_true", "y_pred"), y_true, y_pred)
    return float(np.sqrt(np.mean((y - f) ** 2)))


def naive_scale(insample, m=1, pooled=False):
    """MASE's scale: the in-sample MAE of the seasonal naive forecast,
    mean |x_t - x_{t-m}| over the training steps.

    Args:
        insample: `(time,)` one series, or `(time, n)` n series (columns).
        m: the seasonal period.
        pooled: one scale over the steps of every column (series of one
            kind side by side, e.g. windows) instead of one per column.

    Returns:
        A float, or `(n,)` per column; NaN (never 0 or inf) where the
        scale is undefined: m or fewer steps, a constant series (no
        error to scale by), or values that are not finite.
    """
    x = np.asarray(insample, dtype="float64")
    per_column = x.ndim == 2 and not pooled
    if x.ndim not in (1, 2) or len(x) <= m:
        return np.full(x.shape[1], np.nan) if per_column else np.nan
    errors = np.abs(x[m:] - x[:-m])
    scale = np.mean(errors, axis=0) if per_column else np.mean(errors)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, np.nan)
    return scale if per_column else float(scale)


def mase(y_true, y_pred, insample, m=1):
    """Mean absolute scaled error (Hyndman & Koehler 2006).

    MAE of the forecast divided by the in-sample MAE of the (seasonal)
    naive forecast on the training series: mean |y - f| / mean_t |x_t -
    x_{t-m}|. Below 1: better than the naive one-step (m-step) forecast was
    in sample.

    Args:
        y_true, y_pred: the truth and the forecast, one shape.
        insample: the training series, `(time,)`, or `(time, n)` for n
            target columns (then the last axis of `y_true` is those n
            columns, each scaled by its own naive error).
        m: the seasonal period (1: the one-step naive forecast).

    Raises:
        ValueError: where the scale is undefined (`naive_scale` NaN: a
            series of m or fewer steps, or constant over lag m).
    """
    owner = "mase"
    y, f = _pair(owner, ("y_true", "y_pred"), y_true, y_pred)
    m = check_units(owner, m, "m")
    x = _array(owner, "insample", insample)
    if x.ndim not in (1, 2) or x.shape[0] <= m:
        raise ValueError(
            f"{owner}: `insample` must be a series (time,) or (time, n) "
            f"longer than m={m}, got shape {x.shape}."
        )
    scale = naive_scale(x, m)
    if x.ndim == 2 and (y.ndim == 0 or y.shape[-1] != x.shape[1]):
        raise ValueError(
            f"{owner}: `insample` has {x.shape[1]} columns, so the last "
            f"axis of y_true must have {x.shape[1]}; got shape {y.shape}."
        )
    if not np.all(np.isfinite(scale)):
        raise ValueError(
            f"{owner}: the in-sample naive error (m={m}) is "
            f"{np.mean(np.abs(x[m:] - x[:-m]), axis=0)}; MASE needs a "
            "series that is not constant over each lag."
        )
    return float(np.mean(np.abs(y - f) / scale))


def smape(y_true, y_pred):
    """Symmetric MAPE in percent, 0..200: 100 · mean 2|y - f| / (|y| + |f|).

    A term with y = f = 0 counts as 0 (a perfect forecast of zero).
    """
    y, f = _pair("smape", ("y_true", "y_pred"), y_true, y_pred)
    denominator = np.abs(y) + np.abs(f)
    safe = np.where(denominator == 0, 1.0, denominator)
    terms = np.where(denominator == 0, 0.0, 2.0 * np.abs(y - f) / safe)
    return float(100.0 * np.mean(terms))


def _interval(owner, y, lower, upper):
    names = ("y", "lower", "upper")
    if y is None:
        names, values = names[1:], (lower, upper)
    else:
        values = (y, lower, upper)
    arrays = _pair(owner, names, *values)
    low, high = arrays[-2:]
    if np.any(low > high):
        count = int(np.sum(low > high))
        raise ValueError(
            f"{owner}: expected lower <= upper everywhere, got {count} "
            "crossed interval(s)."
        )
    return arrays


def coverage(y, lower, upper):
    """The fraction of `y` inside [lower, upper] (ends included), 0..1."""
    y, low, high = _interval("coverage", y, lower, upper)
    return float(np.mean((low <= y) & (y <= high)))


def interval_width(lower, upper):
    """The mean width of the intervals, mean (upper - lower)."""
    low, high = _interval("interval_width", None, lower, upper)
    return float(np.mean(high - low))


def pinball(y, q_pred, quantiles):
    """The pinball (quantile) loss, mean over every value and quantile.

    For level τ and error e = y - q: max(τ e, (τ - 1) e). At τ = 0.5 it is
    half the absolute error.

    Args:
        y: the truth, any shape S.
        q_pred: quantile forecasts, shape S + (Q,).
        quantiles: the Q levels, strictly increasing in (0, 1).
    """
    owner = "pinball"
    levels = np.asarray(check_quantiles(owner, quantiles))
    y = _array(owner, "y", y)
    q = _array(owner, "q_pred", q_pred)
    if q.shape != y.shape + (levels.size,):
        raise ValueError(
            f"{owner}: expected q_pred of shape y.shape + (Q,) = "
            f"{y.shape + (levels.size,)}, got {q.shape}."
        )
    error = y[..., None] - q
    return float(np.mean(np.maximum(levels * error, (levels - 1) * error)))


def last_time_step_mse(y_true, y_pred):
    """MSE of the last time step's forecast (the textbook's seq-to-seq score).

    For seq-to-seq targets `(batch, T, H[, n])`: the mean squared error of
    `y_true[:, -1]` against `y_pred[:, -1]`, the forecast made at the end
    of the window.
    """
    owner = "last_time_step_mse"
    y, f = _pair(owner, ("y_true", "y_pred"), y_true, y_pred)
    if y.ndim < 3:
        raise ValueError(
            f"{owner}: expected seq-to-seq arrays (batch, T, H[, n]) of "
            f"rank >= 3, got shape {y.shape}."
        )
    return float(np.mean((y[:, -1] - f[:, -1]) ** 2))


@seqlab_export
class PinballLoss(keras.losses.Loss):
    """The pinball (quantile) loss for models built with `quantiles=`.

    `y_true` has the head's usual shape S (what `make_windows` gives),
    `y_pred` the model's output S + (Q,); the loss per value is the mean
    over the Q levels of max(τ e, (τ - 1) e), e = y - q. Like Keras's
    `mean_squared_error` on the point model, `call` averages over the last
    axis of `y_true` too (and the quantile axis), so `sample_weight` takes
    the same shapes as there ((batch,), or (batch, T) for seq-to-seq); the
    reduction is then every Keras loss's (`reduction`). With the default
    reduction it equals `keras_seqlab.forecasting.pinball` on the same
    arrays.

    Args:
        quantiles: the levels, as given to the builder.
        name, reduction, dtype: as for `keras.losses.Loss`.

    Example:

    >>> model = keras_seqlab.build("gru", (30, 1), quantiles=(0.1, 0.5, 0.9))
    >>> model.compile("adam", PinballLoss((0.1, 0.5, 0.9)))
    """

    def __init__(
        self,
        quantiles,
        name="pinball_loss",
        reduction="sum_over_batch_size",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.quantiles = check_quantiles(self.__class__.__name__, quantiles)

    def _check(self, true_shape, pred_shape):
        true_shape, pred_shape = tuple(true_shape), tuple(pred_shape)
        count = len(self.quantiles)
        expected = true_shape + (count,)
        wrong = len(pred_shape) != len(expected) or any(
            a is not None and b is not None and a != b
            for a, b in zip(expected, pred_shape)
        )
        if wrong:
            raise ValueError(
                f"{self.__class__.__name__}: expected y_pred of shape "
                f"y_true's shape + ({count},) (one value per quantile), got "
                f"y_true {true_shape} and y_pred {pred_shape}."
            )

    def call(self, y_true, y_pred):
        self._check(y_true.shape, y_pred.shape)
        levels = ops.convert_to_tensor(self.quantiles, dtype=y_pred.dtype)
        error = ops.expand_dims(ops.cast(y_true, y_pred.dtype), -1) - y_pred
        loss = ops.maximum(levels * error, (levels - 1.0) * error)
        axes = (-2, -1) if len(y_true.shape) >= 2 else -1
        return ops.mean(loss, axis=axes)

    def get_config(self):
        config = super().get_config()
        config["quantiles"] = list(self.quantiles)
        config["dtype"] = self.dtype
        return config


def last_step_squared_error(y_true, y_pred):
    """Per sample: mean over the forecast of (y_true - y_pred)² at step -1."""
    if len(y_pred.shape) < 3:
        raise ValueError(
            "LastTimeStepMSE: expected seq-to-seq outputs (batch, T, H[, n])"
            f" of rank >= 3, got shape {tuple(y_pred.shape)}."
        )
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    error = ops.square(y_true[:, -1] - y_pred[:, -1])
    return ops.mean(ops.reshape(error, (ops.shape(error)[0], -1)), axis=-1)


@seqlab_export
class LastTimeStepMSE(keras.metrics.MeanMetricWrapper):
    """The textbook's seq-to-seq score as a metric: MSE at the last step.

    `model.compile(..., metrics=[LastTimeStepMSE()])` on a seq-to-seq model
    reports the mean squared error of the forecast made at the last input
    step, `y[:, -1]` (what `last_time_step_mse` computes in numpy).
    """

    def __init__(self, name="last_time_step_mse", dtype=None):
        super().__init__(fn=last_step_squared_error, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}
