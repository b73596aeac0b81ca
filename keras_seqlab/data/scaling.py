"""Per-column standard or min-max scaling, fit on the training split."""

import numbers

import numpy as np

from keras_seqlab.utils.export import seqlab_export
from keras_seqlab.utils.validation import check_choice

SCALER_KINDS = ("standard", "minmax")


@seqlab_export
class Scaler:
    """Per-column standard or min-max scaling, fit on the training split.

    `transform(x) = (x - center) / scale` over the last axis (one column
    per feature; a 1-D series is one column):

    - `kind="standard"`: center = mean, scale = standard deviation;
    - `kind="minmax"`: maps each column's [min, max] onto `feature_range`.

    A constant column gets scale 1 (it maps to 0, or to the range's low
    end). Fit on the training segment only; `inverse_transform` brings
    predictions back to the original units. Scale the series, then window
    it: transforming windows would copy every one of them. The fitted
    state is part of the config, so `keras.saving.serialize_keras_object`
    round-trips it.

    Args:
        kind: `"standard"` or `"minmax"`.
        feature_range: `(low, high)` for min-max scaling.
        center: fitted centers (set by `fit`; given when restoring).
        scale: fitted scales (set by `fit`; given when restoring).

    Example:

    >>> train = np.array([[0.0, 10.0], [2.0, 30.0]])
    >>> scaler = Scaler("minmax").fit(train)
    >>> scaler.transform(np.array([[1.0, 20.0]])).tolist()
    [[0.5, 0.5]]
    >>> scaler.inverse_transform(np.array([0.5, 1.0]), columns=1).tolist()
    [20.0, 30.0]
    """

    def __init__(
        self,
        kind="standard",
        feature_range=(0.0, 1.0),
        center=None,
        scale=None,
    ):
        self.kind = check_choice("Scaler", "kind", kind, SCALER_KINDS)
        low, high = _check_range(feature_range)
        self.feature_range = (low, high)
        self.center, self.scale = _check_state(center, scale)

    @property
    def fitted(self):
        return self.center is not None

    def fit(self, data):
        """Computes the per-column statistics of `data`; returns `self`.

        Args:
            data: `(steps,)` or `(..., columns)`; statistics over every
                axis but the last (a 1-D series is one column).
        """
        array = _numeric("Scaler.fit", data)
        axes = 0 if array.ndim == 1 else tuple(range(array.ndim - 1))
        if self.kind == "standard":
            center = array.mean(axis=axes, dtype="f8")
            scale = array.std(axis=axes, dtype="f8")
        else:
            low, high = self.feature_range
            lowest = array.min(axis=axes).astype("f8")
            scale = (array.max(axis=axes) - lowest) / (high - low)
            center = lowest - low * np.where(scale == 0, 1.0, scale)
        self.center = np.asarray(center, "f8")
        self.scale = np.where(scale == 0, 1.0, scale).astype("f8")
        return self

    def transform(self, data, columns=None):
        """`(data - center) / scale`, per column of the last axis.

        Args:
            data: array whose last axis holds the fitted columns, or only
                `columns` of them.
            columns: None (all fitted columns), one index (`data` is one
                column, any shape) or a list of indices.

        Returns:
            The scaled array; float32 stays float32, ints become float64.
        """
        array, center, scale = self._prepare("transform", data, columns)
        return (array - center) / scale

    def inverse_transform(self, data, columns=None):
        """`data * scale + center`: back to the original units.

        Args:
            data, columns: as in `transform`, e.g. `columns=3` for the
                `(N, H)` predictions of target column 3.

        Returns:
            The array in original units.
        """
        array, center, scale = self._prepare("inverse_transform", data, columns)
        return array * scale + center

    def fit_transform(self, data):
        """`fit(data)` then `transform(data)`."""
        return self.fit(data).transform(data)

    def _prepare(self, method, data, columns):
        owner = f"Scaler.{method}"
        if not self.fitted:
            raise ValueError(f"{owner}: the scaler is not fitted; call fit.")
        array = _numeric(owner, data, finite=False)
        dtype = np.result_type(array.dtype, np.float32)
        center, scale = self.center, self.scale
        if columns is not None:
            index = _scaler_columns(owner, columns, center)
            center, scale = center[index], scale[index]
            if center.ndim and array.shape[-1:] != center.shape:
                raise ValueError(
                    f"{owner}: `columns` names {center.size} column(s), "
                    f"the data's last axis has shape {array.shape}."
                )
        elif center.ndim and array.shape[-1:] != center.shape:
            raise ValueError(
                f"{owner}: expected {center.shape[0]} column(s) on the last "
                f"axis, got shape {array.shape}; pass `columns=` to scale "
                "some of them."
            )
        array = array.astype(dtype, copy=False)
        return array, center.astype(dtype), scale.astype(dtype)

    def get_config(self):
        return {
            "kind": self.kind,
            "feature_range": list(self.feature_range),
            "center": None if self.center is None else self.center.tolist(),
            "scale": None if self.scale is None else self.scale.tolist(),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        state = "fitted" if self.fitted else "not fitted"
        return f"Scaler(kind={self.kind!r}, {state})"


def _check_state(center, scale):
    """Fitted statistics given to `Scaler`: both or neither, same shape."""
    if center is None and scale is None:
        return None, None
    if center is None or scale is None:
        raise ValueError("Scaler: pass both `center` and `scale` or neither.")
    center, scale = np.asarray(center, "f8"), np.asarray(scale, "f8")
    if center.shape != scale.shape or not (scale > 0).all():
        raise ValueError(
            "Scaler: `center` and `scale` must have one shape and positive "
            f"scales, got {center.tolist()!r} and {scale.tolist()!r}."
        )
    return center, scale


def _check_range(feature_range):
    try:
        low, high = (float(v) for v in feature_range)
    except (TypeError, ValueError):
        low = high = None
    if low is None or not low < high:
        raise ValueError(
            "Scaler: `feature_range` must be a pair (low, high) with "
            f"low < high, got {feature_range!r}."
        )
    return low, high


def _numeric(owner, data, finite=True):
    array = np.asarray(data)
    if array.dtype.kind not in "biuf" or array.ndim == 0 or not array.size:
        raise ValueError(
            f"{owner}: expected a non-empty numeric array, got dtype "
            f"{array.dtype} and shape {array.shape}."
        )
    if finite and array.dtype.kind == "f":
        if not (np.isfinite(array.min()) and np.isfinite(array.max())):
            raise ValueError(
                f"{owner}: `data` contains NaN or infinite values; fit on "
                "clean data."
            )
    return array


def _scaler_columns(owner, columns, center):
    n = center.size if center.ndim else 1
    items = [columns] if isinstance(columns, numbers.Integral) else columns
    for item in items:
        if isinstance(item, bool) or not isinstance(item, numbers.Integral):
            raise ValueError(f"{owner}: bad column {item!r} in `columns`.")
        if not -n <= item < n:
            raise ValueError(
                f"{owner}: column {item!r} is out of range for a scaler "
                f"fitted on {n} column(s)."
            )
    if not center.ndim:
        return ()
    return columns if isinstance(columns, numbers.Integral) else list(columns)
