"""Series to learn from: the weather data and CSV files.

(The textbook's generator, `synthetic_series`, is in
`keras_seqlab.data.synthetic`.)

- `load_weather`: the light *Weather prediction dataset* (Huber et al.,
  Zenodo, doi 10.5281/zenodo.4770936, CC-BY 4.0; see `data/ATTRIBUTION.md`),
  bundled with the package: daily observations for 11 European locations,
  2000-01-01 to 2010-01-01.
- `load_csv`: a user's own file, read with the `csv` module and numpy.

The loaders return a `SeriesData`: a `(rows, columns)` numpy array, the
column names, the dates (`datetime64[D]`) and the target column index(es),
ready for `keras_seqlab.make_windows`.
"""

import csv
import dataclasses
import functools
import importlib.resources
import os
import pathlib

import numpy as np

# Re-exported: `keras_seqlab.datasets.synthetic_series` is public API.
from keras_seqlab.data.synthetic import synthetic_series  # noqa: F401

WEATHER_FILE = "weather_prediction_dataset_light.csv"
WEATHER_LOCATIONS = (
    "BASEL",
    "DE_BILT",
    "DRESDEN",
    "DUSSELDORF",
    "HEATHROW",
    "KASSEL",
    "MAASTRICHT",
    "MALMO",
    "MUENCHEN",
    "SONNBLICK",
    "TOURS",
)
WEATHER_FEATURES = (
    "cloud_cover",
    "humidity",
    "pressure",
    "global_radiation",
    "precipitation",
    "sunshine",
    "temp_mean",
    "temp_min",
    "temp_max",
)


# -- what the loaders return ---------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class SeriesData:
    """A loaded series: values, column names, dates, target columns.

    Attributes:
        values: `(rows, columns)` array (float32 by default).
        columns: tuple of the column names, one per column of `values`.
        dates: `datetime64[D]` array of shape `(rows,)`, or None.
        targets: the target column's index in `values` (an int), a tuple
            of indices for several targets, or None; pass it as
            `make_windows(data.values, ..., targets=data.targets)`.
        source: where the data came from (a path), for messages.
    """

    values: np.ndarray
    columns: tuple
    dates: np.ndarray | None = None
    targets: int | tuple | None = None
    source: str = ""

    def column(self, name):
        """The values of column `name`, a `(rows,)` view."""
        if name not in self.columns:
            raise KeyError(
                f"SeriesData: no column {name!r}; the columns are "
                f"{', '.join(repr(c) for c in self.columns)}."
            )
        return self.values[:, self.columns.index(name)]

    def __len__(self):
        return len(self.values)


# -- reading CSV ---------------------------------------------------------------


@dataclasses.dataclass
class _Table:
    """A CSV file as strings: header, data rows and their line numbers."""

    header: list
    rows: list
    lines: list
    source: str
    fields: list = dataclasses.field(default_factory=list)  # by column


def _open(owner, path):
    """`path` (str, PathLike or an importlib.resources file) opened as text."""
    if isinstance(path, (str, os.PathLike)):
        path = pathlib.Path(path)
    try:
        return path.open("r", encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise FileNotFoundError(f"{owner}: no such file: {path}") from None


def _read_table(owner, path):
    """The file as strings; blank lines are skipped."""
    header, rows, lines = None, [], []
    with _open(owner, path) as handle:
        reader = csv.reader(handle, strict=True)
        try:
            for fields in reader:
                if not fields:
                    continue
                if header is None:
                    header = [name.strip() for name in fields]
                else:
                    rows.append(fields)
                    lines.append(reader.line_num)
        except (csv.Error, UnicodeDecodeError) as error:
            raise ValueError(
                f"{owner}: cannot read line {reader.line_num} of {path} "
                f"as CSV: {error}"
            ) from None
    table = _Table(header, rows, lines, str(path))
    _check_table(owner, table)
    table.fields = list(zip(*rows))
    return table


def _check_table(owner, table):
    if table.header is None:
        raise ValueError(f"{owner}: {table.source} is empty (no header row).")
    if not table.rows:
        raise ValueError(f"{owner}: {table.source} has a header but no data.")
    width = len(table.header)
    for fields, line in zip(table.rows, table.lines):
        if len(fields) != width:
            raise ValueError(
                f"{owner}: line {line} of {table.source} has {len(fields)} "
                f"fields, the header has {width}."
            )


def _position(owner, table, name, role):
    """The index of column `name` in the header; lists them if missing."""
    if not isinstance(name, str):
        raise ValueError(
            f"{owner}: {role} must be a column name (str), got {name!r}."
        )
    found = [i for i, h in enumerate(table.header) if h == name]
    if not found:
        raise ValueError(
            f"{owner}: {role} {name!r} not found in {table.source}; its "
            f"columns are {', '.join(repr(h) for h in table.header)}."
        )
    if len(found) > 1:
        raise ValueError(
            f"{owner}: {table.source} has {len(found)} columns named {name!r}."
        )
    return found[0]


def _where(table, row, name):
    return (
        f"line {table.lines[row]} of {table.source} (data row {row}), "
        f"column {name!r}"
    )


def _numbers(owner, table, index, name):
    """Column `index` as float64; names the file, line and column if bad."""
    strings = table.fields[index]
    try:
        values = np.array(strings, dtype=np.float64)
    except ValueError:
        values = None
    if values is None:
        values = np.array(
            [
                _number(owner, table, row, name, text)
                for row, text in enumerate(strings)
            ]
        )
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        row = int(bad[0])
        kind = "NaN" if np.isnan(values[row]) else "an infinite value"
        raise ValueError(
            f"{owner}: {kind} ({strings[row].strip()!r}) at "
            f"{_where(table, row, name)}; clean or impute the file first."
        )
    return values


def _number(owner, table, row, name, text):
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        what = "an empty cell" if not text else f"non-numeric value {text!r}"
        raise ValueError(
            f"{owner}: {what} at {_where(table, row, name)}."
        ) from None


def _iso_date(text):
    """yyyymmdd to yyyy-mm-dd; anything else is left to numpy."""
    if len(text) == 8 and text.isdigit():
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return text


def _dates(owner, table, index, name):
    """Column `index` as `datetime64[D]` (ISO dates or yyyymmdd)."""
    strings = [_iso_date(text.strip()) for text in table.fields[index]]
    try:
        dates = np.array(strings, dtype="datetime64[D]")
        if not np.isnat(dates).any():
            return dates
    except (TypeError, ValueError):
        pass
    dates = [
        _date(owner, table, row, name, text) for row, text in enumerate(strings)
    ]
    return np.array(dates, dtype="datetime64[D]")


def _date(owner, table, row, name, text):
    try:
        date = np.datetime64(text, "D")
    except (TypeError, ValueError):
        date = None
    if date is None or np.isnat(date):
        what = "an empty cell" if not text else f"{text!r}"
        raise ValueError(
            f"{owner}: {what} is not a date (yyyy-mm-dd or yyyymmdd) at "
            f"{_where(table, row, name)}."
        )
    return date


def _names(value):
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _selection(owner, table, columns, target, date_index):
    """The column names to load (targets appended) and the target names."""
    if columns is None:
        columns = [h for i, h in enumerate(table.header) if i != date_index]
    columns = _names(columns)
    targets = _names(target) or []
    for name in targets:
        _position(owner, table, name, "target")
    columns += [name for name in targets if name not in columns]
    if not columns:
        raise ValueError(f"{owner}: no column selected in {table.source}.")
    return columns, targets


def _series_data(owner, table, columns, target, date_column, dtype):
    """Selects and converts the columns of `table` into a `SeriesData`."""
    date_index = None
    if date_column is not None:
        date_index = _position(owner, table, date_column, "date_column")
    columns, targets = _selection(owner, table, columns, target, date_index)
    positions = [_position(owner, table, n, "column") for n in columns]
    values = np.column_stack(
        [_numbers(owner, table, p, n) for p, n in zip(positions, columns)]
    ).astype(dtype)
    dates = None
    if date_index is not None:
        dates = _dates(owner, table, date_index, date_column)
    index = tuple(columns.index(name) for name in targets)
    if isinstance(target, str):
        index = index[0]
    return SeriesData(
        values=values,
        columns=tuple(columns),
        dates=dates,
        targets=index if targets else None,
        source=table.source,
    )


def load_csv(
    path, target=None, columns=None, date_column=None, dtype="float32"
):
    """Reads a numeric CSV file (header row first) into a `SeriesData`.

    Only the `csv` module and numpy: no pandas. Quoted fields, CRLF line
    endings, a missing final newline and a UTF-8 byte-order mark are fine;
    blank lines are skipped.

    Args:
        path: the file (str or path-like).
        target: the target column name, or a list of names; added to the
            loaded columns if `columns` leaves it out. `SeriesData.targets`
            gives its index.
        columns: the column names to load, in this order; None for every
            column but `date_column`.
        date_column: the name of a date column (yyyy-mm-dd or yyyymmdd),
            parsed to `datetime64[D]` into `SeriesData.dates`.
        dtype: the dtype of `values`.

    Returns:
        A `SeriesData`.

    Raises:
        ValueError: a missing column (the message lists the file's
            columns), a non-numeric value, an empty cell, NaN or an
            infinite value, a row with the wrong number of fields, a bad
            date: each names the file, the line, the data row and the
            column.

    Example:

    >>> data = load_csv("daily-min-temperatures.csv", target="Temp",
    ...                 date_column="Date")  # doctest: +SKIP
    >>> data.values.shape, data.columns, data.targets  # doctest: +SKIP
    ((3650, 1), ('Temp',), 0)
    """
    table = _read_table("load_csv", path)
    return _series_data("load_csv", table, columns, target, date_column, dtype)


# -- the bundled weather data --------------------------------------------------


def weather_path():
    """The bundled CSV file, as an `importlib.resources` traversable."""
    return importlib.resources.files("keras_seqlab.data") / WEATHER_FILE


@functools.lru_cache(maxsize=1)
def _weather_table():
    """The bundled file, parsed once (strings only; arrays are made anew)."""
    return _read_table("load_weather", weather_path())


def _split_name(name):
    """('BASEL', 'temp_mean') for 'BASEL_temp_mean'; None for DATE, MONTH."""
    for location in WEATHER_LOCATIONS:
        feature = name[len(location) + 1 :]
        if name.startswith(location + "_") and feature in WEATHER_FEATURES:
            return location, feature
    return None


def _choose(owner, kind, requested, known):
    """Validated, normalized location or feature names (None: all)."""
    names = _names(requested)
    if names is None:
        return None
    normalize = str.upper if kind == "location" else str.lower
    chosen = [normalize(str(name)) for name in names]
    for name, original in zip(chosen, names):
        if name not in known:
            raise ValueError(
                f"{owner}: unknown {kind} {original!r}; the data set has "
                f"{', '.join(repr(k) for k in known)}."
            )
    return chosen


def _weather_columns(owner, header, locations, features):
    """Header names of the chosen locations and features, in file order."""
    locations = _choose(owner, "location", locations, WEATHER_LOCATIONS)
    features = _choose(owner, "feature", features, WEATHER_FEATURES)
    picked = []
    for name in header:
        parts = _split_name(name)
        if parts is None:
            continue
        if (locations is None or parts[0] in locations) and (
            features is None or parts[1] in features
        ):
            picked.append(name)
    for kind, wanted, part in (
        ("location", locations, 0),
        ("feature", features, 1),
    ):
        for name in wanted or ():
            if not any(_split_name(c)[part] == name for c in picked):
                raise ValueError(
                    f"{owner}: the selection has no column for {kind} "
                    f"{name!r} (locations {locations or 'all'}, features "
                    f"{features or 'all'})."
                )
    return picked


def load_weather(
    locations=None, features=None, columns=None, target=None, dtype="float32"
):
    """The light weather-prediction data set, bundled with the package.

    Daily observations, 2000-01-01 to 2010-01-01 (3654 days, no gaps), for
    11 European locations (`WEATHER_LOCATIONS`), 89 feature columns named
    `LOCATION_feature` (`WEATHER_FEATURES`; not every location has every
    feature). Units: sunshine in hours, temperatures in °C, humidity a
    fraction, pressure in 1000 hPa, global radiation in 100 W/m²,
    precipitation in cm, cloud cover in oktas.

    Source: Huber et al., *Weather prediction dataset*, Zenodo, doi
    10.5281/zenodo.4770936 (record 5071376), CC-BY 4.0, from ECA&D
    (Klein Tank et al. 2002). Cite it if you use it.

    Args:
        locations: a location name or a list of them (e.g. `"BASEL"`:
            all 9 `BASEL_` columns); None for all.
        features: a feature name or a list of them (e.g. `"temp_mean"`);
            None for all.
        columns: explicit column names instead of `locations`/`features`
            (`"MONTH"` is only available this way).
        target: the target column name(s), e.g. `"BASEL_temp_mean"`;
            added to the columns if the selection leaves it out.
        dtype: the dtype of `values`.

    Returns:
        A `SeriesData` with `dates` parsed from `DATE` (`datetime64[D]`).

    Example:

    >>> basel = load_weather("BASEL", target="BASEL_temp_mean")
    >>> basel.values.shape, basel.targets, str(basel.dates[0])
    ((3654, 9), 6, '2000-01-01')
    """
    owner = "load_weather"
    if columns is not None and (locations is not None or features is not None):
        raise ValueError(
            f"{owner}: pass either `columns` or `locations`/`features`, "
            "not both."
        )
    table = _weather_table()
    if columns is None:
        columns = _weather_columns(owner, table.header, locations, features)
    return _series_data(owner, table, columns, target, "DATE", dtype)
