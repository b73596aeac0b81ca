"""What the data functions accept: arrays, `SeriesData`, pandas objects.

`make_windows`, `WindowedSeries`, `temporal_split` and `Scaler` take a
numpy array (or anything `numpy.asarray` reads), a `SeriesData` (from
`load_weather` / `load_csv`) or a pandas `DataFrame` / `Series`. Here they
become `Named`: the values as a numpy array, the column names (or None) and
the default target column(s). pandas is optional: it is imported only when
a pandas object comes in, recognized by its type's module, never at import.

A DataFrame's index (a `DatetimeIndex`, say) is not an input, and neither
is a datetime column: both are left out of the values (and kept by
`Scaler.transform`, which returns a DataFrame). Any other non-numeric
column is an error that names it.
"""

import dataclasses

import numpy as np

from keras_seqlab.data.datasets import SeriesData
from keras_seqlab.data.order import date_order


@dataclasses.dataclass(frozen=True)
class Named:
    """Values with their column names, as the data functions use them.

    Attributes:
        values: the numeric values (a numpy array; a `SeriesData`'s own
            array, never copied).
        columns: tuple of the column names (str), or None for an array.
        targets: the default target column(s) (a `SeriesData`'s `targets`),
            or None.
        dates: the names of a DataFrame's datetime columns, left out of
            `values`.
        positions: for a DataFrame, the positions of the columns in
            `values` among all its columns; None otherwise.
    """

    values: np.ndarray
    columns: tuple | None = None
    targets: object = None
    dates: tuple = ()
    positions: tuple | None = None


def pandas_kind(data):
    """`"DataFrame"` or `"Series"` for a pandas object, else None.

    Reads the type's module and name: pandas is not imported.
    """
    for base in type(data).__mro__:
        module = base.__module__.split(".")[0]
        if module == "pandas" and base.__name__ in ("DataFrame", "Series"):
            return base.__name__
    return None


def is_named(data):
    """True for a `SeriesData` or a pandas DataFrame or Series."""
    return isinstance(data, SeriesData) or pandas_kind(data) is not None


def _is_date_dtype(dtype):
    kind = getattr(dtype, "kind", None)
    return kind == "M" or type(dtype).__name__ in (
        "DatetimeTZDtype",
        "PeriodDtype",
    )


def _is_numeric_dtype(dtype):
    """numpy's bool, int, uint and float, and pandas' nullable ones."""
    if isinstance(dtype, np.dtype):
        return dtype.kind in "biuf"
    return getattr(dtype, "kind", None) in ("b", "i", "u", "f")


def _frame_values(owner, frame):
    """The numeric columns of a DataFrame as a `(rows, k)` array."""
    dtypes = list(frame.dtypes)
    dates = [i for i, d in enumerate(dtypes) if _is_date_dtype(d)]
    bad = [
        f"{frame.columns[i]!r} ({d})"
        for i, d in enumerate(dtypes)
        if i not in dates and not _is_numeric_dtype(d)
    ]
    if bad:
        raise TypeError(
            f"{owner}: `data` must have numeric columns only (datetime "
            f"columns and the index are left out), got non-numeric "
            f"column(s) {', '.join(bad)}; drop or encode them, or parse "
            "dates (e.g. `pandas.to_datetime`) or make them the index."
        )
    positions = tuple(i for i in range(len(dtypes)) if i not in dates)
    if not positions:
        raise ValueError(
            f"{owner}: the DataFrame has no numeric column (columns: "
            f"{list(frame.columns)!r})."
        )
    numeric = frame.iloc[:, list(positions)] if dates else frame
    if all(isinstance(d, np.dtype) for d in numeric.dtypes):
        values = numeric.to_numpy()
    else:  # nullable dtypes: a missing value becomes NaN, seen later
        values = numeric.to_numpy(dtype="float64", na_value=np.nan)
    names = tuple(str(name) for name in numeric.columns)
    dates = tuple(str(frame.columns[i]) for i in dates)
    return Named(values, names, None, dates, positions)


def _series_values(owner, series):
    dtype = series.dtype
    if not _is_numeric_dtype(dtype):
        raise TypeError(
            f"{owner}: `data` must be a numeric Series, got "
            f"{series.name!r} of dtype {dtype}."
        )
    if isinstance(dtype, np.dtype):
        values = series.to_numpy()
    else:
        values = series.to_numpy(dtype="float64", na_value=np.nan)
    names = None if series.name is None else (str(series.name),)
    return Named(values, names)


def named(owner, data):
    """`data` as `Named`; an array (or array-like) is passed through.

    Raises:
        TypeError: naming `owner`, for a DataFrame with non-numeric
            columns or a non-numeric Series.
    """
    if isinstance(data, SeriesData):
        return Named(data.values, tuple(data.columns), data.targets)
    kind = pandas_kind(data)
    if kind == "DataFrame":
        return _frame_values(owner, data)
    if kind == "Series":
        return _series_values(owner, data)
    return Named(data)


def resolve(owner, data, targets, inputs, columns):
    """`(values, targets, columns)` for `make_windows` and `WindowedSeries`.

    For named data the names come from the data (a `columns=` that
    disagrees is an error) and `targets=None` means the data's own
    targets (a `SeriesData`'s).
    """
    found = named(owner, data)
    if found.columns is None:
        return found.values, targets, columns
    if columns is not None and [str(c) for c in columns] != list(found.columns):
        raise ValueError(
            f"{owner}: `columns` {list(columns)!r} differs from the names "
            f"the data carries, {list(found.columns)!r}; leave `columns` "
            "out for a SeriesData or a pandas object."
        )
    for role, spec in (("target", targets), ("input", inputs)):
        items = spec if isinstance(spec, (list, tuple)) else [spec]
        for item in items:
            if isinstance(item, str) and item in found.dates:
                raise ValueError(
                    f"{owner}: {role} column {item!r} is a date column; "
                    "dates are not inputs or targets (the columns are "
                    f"{', '.join(repr(c) for c in found.columns)})."
                )
    if targets is None:
        targets = found.targets
    return found.values, targets, found.columns


def with_rows(owner, data):
    """`(data, rows)` for `temporal_split`: named data as it is, anything
    else as a numpy array, and its length along the first axis.

    Raises:
        ValueError: naming `owner` and the value, for a scalar (a number,
            a string, None, a 0-d array): it has no rows to split.
    """
    if isinstance(data, SeriesData):
        return data, len(data.values)
    if pandas_kind(data) is not None:
        return data, len(data)
    array = np.asarray(data)
    if not array.ndim:
        raise ValueError(
            f"{owner}: expected an array with a first axis, a SeriesData "
            f"or a pandas object, got the scalar {data!r} (type "
            f"{type(data).__name__})."
        )
    return array, len(array)


def slice_rows(data, start, stop):
    """Rows [start, stop) of `data`, the same kind of object.

    A `SeriesData` keeps its names and targets, its values and dates are
    sliced alike (views); a pandas object is sliced with `iloc`; anything
    else is a view of `numpy.asarray(data)`.
    """
    if isinstance(data, SeriesData):
        dates = None if data.dates is None else data.dates[start:stop]
        return dataclasses.replace(
            data, values=data.values[start:stop], dates=dates
        )
    if pandas_kind(data) is not None:
        return data.iloc[start:stop]
    return np.asarray(data)[start:stop]


def rebuild(original, found, values):
    """`values` in the form of `original` (the input a `Named` came from).

    A `SeriesData` gets new `values`; a DataFrame keeps its index, columns
    (datetime columns untouched) and the new values in its numeric
    columns; a Series keeps its index and name; an array stays an array.
    """
    if isinstance(original, SeriesData):
        return dataclasses.replace(original, values=values)
    kind = pandas_kind(original)
    if kind == "Series":
        return type(original)(values, index=original.index, name=original.name)
    if kind == "DataFrame":
        out = original.copy()
        for column, position in enumerate(found.positions):
            out.isetitem(position, values[:, column])
        return out
    return values


def select(owner, data, columns, date_column=None):
    """`(values, dates)`: the named `columns` of `data`, in that order.

    `data` is a `SeriesData`, a DataFrame or Series, or an array whose
    columns are `columns` already (a 1-D array for one column). `dates`
    (`datetime64[D]`) come from a `SeriesData`, a DataFrame's
    `date_column` or its datetime index; None otherwise. Rows with dates
    are put in date order (`data.order.date_order`: a `RowsSorted`
    warning when they were not; a repeated date is an error).

    Raises:
        ValueError: naming `owner`: missing columns, an array of another
            width, a repeated or empty date.
    """
    columns = list(columns)
    found = named(owner, data)
    if found.columns is None:
        values = np.asarray(data, dtype="float64")
        if values.ndim == 1 and len(columns) == 1:
            values = values[:, None]
        if values.ndim != 2 or values.shape[1] != len(columns):
            raise ValueError(
                f"{owner}: expected an array (rows, {len(columns)}) for the "
                f"columns {columns}, got shape {values.shape}."
            )
        return values, None
    missing = [c for c in columns if c not in found.columns]
    if missing:
        raise ValueError(
            f"{owner}: the data lack the column(s) {missing}; they have "
            f"{list(found.columns)}."
        )
    index = [found.columns.index(c) for c in columns]
    values = np.asarray(found.values, dtype="float64")[:, index]
    dates = _dates(data, date_column)
    # Checked at the dates' own resolution (hourly rows are distinct).
    order = date_order(owner, dates, "the data")
    if order is not None:
        values, dates = values[order], dates[order]
    if dates is not None:
        dates = dates.astype("datetime64[D]")
    return values, dates


def _dates(data, date_column):
    if isinstance(data, SeriesData):
        return data.dates
    if pandas_kind(data) != "DataFrame":
        return None
    if date_column is not None and date_column in data.columns:
        return np.asarray(data[date_column].to_numpy(), dtype="datetime64")
    if "datetime" in str(getattr(data.index, "dtype", "")):
        return np.asarray(data.index.to_numpy(), dtype="datetime64")
    return None
