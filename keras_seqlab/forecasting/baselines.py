"""Classical baselines from statsforecast, on the targets a model is
scored on.

The four methods a forecaster would use instead of a neural model, as
Nixtla's `statsforecast` implements them (an optional extra: `pip
install "keras-seqlab[baselines]"`):

| name             | statsforecast model             |
|------------------|---------------------------------|
| `seasonal_naive` | `SeasonalNaive(season_length=m)` |
| `auto_ets`       | `AutoETS(season_length=m)`       |
| `auto_arima`     | `AutoARIMA(season_length=m)`     |
| `auto_theta`     | `AutoTheta(season_length=m)`     |

A `Job` is one series and the origins to forecast from: the forecast
from origin o is of values[o], ..., values[o + H - 1] and sees
values[:o] only. With `fit_end` the model is fit once on
values[:fit_end] and rolled forward over the origins with its
parameters fixed (statsforecast's `forward`, what its
`cross_validation(refit=False)` does); without, it is fit anew at every
origin (`forecast`, `refit=True`). A method that cannot run on a series
(too short for its season, a failed fit, forecasts that are not finite)
gives a reason instead of forecasts; it never stops the others.
"""

import dataclasses
import time
import warnings

import numpy as np

BASELINES = ("seasonal_naive", "auto_ets", "auto_arima", "auto_theta")
EXTRA = 'pip install "keras-seqlab[baselines]"'
_MODELS = {
    "seasonal_naive": "SeasonalNaive",
    "auto_ets": "AutoETS",
    "auto_arima": "AutoARIMA",
    "auto_theta": "AutoTheta",
}


def statsforecast_models(owner):
    """`statsforecast.models`, or an `ImportError` naming the extra."""
    try:
        from statsforecast import models
    except ImportError:
        raise ImportError(
            f"{owner}: the classical baselines need statsforecast, which is "
            f"not installed: {EXTRA}."
        ) from None
    return models


def choose_baselines(owner, value):
    """The baseline names of `value`: `"all"` (or True) for every one, a
    comma-separated string or a list of names from `BASELINES`; None or
    False for none (an empty tuple).

    Raises:
        ValueError: naming `owner` and `baselines`, for an unknown name.
    """
    if value is None or value is False:
        return ()
    if value is True or value == "all":
        return BASELINES
    given = value
    if isinstance(value, str):
        value = value.split(",")
    try:
        names = tuple(str(v).strip() for v in value if str(v).strip())
    except TypeError:
        names = None
    unknown = (
        [n for n in names if n not in BASELINES] if names else [repr(value)]
    )
    value = given
    if unknown or len(set(names)) != len(names):
        raise ValueError(
            f"{owner}: `baselines` must be all or distinct names among "
            f"{', '.join(BASELINES)}, got {value!r}."
        )
    return names


@dataclasses.dataclass(frozen=True, eq=False)
class Job:
    """One series and its forecast origins.

    Attributes:
        name: the series' name in a reason (`"BASEL"`, `"window 3"`).
        values: `(T,)` the series, original units.
        origins: `(N,)` ints: forecasts start at these positions.
        fit_end: fit once on `values[:fit_end]`; None: at every origin.
        season: the seasonal period m of every method.
    """

    name: str
    values: np.ndarray
    origins: np.ndarray
    fit_end: int | None = None
    season: int = 1


@dataclasses.dataclass
class Outcome:
    """One baseline's forecasts of every origin of some jobs.

    Attributes:
        forecasts: `(N, H)` float64 (origins in job order), or None.
        bands: `{level: (lower, upper)}`, each `(N, H)`, for `levels`.
        reason: why there are no forecasts (None when there are).
        seconds: fitting and forecasting time.
    """

    forecasts: np.ndarray | None
    bands: dict
    reason: str | None
    seconds: float


class Baselines:
    """Runs the baselines `names` (checked by `choose_baselines`); a model
    fit once on a job's `values[:fit_end]` is kept for the next horizon."""

    def __init__(self, names, owner="baselines"):
        self.models = statsforecast_models(owner)
        self.names = tuple(names)
        self._fits = {}

    def _new(self, name, season):
        return getattr(self.models, _MODELS[name])(season_length=season)

    def _forecast(self, name, job, origin, horizon, levels):
        # statsforecast names its columns by the levels as given: 80,
        # not 80.0, gives "lo-80".
        level = [int(v) if float(v).is_integer() else v for v in levels]
        level = level or None
        if job.fit_end is None:
            return self._new(name, job.season).forecast(
                job.values[:origin], h=horizon, level=level
            )
        key = (name, id(job.values), job.fit_end, job.season)
        if key not in self._fits:
            model = self._new(name, job.season)
            model.fit(job.values[: job.fit_end])
            # Kept with the fit, the values keep their id() unique.
            self._fits[key] = (model, job.values)
        model = self._fits[key][0]
        return model.forward(job.values[:origin], h=horizon, level=level)

    def run(self, name, jobs, horizon, levels=()):
        """`Outcome` of baseline `name` on `jobs`, `horizon` steps from
        every origin, with intervals at `levels` (percent, e.g. (80,))."""
        start = time.perf_counter()
        means, bands = [], {level: ([], []) for level in levels}
        for job in jobs:
            for origin in np.asarray(job.origins, dtype="int64"):
                reason, out = self._one(name, job, int(origin), horizon, levels)
                if reason is not None:
                    seconds = time.perf_counter() - start
                    return Outcome(None, {}, reason, seconds)
                means.append(out["mean"])
                for level in levels:
                    bands[level][0].append(out[f"lo-{level:g}"])
                    bands[level][1].append(out[f"hi-{level:g}"])
        return Outcome(
            _rows(means, horizon),
            {
                level: (_rows(lo, horizon), _rows(hi, horizon))
                for level, (lo, hi) in bands.items()
            },
            None,
            time.perf_counter() - start,
        )

    def _one(self, name, job, origin, horizon, levels):
        """`(reason, output)` of one forecast: exactly one is None."""
        where = (
            f"{job.name} ({origin} steps before the origin, season "
            f"{job.season})"
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                out = self._forecast(name, job, origin, horizon, levels)
            # statsforecast's fits raise many types (NotImplementedError
            # "tiny datasets", KeyError, plain Exception "no model able to
            # be fitted"); each becomes this baseline's reason.
            except Exception as error:  # noqa: BLE001
                text = str(error) or type(error).__name__
                return f"{name} failed on {where}: {text}", None
        values = [np.asarray(v, dtype="float64") for v in out.values()]
        if not all(np.all(np.isfinite(v)) for v in values):
            said = f": {caught[0].message}" if caught else ""
            return f"{name} gave no finite forecast on {where}{said}", None
        return None, out


def _rows(parts, horizon):
    return np.asarray(parts, dtype="float64").reshape(-1, horizon)


def window_jobs(windows, seasons, refit=False, keep=None):
    """The jobs of a long table's windows (`PanelWindows`, e.g. a test
    split), forecasts in their order: one per series, fit once before its
    first window's targets (or at every origin with `refit`), with its
    season (`seasons[i]` of series i); only the windows `keep` (a mask)
    if given."""
    p = windows.panel
    series, origin = windows.locate(np.arange(len(windows)))
    if keep is not None:
        series, origin = series[keep], origin[keep]
    jobs = []
    for i in dict.fromkeys(series.tolist()):
        start, end = int(p.offsets[i]), int(p.offsets[i + 1])
        origins = origin[series == i] - start
        jobs.append(
            Job(
                str(p.ids[i]),
                p.values[start:end, 0].astype("float64"),
                origins,
                None if refit else int(origins.min()),
                int(seasons[i]),
            )
        )
    return jobs
