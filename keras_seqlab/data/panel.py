"""Many series in one long table: a `Panel`, its inputs by role.

A long table has one row per (series, date): an id column, a date column,
the target and other columns. `panel_from_frame` (a pandas DataFrame) and
`load_panel` (a CSV file, read by pandas) check it and sort it by (id,
date) into a `Panel`: one array of every series' rows, back to back, and
the row offsets where each series starts, so that windows (see
`keras_seqlab.data.panel_windows`) are index arithmetic over each series'
own rows and never cross from one series to the next.

The columns by role (the names neuralforecast and darts use in brackets):

- the target (`y`);
- past inputs (`hist_exog`, past covariates): observed up to now, by
  default every other column;
- known-future inputs (`futr_exog`, future covariates): `future_columns`
  of the table and `calendar` features generated from the dates
  (`keras_seqlab.data.calendar`), known for the forecast's own steps;
- static inputs (`stat_exog`, static covariates): `static_columns`, one
  value per series.

Nothing is filled or dropped silently: a duplicate (id, date), a gap in a
series' dates, an empty or missing id, a missing value, a static column
that varies within a series are each an error that names the place.
"""

import dataclasses
import warnings

import numpy as np

from keras_seqlab.data.calendar import calendar_columns
from keras_seqlab.data.calendar import calendar_values
from keras_seqlab.data.calendar import check_calendar


@dataclasses.dataclass(frozen=True, eq=False)
class Panel:
    """Many series, sorted by (id, date), their rows back to back.

    Attributes:
        ids: `(S,)` the series ids (str), sorted.
        offsets: `(S + 1,)` int64: series `i` is rows
            `offsets[i]:offsets[i + 1]` of every per-row array.
        values: `(rows, 1 + P)` float32: the target, then the past inputs.
        columns: the names of `values`' columns (the target first).
        known: `(rows, F)` float32 known-future inputs (the table's future
            columns, then the calendar codes), or None.
        known_columns: their names.
        static: `(S, C)` float32 static inputs, or None.
        static_columns: their names.
        dates: `(rows,)` datetime64[ns], or None.
        freqs: per series, its frequency (a pandas offset alias such as
            `"D"` or `"MS"`), or None without dates.
        id_column, date_column: the table's column names.
        future_columns: the table's known-future columns.
        calendar: the calendar features (`keras_seqlab.data.calendar`).
    """

    ids: np.ndarray
    offsets: np.ndarray
    values: np.ndarray
    columns: tuple
    known: np.ndarray | None = None
    known_columns: tuple = ()
    static: np.ndarray | None = None
    static_columns: tuple = ()
    dates: np.ndarray | None = None
    freqs: tuple | None = None
    id_column: str = "unique_id"
    date_column: str | None = None
    future_columns: tuple = ()
    calendar: tuple = ()

    @property
    def target(self):
        return self.columns[0]

    @property
    def lengths(self):
        return np.diff(self.offsets)

    def __len__(self):
        return len(self.ids)

    def rows(self, i):
        """The row slice of series `i` (an index, not an id)."""
        return slice(int(self.offsets[i]), int(self.offsets[i + 1]))

    def index_of(self, series_id):
        """The index of `series_id`, or a `KeyError` naming it."""
        i = int(np.searchsorted(self.ids, series_id))
        if i == len(self.ids) or self.ids[i] != series_id:
            raise KeyError(f"Panel: no series {series_id!r}.")
        return i

    def describe(self):
        lengths = self.lengths
        return (
            f"{len(self)} series of {int(lengths.min())} to "
            f"{int(lengths.max())} steps"
        )


def _pandas(owner):
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            f"{owner}: long tables need pandas: pip install "
            '"keras-seqlab[pandas]".'
        ) from None
    return pd


def _names(owner, role, value):
    if value is None:
        return ()
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    names = tuple(value)
    if not all(isinstance(n, str) for n in names):
        raise ValueError(
            f"{owner}: `{role}` must be column names (str), got {value!r}."
        )
    return names


def _check_columns(owner, frame, roles):
    """Every named column exists, and none has two roles."""
    have = [str(c) for c in frame.columns]
    seen = {}
    for role, names in roles:
        for name in names:
            if name not in have:
                raise ValueError(
                    f"{owner}: {role} {name!r} is not a column of the table; "
                    f"its columns are {', '.join(map(repr, have))}."
                )
            if name in seen:
                raise ValueError(
                    f"{owner}: column {name!r} is given as {seen[name]} and "
                    f"as {role}; a column has one role."
                )
            seen[name] = role


def _ids(owner, pd, column, name):
    """The id column as str, refusing a missing or empty id."""
    missing = column.isna().to_numpy()
    text = column.astype(str).str.strip()
    empty = missing | (text == "").to_numpy()
    if empty.any():
        row = int(np.flatnonzero(empty)[0])
        raise ValueError(
            f"{owner}: id column {name!r} has {int(empty.sum())} empty or "
            f"missing id(s), the first in data row {row + 1}; every row "
            "needs its series id."
        )
    return text.to_numpy(dtype=object)


def _parse_dates(owner, pd, column, name):
    try:
        dates = pd.to_datetime(column)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"{owner}: date column {name!r} does not parse as dates: "
            f"{str(error).splitlines()[0]}"
        ) from None
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise ValueError(
            f"{owner}: date column {name!r} is empty in data row {row + 1}."
        )
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates.to_numpy(dtype="datetime64[ns]")


def _numeric(owner, pd, frame, names, ids, dates, role):
    """`(rows, len(names))` float32 of `names`; a non-numeric or missing
    value names its series and date."""
    out = np.empty((len(frame), len(names)), dtype="float32")
    for k, name in enumerate(names):
        column = pd.to_numeric(frame[name], errors="coerce")
        values = column.to_numpy(dtype="float64", na_value=np.nan)
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            where = f"series {str(ids[row])!r}"
            if dates is not None:
                where += f", date {_day(dates[row])}"
            raise ValueError(
                f"{owner}: {role} column {name!r} has {int(bad.sum())} "
                f"missing or non-numeric value(s), the first at {where} "
                f"({frame[name].iloc[row]!r}); clean or impute them first."
            )
        out[:, k] = values
    return out


def _day(value):
    """A date as text: yyyy-mm-dd, with the time only if not midnight."""
    text = str(np.datetime64(value, "s")).replace("T", " ")
    return text.removesuffix(" 00:00:00")


def _infer_freq(pd, index):
    """`pandas.infer_freq` as an offset alias (str) on every pandas: later
    versions return an offset object, and pandas 3 warns of it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "A future version of pandas")
        freq = pd.infer_freq(index)
    return getattr(freq, "freqstr", freq)


def _series_freq(owner, pd, dates, series_id):
    """A series' frequency (an offset alias), or a gap named."""
    if len(dates) < 2:
        return None
    steps = np.diff(dates)
    if (steps == steps[0]).all():
        step = pd.Timedelta(steps[0])
        if step > pd.Timedelta(0) and step % pd.Timedelta(
            days=1
        ) == pd.Timedelta(0):
            days = step.days
            return "D" if days == 1 else f"{days}D"
        return pd.tseries.frequencies.to_offset(step).freqstr
    index = pd.DatetimeIndex(dates)
    freq = _infer_freq(pd, index) if len(dates) >= 3 else None
    if freq is not None:
        return freq
    # Name the first step that breaks the series' own rhythm: the most
    # common step (or calendar frequency of its first dates) is the rule.
    guess = _infer_freq(pd, index[:3]) if len(dates) >= 3 else None
    if guess is not None:
        expected = pd.date_range(index[0], periods=len(index), freq=guess)
        k = int(np.flatnonzero(expected != index)[0])
        rule = f"steps of {guess}"
    else:
        values, counts = np.unique(steps, return_counts=True)
        common = values[np.argmax(counts)]
        k = int(np.flatnonzero(steps != common)[0]) + 1
        rule = f"steps of {pd.Timedelta(common)}"
    raise ValueError(
        f"{owner}: the dates of series {str(series_id)!r} are not on one "
        f"frequency: {_day(index[k - 1])} is followed by "
        f"{_day(index[k])} ({rule} elsewhere); fill or drop the gap "
        "first (nothing is filled silently)."
    )


def _static(owner, frame, names, offsets, ids):
    """`(S, C)` float32: each series' one value of each static column."""
    if not names:
        return None
    pd = _pandas(owner)
    values = _numeric(owner, pd, frame, names, ids, None, "static")
    first = values[offsets[:-1]]
    repeated = np.repeat(first, np.diff(offsets), axis=0)
    varies = (values != repeated).any(axis=1)
    if varies.any():
        row = int(np.flatnonzero(varies)[0])
        k = int(np.flatnonzero(values[row] != repeated[row])[0])
        raise ValueError(
            f"{owner}: static column {names[k]!r} varies within series "
            f"{str(ids[row])!r} ({repeated[row, k]:g} "
            f"and {values[row, k]:g}); a static input has one value per "
            "series (use it as a past or future input instead)."
        )
    return first


def panel_from_frame(
    frame,
    id_column,
    target,
    date_column=None,
    past_columns=None,
    future_columns=None,
    static_columns=None,
    calendar=None,
    owner="panel_from_frame",
):
    """A checked `Panel` from a long pandas DataFrame.

    Args:
        frame: one row per (series, date), in any order.
        id_column: the series id column (read as text).
        target: the column to forecast.
        date_column: the date column (parsed with `pandas.to_datetime`);
            None: the rows of each series are in time order already.
        past_columns: past-only inputs (None: every column not given
            another role; `()` for none).
        future_columns: known-future inputs from the table.
        static_columns: one value per series.
        calendar: calendar features of the dates (`"month,dayofweek"` or
            a list; see `keras_seqlab.data.calendar`).
        owner: the name errors start with.

    Returns:
        A `Panel`, rows sorted by (id, date).

    Raises:
        ValueError: naming `owner`: an unknown column, a column given two
            roles, a missing or empty id, a date that does not parse, a
            duplicate (id, date) (one is named), dates not on one
            frequency within a series (the series and the gap named), a
            missing or non-numeric value (its series and date), a static
            column that varies within a series, calendar features without
            a date column.
    """
    pd = _pandas(owner)
    if type(frame).__name__ != "DataFrame":
        raise TypeError(
            f"{owner}: expected a pandas DataFrame (a long table), got "
            f"{type(frame).__name__}."
        )
    for role, name in (("id_column", id_column), ("target", target)):
        if not isinstance(name, str):
            raise ValueError(f"{owner}: `{role}` must be a column name.")
    calendar = check_calendar(owner, calendar)
    if calendar and date_column is None:
        raise ValueError(
            f"{owner}: calendar features {list(calendar)} need a date "
            "column (`date_column`)."
        )
    future = _names(owner, "future_columns", future_columns)
    static = _names(owner, "static_columns", static_columns)
    keys = [id_column] + ([date_column] if date_column else [])
    roles = [("id_column", [id_column]), ("target", [target])]
    if date_column is not None:
        roles.append(("date_column", [date_column]))
    roles += [("future column", future), ("static column", static)]
    _check_columns(owner, frame, roles)
    taken = {id_column, target, date_column, *future, *static}
    if past_columns is None:
        past = tuple(str(c) for c in frame.columns if str(c) not in taken)
    else:
        past = _names(owner, "past_columns", past_columns)
        _check_columns(owner, frame, roles + [("past column", past)])
    if len(frame) == 0:
        raise ValueError(f"{owner}: the table has no rows.")
    frame = frame.copy(deep=False)
    frame.columns = [str(c) for c in frame.columns]
    ids = _ids(owner, pd, frame[id_column], id_column)
    frame[id_column] = ids
    if date_column is not None:
        frame[date_column] = _parse_dates(
            owner, pd, frame[date_column], date_column
        )
    frame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    ids = frame[id_column].to_numpy(dtype=object)
    if date_column is not None:
        dup = frame.duplicated(keys).to_numpy()
        if dup.any():
            row = int(np.flatnonzero(dup)[0])
            raise ValueError(
                f"{owner}: {int(dup.sum())} duplicate (id, date) row(s), "
                f"e.g. series {str(ids[row])!r} on "
                f"{_day(frame[date_column].iloc[row])}; a series has "
                "one row per date."
            )
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    offsets = np.r_[starts, len(ids)].astype("int64")
    series_ids = ids[starts].astype(str)
    dates, freqs = None, None
    if date_column is not None:
        dates = frame[date_column].to_numpy(dtype="datetime64[ns]")
        freqs = tuple(
            _series_freq(owner, pd, dates[a:b], i)
            for i, a, b in zip(series_ids, offsets[:-1], offsets[1:])
        )
    values = _numeric(owner, pd, frame, (target, *past), ids, dates, "input")
    known, known_columns = None, ()
    if future or calendar:
        parts = []
        if future:
            parts.append(
                _numeric(owner, pd, frame, future, ids, dates, "future")
            )
        if calendar:
            parts.append(calendar_values(dates, calendar))
        known = np.concatenate(parts, axis=1)
        known_columns = future + calendar_columns(calendar)
    return Panel(
        ids=series_ids,
        offsets=offsets,
        values=values,
        columns=(target, *past),
        known=known,
        known_columns=known_columns,
        static=_static(owner, frame, static, offsets, ids),
        static_columns=static,
        dates=dates,
        freqs=freqs,
        id_column=id_column,
        date_column=date_column,
        future_columns=future,
        calendar=calendar,
    )


def read_table(owner, path, id_column):
    """A CSV file as a DataFrame, the id column read as text."""
    pd = _pandas(owner)
    try:
        return pd.read_csv(path, dtype={id_column: str}, keep_default_na=True)
    except FileNotFoundError:
        raise FileNotFoundError(f"{owner}: no such file: {path}") from None
    except (ValueError, pd.errors.ParserError) as error:
        raise ValueError(
            f"{owner}: {path} does not read as a CSV table: "
            f"{str(error).splitlines()[0]}"
        ) from None


def load_panel(path, id_column, target, date_column=None, **roles):
    """A long CSV table (one row per series and date) as a `Panel`.

    Read with pandas (`pandas.read_csv`, ids as text); the arguments and
    errors are those of `panel_from_frame`.

    Example:

    >>> panel = load_panel("panel.csv", id_column="series", target="value",
    ...                    date_column="date",
    ...                    calendar="month")  # doctest: +SKIP
    """
    frame = read_table("load_panel", path, id_column)
    return panel_from_frame(
        frame, id_column, target, date_column, owner="load_panel", **roles
    )


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
    from keras_seqlab.data.datasets import WEATHER_LOCATIONS
    from keras_seqlab.data.datasets import load_weather

    pd = _pandas("weather_cities")
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


def drop_last(panel, steps):
    """`panel` without the last `steps` rows of every series (a copy);
    series left empty are dropped."""
    lengths = np.maximum(panel.lengths - steps, 0)
    keep = lengths > 0
    rows = np.concatenate(
        [
            np.arange(start, start + n)
            for start, n in zip(panel.offsets[:-1][keep], lengths[keep])
        ]
    )
    offsets = np.r_[0, np.cumsum(lengths[keep])].astype("int64")

    def cut(array):
        return None if array is None else array[rows]

    return dataclasses.replace(
        panel,
        ids=panel.ids[keep],
        offsets=offsets,
        values=panel.values[rows],
        known=cut(panel.known),
        static=None if panel.static is None else panel.static[keep],
        dates=cut(panel.dates),
        freqs=None
        if panel.freqs is None
        else tuple(f for f, k in zip(panel.freqs, keep) if k),
    )
