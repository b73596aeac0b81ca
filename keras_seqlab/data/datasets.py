"""Series to learn from: the weather data and CSV files.

(The textbook's generator, `synthetic_series`, is in
`keras_seqlab.data.synthetic`.)

- `load_weather`: the light *Weather prediction dataset* (Huber et al.,
  Zenodo, doi 10.5281/zenodo.4770936, CC-BY 4.0; see `data/ATTRIBUTION.md`),
  bundled with the package: daily observations for 11 European locations,
  2000-01-01 to 2010-01-01.
- `load_csv`: a user's own file, read with the `csv` module and numpy
  (`keras_seqlab.data.csvfile`), a chunk of rows at a time; with
  `id_column`, a long table of many series, read by pandas into a `Panel`
  (`keras_seqlab.data.panel`).
- `weather_cities`: the weather data as a long table, one series a city
  (a pandas DataFrame).

The one-series loaders return a `SeriesData`: a `(rows, columns)` numpy
array, the column names, the dates (`datetime64[D]`) and the target column
index(es), ready for `keras_seqlab.make_windows`.
"""

import csv
import dataclasses
import functools
import importlib.resources

import numpy as np

from keras_seqlab.data.csvfile import Selection
from keras_seqlab.data.csvfile import open_text
from keras_seqlab.data.csvfile import read_columns
from keras_seqlab.data.order import date_order
from keras_seqlab.data.panel import load_panel
from keras_seqlab.data.panel_checks import require_pandas

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


def _names(value):
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _check_names(owner, role, value):
    """`value` (None, a name, or a list of names) as a list or None."""
    if value is None or isinstance(value, str):
        return _names(value)
    try:
        names = list(value)
    except TypeError:
        names = None
    if names is None or not all(isinstance(name, str) for name in names):
        raise ValueError(
            f"{owner}: `{role}` must be a column name (str) or a list of "
            f"them, got {value!r}."
        )
    return names


def _check_dtype(owner, dtype):
    try:
        found = np.dtype(dtype)
    except TypeError:
        found = None
    if found is None or found.kind not in "biuf":
        raise TypeError(
            f"{owner}: `dtype` must be a numeric dtype (float, int, uint or "
            f"bool), got {dtype!r}."
        )
    return found


def _position(owner, header, source, name, role):
    """The index of column `name` (a str) in the header; lists them if
    missing."""
    found = [i for i, h in enumerate(header) if h == name]
    if not found:
        raise ValueError(
            f"{owner}: {role} {name!r} not found in {source}; its "
            f"columns are {', '.join(repr(h) for h in header)}."
        )
    if len(found) > 1:
        raise ValueError(
            f"{owner}: {source} has {len(found)} columns named {name!r}."
        )
    return found[0]


def _chooser(owner, source, columns, targets, date_column):
    """`choose(header)` for `read_columns`: the columns to load (lists of
    names or None), targets appended, checked against the header."""

    def choose(header):
        date = None
        if date_column is not None:
            index = _position(owner, header, source, date_column, "date_column")
            date = (date_column, index)
        names = None if columns is None else list(columns)
        if names is None:
            names = [
                h for i, h in enumerate(header) if not date or i != date[1]
            ]
        for name in targets:
            _position(owner, header, source, name, "target")
        names += [name for name in targets if name not in names]
        if not names:
            raise ValueError(f"{owner}: no column selected in {source}.")
        positions = [
            _position(owner, header, source, n, "column") for n in names
        ]
        return Selection(tuple(names), tuple(positions), date, tuple(targets))

    return choose


def _series_data(owner, path, columns, target, date_column, dtype):
    """Reads the selected columns of a CSV file into a `SeriesData`.

    The arguments are checked before the file is opened: names must be
    str, `dtype` numeric.
    """
    targets = _check_names(owner, "target", target) or []
    columns = _check_names(owner, "columns", columns)
    if date_column is not None and not isinstance(date_column, str):
        raise ValueError(
            f"{owner}: `date_column` must be a column name (str) or None, "
            f"got {date_column!r}."
        )
    dtype = _check_dtype(owner, dtype)
    choose = _chooser(owner, str(path), columns, targets, date_column)
    found = read_columns(owner, path, choose, dtype)
    values, dates = found.values, found.dates
    order = date_order(owner, dates, found.source)
    if order is not None:
        values, dates = values[order], dates[order]
    names = found.selection.names
    index = tuple(names.index(name) for name in targets)
    if isinstance(target, str):
        index = index[0]
    return SeriesData(
        values=values,
        columns=names,
        dates=dates,
        targets=index if targets else None,
        source=found.source,
    )


def load_csv(
    path,
    target=None,
    columns=None,
    date_column=None,
    dtype="float32",
    id_column=None,
    **roles,
):
    """Reads a numeric CSV file (header row first) into a `SeriesData`.

    With `id_column`, the file is a long table of many series (one row per
    series and date), read by pandas into a `Panel`: see
    `keras_seqlab.data.panel.load_panel`, which takes `roles`
    (`future_columns`, `static_columns`, `calendar`; `columns` are the
    past inputs).

    Only the `csv` module and numpy: no pandas. Quoted fields, CRLF line
    endings, a missing final newline and a UTF-8 byte-order mark are fine;
    blank lines are skipped. The file is read in chunks, never held whole
    as Python strings: the peak memory is about twice the returned arrays.

    Args:
        path: the file (str or path-like).
        target: the target column name, or a list of names; added to the
            loaded columns if `columns` leaves it out. `SeriesData.targets`
            gives its index.
        columns: the column names to load, in this order; None for every
            column but `date_column`.
        date_column: the name of a date column (yyyy-mm-dd or yyyymmdd),
            parsed to `datetime64[D]` into `SeriesData.dates`. Rows are
            put in date order (a `keras_seqlab.data.order.RowsSorted`
            warning says so when they were not, e.g. newest-first); a
            repeated date is an error.
        dtype: the dtype of `values`, a float, int, uint or bool dtype
            that holds every value of the file (float16 overflows past
            65504, int8 past 127; an integer dtype needs whole numbers).

    Returns:
        A `SeriesData`.

    Raises:
        ValueError: a missing column (the message lists the file's
            columns), a non-numeric value, an empty cell, NaN or an
            infinite value, a row with the wrong number of fields, a bad
            date, a value `dtype` cannot hold: each names the file, the
            line, the data row and the column. Also a directory for
            `path`, or a `target`, `columns` or `date_column` that is not
            a name (or list of names). A date that appears twice (the
            message names it and its two data rows).
        TypeError: a `path` that is not a path, a non-numeric `dtype`.
        FileNotFoundError: no file at `path`.

    Example:

    >>> data = load_csv("daily-min-temperatures.csv", target="Temp",
    ...                 date_column="Date")  # doctest: +SKIP
    >>> data.values.shape, data.columns, data.targets  # doctest: +SKIP
    ((3650, 1), ('Temp',), 0)
    """
    if id_column is not None:
        return load_panel(
            path, id_column, target, date_column, past_columns=columns, **roles
        )
    if roles:
        raise ValueError(
            f"load_csv: {sorted(roles)} apply to a long table; pass "
            "`id_column`."
        )
    return _series_data("load_csv", path, columns, target, date_column, dtype)


# -- the bundled weather data --------------------------------------------------


def weather_path():
    """The bundled CSV file, as an `importlib.resources` traversable."""
    return importlib.resources.files("keras_seqlab.data") / WEATHER_FILE


@functools.lru_cache(maxsize=1)
def _weather_header():
    """The bundled file's column names."""
    with open_text("load_weather", weather_path()) as handle:
        return tuple(name.strip() for name in next(csv.reader(handle)))


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
    if columns is None:
        columns = _weather_columns(
            owner, _weather_header(), locations, features
        )
    return _series_data(owner, weather_path(), columns, target, "DATE", dtype)


# The columns every city of the bundled weather data has (MALMO lacks five
# of the nine features, TOURS two, KASSEL, DRESDEN and SONNBLICK one).
WEATHER_CITY_FEATURES = ("temp_mean", "temp_min", "temp_max", "precipitation")


def weather_cities():
    """The bundled weather data as a long table: one series per city.

    11 cities (`WEATHER_LOCATIONS`) x 3654 days: columns `city`, `DATE`
    and the features every city has (`WEATHER_CITY_FEATURES`: `temp_mean`,
    `temp_min`, `temp_max`, `precipitation`). `seqlab compare --dataset
    weather-cities` forecasts `temp_mean` from the others as past inputs
    and the day of the year as a calendar input. Source and licence as
    `load_weather` (Huber et al., CC-BY 4.0).

    Returns:
        A pandas DataFrame of 40,194 rows, sorted by city and date.
    """
    pd = require_pandas("weather_cities")
    data = load_weather(features=list(WEATHER_CITY_FEATURES))
    parts = []
    for city in WEATHER_LOCATIONS:
        columns = {
            "city": np.full(len(data), city, dtype=object),
            "DATE": data.dates.astype("datetime64[ns]"),
        }
        for feature in WEATHER_CITY_FEATURES:
            columns[feature] = data.column(f"{city}_{feature}")
        parts.append(pd.DataFrame(columns))
    return pd.concat(parts, ignore_index=True)
