"""The checks of a long table, each error naming the place it found.

`keras_seqlab.data.panel.panel_from_frame` calls these on the table's
columns: ids (none empty), dates (parsed, one frequency per series, the
gap named), numbers (the series and date of a missing value), static
columns (one value per series). Nothing is filled or dropped silently.
"""

import warnings

import numpy as np


def require_pandas(owner):
    """pandas, or an `ImportError` naming `owner` and the extra."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            f"{owner}: long tables need pandas: pip install "
            '"keras-seqlab[pandas]".'
        ) from None
    return pd


def column_names(owner, role, value):
    """`value` (None, `"a,b"` or a list of names) as a tuple of str."""
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


def check_columns(owner, frame, roles):
    """Every named column exists, and none has two roles. A role is the
    setting that names the column (`id_column`, `future_columns`: each
    named in backticks, which the CLI turns into its flag) or words
    ("past column")."""
    have = [str(c) for c in frame.columns]
    seen = {}
    for role, names in roles:
        for name in names:
            if name not in have:
                raise ValueError(
                    f"{owner}: {_role(role)} {name!r} is not a column of the "
                    "table; "
                    f"its columns are {', '.join(map(repr, have))}."
                )
            if name in seen:
                raise ValueError(
                    f"{owner}: column {name!r} is given as "
                    f"{_role(seen[name])} and as {_role(role)}; a column "
                    "has one role."
                )
            seen[name] = role


def _role(role):
    """A setting's name in backticks; words as they are."""
    return role if " " in role else f"`{role}`"


def id_strings(owner, pd, column, name):
    """The id column as str, refusing a missing or empty id."""
    missing = column.isna().to_numpy()
    text = column.astype(str).str.strip()
    empty = missing | (text == "").to_numpy()
    if empty.any():
        row = int(np.flatnonzero(empty)[0])
        raise ValueError(
            f"{owner}: `id_column` {name!r} has {int(empty.sum())} empty or "
            f"missing id(s), the first in data row {row + 1}; every row "
            "needs its series id."
        )
    return text.to_numpy(dtype=object)


def parse_dates(owner, pd, column, name):
    try:
        dates = pd.to_datetime(column)
    except (ValueError, TypeError) as error:
        raise ValueError(_unparsed(owner, pd, column, name, error)) from None
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise ValueError(
            f"{owner}: `date_column` {name!r} is empty in data row {row + 1}."
        )
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates.to_numpy(dtype="datetime64[ns]")


def _unparsed(owner, pd, column, name, error):
    """The message of a date column pandas cannot parse: the first value
    that is no date and its row, else pandas' first sentence."""
    start = f"{owner}: `date_column` {name!r} does not parse as dates: "
    for row, value in enumerate(column.tolist()):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        try:
            pd.to_datetime([value])
        except (ValueError, TypeError, OverflowError):
            return f"{start}{str(value)!r} in data row {row + 1}."
    # pandas ends some messages with advice on more lines ("You might
    # want to try: ..."): its first sentence is the error.
    text = str(error).splitlines()[0].split(". You might want to try")[0]
    return f"{start}{text.rstrip('.: ')}."


def numeric_columns(owner, pd, frame, names, ids, dates, role):
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
                where += f", date {day_text(dates[row])}"
            raise ValueError(
                f"{owner}: {role} column {name!r} has {int(bad.sum())} "
                f"missing or non-numeric value(s), the first at {where} "
                f"({frame[name].iloc[row]!r}); clean or impute them first."
            )
        out[:, k] = values
    return out


def day_text(value):
    """A date as text: yyyy-mm-dd, with the time only if not midnight."""
    text = str(np.datetime64(value, "s")).replace("T", " ")
    return text.removesuffix(" 00:00:00")


def infer_freq(pd, index):
    """`pandas.infer_freq` as an offset alias (str) on every pandas: later
    versions return an offset object, and pandas 3 warns of it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "A future version of pandas")
        freq = pd.infer_freq(index)
    return getattr(freq, "freqstr", freq)


def series_freq(owner, pd, dates, series_id):
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
    freq = infer_freq(pd, index) if len(dates) >= 3 else None
    if freq is not None:
        return freq
    # Name the first step that breaks the series' own rhythm: the most
    # common step (or calendar frequency of its first dates) is the rule.
    guess = infer_freq(pd, index[:3]) if len(dates) >= 3 else None
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
        f"frequency: {day_text(index[k - 1])} is followed by "
        f"{day_text(index[k])} ({rule} elsewhere); fill or drop the gap "
        "first (nothing is filled silently)."
    )


def static_values(owner, frame, names, offsets, ids):
    """`(S, C)` float32: each series' one value of each static column."""
    if not names:
        return None
    pd = require_pandas(owner)
    values = numeric_columns(owner, pd, frame, names, ids, None, "static")
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
