"""Calendar features of dates: known ahead for any date, past or future.

Each feature is a position in a cycle, encoded cyclically as two columns,
so that the last step of a cycle is next to the first (December next to
January, Sunday next to Monday):

    name_sin = sin(2 pi p / P),   name_cos = cos(2 pi p / P)

with p the 0-based position and P the cycle length:

| feature     | p                       | P     |
|-------------|-------------------------|-------|
| `hour`      | hour of the day         | 24    |
| `dayofweek` | Monday 0 ... Sunday 6   | 7     |
| `day`       | day of the month - 1    | 31    |
| `dayofyear` | day of the year - 1     | 365.25|
| `weekofyear`| ISO week - 1            | 52.18 |
| `month`     | month - 1               | 12    |
| `quarter`   | quarter - 1             | 4     |

(a two-column code, not one-hot: one model input per feature pair, the
same width for any frequency, and no category a training split lacks).
Needs pandas (the dates are a `DatetimeIndex`).
"""

import numpy as np

CYCLES = {
    "hour": 24.0,
    "dayofweek": 7.0,
    "day": 31.0,
    "dayofyear": 365.25,
    "weekofyear": 365.25 / 7.0,
    "month": 12.0,
    "quarter": 4.0,
}


def check_calendar(owner, features):
    """`features` (a comma-separated str or a list of names) as a tuple.

    Raises:
        ValueError: naming `owner`, for an unknown or repeated feature.
    """
    if features is None:
        return ()
    if isinstance(features, str):
        features = [f.strip() for f in features.split(",") if f.strip()]
    names = tuple(features)
    unknown = [f for f in names if f not in CYCLES]
    if unknown or len(set(names)) != len(names):
        raise ValueError(
            f"{owner}: `calendar` must name distinct features among "
            f"{', '.join(CYCLES)}, got {list(names)!r}."
        )
    return names


def calendar_columns(features):
    """The column names of `features`: `month_sin, month_cos, ...`."""
    return tuple(f"{f}_{part}" for f in features for part in ("sin", "cos"))


def _position(index, feature):
    if feature == "weekofyear":
        return index.isocalendar().week.to_numpy().astype("float64") - 1
    name = {"dayofweek": "day_of_week", "dayofyear": "day_of_year"}
    value = getattr(index, name.get(feature, feature))
    shift = 0 if feature in ("hour", "dayofweek") else 1
    return np.asarray(value, dtype="float64") - shift


def calendar_values(dates, features):
    """`(len(dates), 2 * len(features))` float32 cyclic codes of `dates`.

    Args:
        dates: anything `pandas.DatetimeIndex` takes (datetime64 values).
        features: names from `CYCLES` (checked by `check_calendar`).
    """
    import pandas as pd

    index = pd.DatetimeIndex(dates)
    out = np.empty((len(index), 2 * len(features)), dtype="float32")
    for k, feature in enumerate(features):
        angle = 2.0 * np.pi * _position(index, feature) / CYCLES[feature]
        out[:, 2 * k] = np.sin(angle)
        out[:, 2 * k + 1] = np.cos(angle)
    return out


# The seasonal period by the step between dates, in days (the field's
# defaults, as statsforecast's and darts' examples use them).
_SEASONS = ((1 / 24, 24), (1, 7), (7, 52), ((28, 31), 12), ((89, 92), 4))


def season_of(dates):
    """The seasonal period of a series with these dates, by the median
    step between them (a few missing dates do not change it): hourly 24,
    daily 7, weekly 52, monthly 12, quarterly 4; 1 for other steps, fewer
    than two dates or none (`dates` None).

    Args:
        dates: datetime64 values in time order, or None.
    """
    if dates is None or len(dates) < 2:
        return 1
    steps = np.diff(np.asarray(dates, dtype="datetime64[s]")).astype("float64")
    days = float(np.median(steps)) / 86400.0
    for step, season in _SEASONS:
        first, last = step if isinstance(step, tuple) else (step, step)
        if first - 1e-9 <= days <= last + 1e-9:
            return season
    return 1
