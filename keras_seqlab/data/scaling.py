"""Per-column standard or min-max scaling, fit on the training split."""

import math
import numbers

import numpy as np

from keras_seqlab.data.series import named
from keras_seqlab.data.series import rebuild
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
        names: the fitted columns' names (set by `fit` on a `SeriesData`
            or a DataFrame, so that `columns=` may name them; given when
            restoring), or None.

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
        names=None,
    ):
        self.kind = check_choice("Scaler", "kind", kind, SCALER_KINDS)
        low, high = _check_range(feature_range)
        self.feature_range = (low, high)
        self.center, self.scale = _check_state(center, scale)
        self.names = _check_names(names, self.center)

    @property
    def fitted(self):
        return self.center is not None

    def fit(self, data):
        """Computes the per-column statistics of `data`; returns `self`.

        Args:
            data: `(steps,)` or `(..., columns)`; statistics over every
                axis but the last (a 1-D series is one column). A
                `SeriesData` (its values) or a pandas DataFrame (its
                numeric columns) or Series; their column names are kept
                in `names`.
        """
        found = named("Scaler.fit", data)
        array = _numeric("Scaler.fit", found.values)
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
        self.names = _check_names(found.columns, self.center)
        return self

    def transform(self, data, columns=None):
        """`(data - center) / scale`, per column of the last axis.

        Args:
            data: array whose last axis holds the fitted columns, or only
                `columns` of them; or a `SeriesData` or a pandas DataFrame
                / Series (whose names select the columns when the scaler
                was fit on named data).
            columns: None (all fitted columns, or those `data` names), one
                index or name (`data` is one column, any shape) or a list
                of them; names need a scaler fit on named data.

        Returns:
            The scaled array; float32 stays float32, ints become float64.
            A `SeriesData` in gives a `SeriesData`, a DataFrame (Series) a
            DataFrame (Series) with the same index and columns.
        """
        found, array, center, scale = self._prepare("transform", data, columns)
        return rebuild(data, found, (array - center) / scale)

    def inverse_transform(self, data, columns=None):
        """`data * scale + center`: back to the original units.

        Args:
            data, columns: as in `transform`, e.g. `columns=3` (or
                `columns="BASEL_temp_mean"`) for the `(N, H)` predictions
                of target column 3.

        Returns:
            The array (or `SeriesData`, DataFrame) in original units.
        """
        owner = "inverse_transform"
        found, array, center, scale = self._prepare(owner, data, columns)
        return rebuild(data, found, array * scale + center)

    def fit_transform(self, data):
        """`fit(data)` then `transform(data)`."""
        return self.fit(data).transform(data)

    def _prepare(self, method, data, columns):
        owner = f"Scaler.{method}"
        if not self.fitted:
            raise ValueError(f"{owner}: the scaler is not fitted; call fit.")
        found = named(owner, data)
        array = _numeric(owner, found.values, finite=False)
        dtype = np.result_type(array.dtype, np.float32)
        center, scale = self.center, self.scale
        columns = self._by_name(owner, found.columns, columns)
        if columns is not None:
            index = _scaler_columns(owner, columns, center, self.names)
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
        return found, array, center.astype(dtype), scale.astype(dtype)

    def _by_name(self, owner, given, columns):
        """`columns`, or the names named data brings, checked alike."""
        if given is None or self.names is None:
            return columns
        if columns is None:
            return list(given) if len(given) > 1 else given[0]
        index = _scaler_columns(owner, columns, self.center, self.names)
        index = [index] if isinstance(index, int) else list(index)
        chosen = [self.names[i] for i in index] if index else self.names
        if list(chosen) != list(given):
            raise ValueError(
                f"{owner}: `columns` selects {list(chosen)!r}, the data's "
                f"columns are {list(given)!r}."
            )
        return columns

    def get_config(self):
        return {
            "kind": self.kind,
            "feature_range": list(self.feature_range),
            "center": None if self.center is None else self.center.tolist(),
            "scale": None if self.scale is None else self.scale.tolist(),
            "names": None if self.names is None else list(self.names),
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
    """`(low, high)` as floats: two finite numbers, low < high, and a
    finite width high - low (the scale divides by it)."""
    try:
        pair = tuple(feature_range)
    except TypeError:
        pair = ()
    numbers_only = len(pair) == 2 and all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) for v in pair
    )
    low, high = (float(v) for v in pair) if numbers_only else (0.0, 0.0)
    if not (
        numbers_only
        and math.isfinite(low)
        and math.isfinite(high)
        and low < high
        and math.isfinite(high - low)
    ):
        raise ValueError(
            "Scaler: `feature_range` must be a pair of finite numbers "
            f"(low, high) with low < high, got {feature_range!r}."
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


def _check_names(names, center):
    """The fitted columns' names as a tuple of str, or None."""
    if names is None:
        return None
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise ValueError(
            f"Scaler: `names` must be a list of column names (str), got "
            f"{names!r}."
        )
    n = 1 if center is None or not center.ndim else center.size
    if center is None or len(names) != n:
        raise ValueError(
            f"Scaler: `names` {list(names)!r} must name the {n} fitted "
            "column(s) (and needs `center` and `scale`)."
        )
    return tuple(names)


def _scaler_column(owner, item, names):
    """A column name as its index among `names`; an index is kept."""
    if not isinstance(item, str):
        return item
    if names is None:
        raise ValueError(
            f"{owner}: column {item!r} is a name, but the scaler was fit "
            "on an array without column names; pass an index, or fit on "
            "a SeriesData or a DataFrame."
        )
    if item not in names:
        raise ValueError(
            f"{owner}: unknown column {item!r}; the scaler was fit on "
            f"{', '.join(repr(n) for n in names)}."
        )
    return names.index(item)


def _scaler_columns(owner, columns, center, names=None):
    n = center.size if center.ndim else 1
    if isinstance(columns, (str, numbers.Number)):
        columns = _scaler_column(owner, columns, names)
        items = [columns]
    else:
        columns = [_scaler_column(owner, c, names) for c in columns]
        items = columns
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
