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

Nothing is filled or dropped silently: the rows of a series whose dates
do not increase are sorted with a `RowsSorted` warning (the rule of one
series, `keras_seqlab.data.order`), and a duplicate (id, date), a gap in a
series' dates, an empty or missing id, a missing value, a static column
that varies within a series are each an error that names the place.
"""

import dataclasses

import numpy as np

from keras_seqlab.data.calendar import calendar_columns
from keras_seqlab.data.calendar import calendar_values
from keras_seqlab.data.calendar import check_calendar
from keras_seqlab.data.order import how_sorted
from keras_seqlab.data.order import warn_sorted
from keras_seqlab.data.panel_checks import check_columns
from keras_seqlab.data.panel_checks import column_names
from keras_seqlab.data.panel_checks import day_text
from keras_seqlab.data.panel_checks import id_strings
from keras_seqlab.data.panel_checks import numeric_columns
from keras_seqlab.data.panel_checks import parse_dates
from keras_seqlab.data.panel_checks import require_pandas
from keras_seqlab.data.panel_checks import series_freq
from keras_seqlab.data.panel_checks import static_values


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
        codes: `(S,)` int32, per series its index in `vocabulary`
            (1-based; 0: a series not in it), for a model with an id
            embedding (`with_codes`); None otherwise.
        vocabulary: the ids that model learned a vector for, or None.
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
    codes: np.ndarray | None = None
    vocabulary: tuple | None = None

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
        frame: one row per (series, date), in any order (a
            `RowsSorted` warning says when a series' own rows were not in
            date order: newest-first, say).
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
    pd = require_pandas(owner)
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
    future = column_names(owner, "future_columns", future_columns)
    static = column_names(owner, "static_columns", static_columns)
    keys = [id_column] + ([date_column] if date_column else [])
    roles = [("id_column", [id_column]), ("target", [target])]
    if date_column is not None:
        roles.append(("date_column", [date_column]))
    roles += [("future_columns", future), ("static_columns", static)]
    check_columns(owner, frame, roles)
    taken = {id_column, target, date_column, *future, *static}
    if past_columns is None:
        past = tuple(str(c) for c in frame.columns if str(c) not in taken)
    else:
        past = column_names(owner, "past_columns", past_columns)
        check_columns(owner, frame, roles + [("past column", past)])
    if len(frame) == 0:
        raise ValueError(f"{owner}: the table has no rows.")
    frame = frame.copy(deep=False)
    frame.columns = [str(c) for c in frame.columns]
    ids = id_strings(owner, pd, frame[id_column], id_column)
    frame[id_column] = ids
    if date_column is not None:
        frame[date_column] = parse_dates(
            owner, pd, frame[date_column], date_column
        )
    frame = frame.reset_index(drop=True).sort_values(keys, kind="stable")
    position = frame.index.to_numpy()  # each row's place in the table
    frame = frame.reset_index(drop=True)
    ids = frame[id_column].to_numpy(dtype=object)
    if date_column is not None:
        dup = frame.duplicated(keys).to_numpy()
        if dup.any():
            row = int(np.flatnonzero(dup)[0])
            raise ValueError(
                f"{owner}: {int(dup.sum())} duplicate (id, date) row(s), "
                f"e.g. series {str(ids[row])!r} on "
                f"{day_text(frame[date_column].iloc[row])}; a series has "
                "one row per date."
            )
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    offsets = np.r_[starts, len(ids)].astype("int64")
    series_ids = ids[starts].astype(str)
    dates, freqs = None, None
    if date_column is not None:
        dates = frame[date_column].to_numpy(dtype="datetime64[ns]")
        freqs = tuple(
            series_freq(owner, pd, dates[a:b], i)
            for i, a, b in zip(series_ids, offsets[:-1], offsets[1:])
        )
    values = numeric_columns(
        owner, pd, frame, (target, *past), ids, dates, "input"
    )
    known, known_columns = None, ()
    if future or calendar:
        parts = []
        if future:
            parts.append(
                numeric_columns(owner, pd, frame, future, ids, dates, "future")
            )
        if calendar:
            parts.append(calendar_values(dates, calendar))
        known = np.concatenate(parts, axis=1)
        known_columns = future + calendar_columns(calendar)
    static_rows = static_values(owner, frame, static, offsets, ids)
    if date_column is not None:  # the table is accepted: say what moved
        _note_sorted(owner, ids, position)
    return Panel(
        ids=series_ids,
        offsets=offsets,
        values=values,
        columns=(target, *past),
        known=known,
        known_columns=known_columns,
        static=static_rows,
        static_columns=static,
        dates=dates,
        freqs=freqs,
        id_column=id_column,
        date_column=date_column,
        future_columns=future,
        calendar=calendar,
    )


def _note_sorted(owner, ids, position):
    """A `RowsSorted` warning if some series' rows were not in date order
    in the table (`position`: each sorted row's place in it)."""
    inside = ids[1:] == ids[:-1]
    steps = np.diff(position)
    back = inside & (steps < 0)
    if not back.any():
        return
    series = len(set(ids[1:][back]))
    total = len(set(ids))
    newest_first = not (inside & (steps > 0)).any()
    warn_sorted(
        owner,
        f"rows of {series} of {total} series sorted by date "
        f"({how_sorted(newest_first)})",
    )


def read_table(owner, path, id_column):
    """A CSV file as a DataFrame, the id column read as text."""
    pd = require_pandas(owner)
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


def with_codes(panel, vocabulary):
    """`panel` with `codes`: each series' 1-based index in `vocabulary`
    (the ids a model was trained on), 0 for an id not in it."""
    vocabulary = np.asarray(vocabulary, dtype=str)
    if not len(vocabulary):
        raise ValueError("with_codes: the vocabulary names no series.")
    order = np.argsort(vocabulary)
    position = np.searchsorted(vocabulary, panel.ids, sorter=order)
    position = np.minimum(position, len(vocabulary) - 1)
    found = vocabulary[order[position]] == panel.ids
    codes = np.where(found, order[position] + 1, 0).astype("int32")
    words = tuple(str(v) for v in vocabulary)
    return dataclasses.replace(panel, codes=codes, vocabulary=words)


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
        codes=None if panel.codes is None else panel.codes[keep],
        dates=cut(panel.dates),
        freqs=None
        if panel.freqs is None
        else tuple(f for f, k in zip(panel.freqs, keep) if k),
    )
