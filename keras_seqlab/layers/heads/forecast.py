"""The layers that make a trained model a forecaster in original units.

`Rescale` is a fixed affine map per column (scaling the raw inputs on the
way in, un-scaling the forecasts on the way out); `ForecastSpec` is an
identity layer whose config records what is needed to cut windows from a
new series. Both have no weights: the numbers live in their configs, so a
`.keras` file holds them and loads in safe mode.
"""

import numbers

import keras
import numpy as np
from keras import ops

from keras_seqlab.layers.stepping import PointwiseStep
from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.validation import check_choice
from keras_seqlab.utils.validation import check_finite_float
from keras_seqlab.utils.validation import check_units

HEADS = ("many_to_one", "seq_to_vector", "seq_to_seq")


def _floats(owner, name, values):
    try:
        array = np.asarray(values, dtype="float64").reshape(-1)
    except (TypeError, ValueError):
        array = None
    if array is None or not array.size or not np.isfinite(array).all():
        raise ValueError(
            f"{owner}: `{name}` must be a non-empty list of finite numbers, "
            f"got {values!r}."
        )
    return array


@seqlab_export
class Rescale(PointwiseStep, keras.layers.Layer):
    """y = x * scale + offset, per column of axis `axis`; no weights.

    `scale` and `offset` are lists of one number per column (or one number
    for all). `Rescale.inputs_of(scaler)` maps raw inputs to the scaled
    units a model was trained on, `Rescale.outputs_of(scaler, columns)`
    maps its forecasts of `columns` back to the original units.

    Args:
        scale: non-zero finite numbers.
        offset: finite numbers, as many as `scale`.
        axis: the axis the columns run along (-1; -2 for the target axis of
            quantile forecasts of several targets).
    """

    def __init__(self, scale, offset, axis=-1, **kwargs):
        super().__init__(**kwargs)
        owner = self.__class__.__name__
        scale = _floats(owner, "scale", scale)
        offset = _floats(owner, "offset", offset)
        if scale.shape != offset.shape or not np.all(scale != 0):
            raise ValueError(
                f"{owner}: `scale` ({scale.size}) and `offset` "
                f"({offset.size}) must have the same length and `scale` no "
                "zero."
            )
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise ValueError(f"{owner}: `axis` must be an int, got {axis!r}.")
        self.scale = scale.tolist()
        self.offset = offset.tolist()
        self.axis = int(axis)
        self.supports_masking = True

    @classmethod
    def inputs_of(cls, scaler, **kwargs):
        """(x - center) / scale of a fitted `keras_seqlab.Scaler`."""
        center = np.atleast_1d(scaler.center)
        scale = np.atleast_1d(scaler.scale)
        return cls(1.0 / scale, -center / scale, **kwargs)

    @classmethod
    def outputs_of(cls, scaler, columns, **kwargs):
        """y * scale + center of the scaler's `columns` (ints)."""
        center = np.atleast_1d(scaler.center)[list(columns)]
        scale = np.atleast_1d(scaler.scale)[list(columns)]
        return cls(scale, center, **kwargs)

    def _shaped(self, values, rank, dtype):
        shape = [1] * rank
        if len(values) > 1:
            shape[self.axis] = len(values)
        return ops.reshape(ops.convert_to_tensor(values, dtype), shape)

    def call(self, inputs):
        rank = len(inputs.shape)
        scale = self._shaped(self.scale, rank, inputs.dtype)
        offset = self._shaped(self.offset, rank, inputs.dtype)
        return inputs * scale + offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"scale": self.scale, "offset": self.offset}
        return {**super().get_config(), **config, "axis": self.axis}


@seqlab_export
class ForecastSpec(PointwiseStep, keras.layers.Layer):
    """Identity layer that records how to feed a forecaster.

    It is the first layer of every forecaster this package saves
    (`keras_seqlab.forecaster`); `keras_seqlab.forecaster_spec(model)`
    reads it back.

    Args:
        columns: the input columns, in the order of the input features.
        target: the forecast column (one of `columns`, or a column that is
            not an input).
        window: the input window length.
        horizon: the steps forecast from one window.
        head: `"many_to_one"`, `"seq_to_vector"` or `"seq_to_seq"`.
        date_column: the series' date column, if it has one.
        freq: the step between rows in days (a finite number), if known.
        quantiles: the forecast quantiles, or None for point forecasts.
        panel: for a forecaster of many series (a long table), a dict of
            the table's roles: `id_column`, `static_columns`,
            `future_columns`, `calendar` and `known_columns` (the
            known-future inputs: the future columns, then the calendar
            codes; the last of `columns`); None for one series.
    """

    def __init__(
        self,
        columns,
        target,
        window,
        horizon,
        head,
        date_column=None,
        freq=None,
        quantiles=None,
        panel=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        owner = self.__class__.__name__
        if panel is not None and not isinstance(panel, dict):
            raise ValueError(f"{owner}: `panel` must be a dict, got {panel!r}.")
        self.panel = None if panel is None else dict(panel)
        if isinstance(columns, str) or not all(
            isinstance(c, str) for c in columns
        ):
            raise ValueError(
                f"{owner}: `columns` must be a list of column names, got "
                f"{columns!r}."
            )
        self.columns = list(columns)
        if not self.columns:
            raise ValueError(f"{owner}: `columns` names no column.")
        if not isinstance(target, str):
            raise ValueError(
                f"{owner}: `target` must be a column name, got {target!r}."
            )
        self.target = target
        self.window = check_units(owner, window, "window")
        self.horizon = check_units(owner, horizon, "horizon")
        self.head = check_choice(owner, "head", head, HEADS)
        self.date_column = date_column
        if freq is not None:
            freq = check_finite_float(owner, "freq", freq)
        self.freq = freq
        self.quantiles = None if quantiles is None else list(quantiles)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {
            "columns": self.columns,
            "target": self.target,
            "window": self.window,
            "horizon": self.horizon,
            "head": self.head,
            "date_column": self.date_column,
            "freq": self.freq,
            "quantiles": self.quantiles,
            "panel": self.panel,
        }
        return {**super().get_config(), **config}


def window_statistics(windows, index=0):
    """Each window's own center and scale of column `index`.

    For windows `x` of shape `(B, T, k)`: c = mean_t x[:, t, index] and
    s = std_t x[:, t, index] (population), with s = 1 where s <= 1e-6
    (a flat window is centered, not divided by zero); both `(B, 1)`. The
    one formula of window scaling: `WindowStandardize` calls it in the
    graph, and the panel training calls it on a batch's numpy windows to
    scale the targets alike.
    """
    column = ops.convert_to_tensor(windows[:, :, index])
    center = ops.mean(column, axis=1, keepdims=True)
    spread = ops.sqrt(
        ops.mean(ops.square(column - center), axis=1, keepdims=True)
    )
    scale = ops.where(spread > 1e-6, spread, ops.ones_like(spread))
    return center, scale


@seqlab_export
class WindowStandardize(keras.layers.Layer):
    """Standardizes one column of each window by the window's own statistics.

    For windows `x` `(B, T, k)` and c, s = `window_statistics(x, index)`:

        out[:, t, index] = (x[:, t, index] - c) / s,

    the other columns unchanged. Returns `[out, c, s]`; `Unstandardize`
    maps forecasts back with the same c and s. This is the per-series
    scaling of the panel forecasters: each series is scaled by its own
    recent history (the window before the forecast), so nothing after the
    window is used, and a series never seen in training is scaled by its
    own values (the rule of neuralforecast's windows models,
    `TemporalNorm`, and of RevIN without its affine weights). No weights.

    Args:
        index: the column to standardize (the target's).
    """

    def __init__(self, index=0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise ValueError(
                f"WindowStandardize: `index` must be an int, got {index!r}."
            )
        self.index = int(index)

    def call(self, inputs):
        center, scale = window_statistics(inputs, self.index)
        k = inputs.shape[-1]
        mask = ops.reshape(
            ops.one_hot(self.index, k, dtype=inputs.dtype), (1, 1, k)
        )
        scaled = (inputs - center[:, :, None]) / scale[:, :, None]
        return [inputs * (1.0 - mask) + scaled * mask, center, scale]

    def compute_output_shape(self, input_shape):
        stat = (input_shape[0], 1)
        return [input_shape, stat, stat]

    def get_config(self):
        return {**super().get_config(), "index": self.index}


@seqlab_export
class Unstandardize(keras.layers.Layer):
    """`y * s + c` per sample: forecasts back to the original units.

    Takes `[y, c, s]` with `y` `(B, H)` or `(B, H, Q)` and the `(B, 1)`
    center and scale of `WindowStandardize`. No weights.
    """

    def call(self, inputs):
        y, center, scale = inputs
        shape = (-1,) + (1,) * (len(y.shape) - 1)
        return y * ops.reshape(scale, shape) + ops.reshape(center, shape)

    def compute_output_shape(self, input_shape):
        return input_shape[0]
