"""A backtest's forecasts beside the baselines', as the field's tables.

`compare_origins` takes the forecasts of every origin of a backtest (one
series or many) and the baselines' forecasts of the same origins, and
adds to the backtest's result:

- `baselines`: per baseline its pooled scores (`mean`: MAE, RMSE, sMAPE
  over every forecast step, MASE the mean of each origin's) or the
  `reason` it could not run; `best_baseline`, the lowest RMSE of them;
- `skill` (percent, `significance.skill` of the RMSE) and `dm`, `dm_p`:
  the Diebold–Mariano test of the model's squared errors per fold
  (averaged over the series) against the best baseline's; the folds'
  origins are `horizon` apart, so their forecasts do not overlap;
- `cv` and `cv_metrics`: the forecasts and metrics tables of
  `cv_table` (DataFrames with pandas);
- `notes`: a line naming the series whose MASE is NaN, if any.
"""

import dataclasses
import math

import numpy as np

from keras_seqlab.forecasting.baselines import Baselines
from keras_seqlab.forecasting.baselines import choose_baselines
from keras_seqlab.forecasting.cv_table import METRICS
from keras_seqlab.forecasting.cv_table import CvRecords
from keras_seqlab.forecasting.cv_table import interval_levels
from keras_seqlab.forecasting.cv_table import level_name
from keras_seqlab.forecasting.metrics import mae
from keras_seqlab.forecasting.metrics import rmse
from keras_seqlab.forecasting.metrics import smape
from keras_seqlab.forecasting.significance import diebold_mariano
from keras_seqlab.forecasting.significance import format_p
from keras_seqlab.forecasting.significance import origin_losses
from keras_seqlab.forecasting.significance import skill
from keras_seqlab.layers.heads.quantiles import point_forecast


@dataclasses.dataclass
class Origins:
    """The N forecast origins of a backtest, in one order.

    Attributes:
        ids: `(N,)` each origin's series id.
        cutoffs: `(N,)` the last date (or row) each forecast saw.
        dates: `(N, H)` the dates (or rows) forecast.
        truth: `(N, H)` the values forecast, original units.
        scales: `(N,)` MASE's scale of each origin's history (NaN:
            undefined).
        folds: `(N,)` each origin's fold.
    """

    ids: list
    cutoffs: list
    dates: list
    truth: np.ndarray
    scales: np.ndarray
    folds: np.ndarray


def runner(owner, baselines):
    """A `Baselines` of `baselines` (names, `"all"`), or None for none."""
    names = choose_baselines(owner, baselines)
    return Baselines(names, owner=owner) if names else None


def columns(name, forecasts, quantiles):
    """`{column: (N, H)}` of one model: its point forecast and, for a
    quantile model, `<name>-lo-<L>` and `<name>-hi-<L>` per level L."""
    out = {name: point_forecast(np.asarray(forecasts), quantiles)}
    for level, low, high in interval_levels(quantiles):
        out[f"{name}-lo-{level_name(level)}"] = forecasts[..., low]
        out[f"{name}-hi-{level_name(level)}"] = forecasts[..., high]
    return out


def pooled_scores(truth, forecasts, scales):
    """MAE, RMSE, sMAPE over every step; MASE the mean of each origin's
    (those with a scale; NaN if none has)."""
    per = np.abs(truth - forecasts).mean(axis=1) / scales
    finite = per[np.isfinite(per)]
    return {
        "mae": mae(truth, forecasts),
        "rmse": rmse(truth, forecasts),
        "mase": float(finite.mean()) if finite.size else math.nan,
        "smape": smape(truth, forecasts),
    }


def compare_origins(result, origins, model, forecasts, quantiles, run):
    """Adds the baselines, skill, test and tables to `result` (see the
    module).

    Args:
        result: the backtest's dict.
        origins: the `Origins`.
        model: the model's column name.
        forecasts: its `(N, H)` (or `(N, H, Q)`) forecasts.
        quantiles: its quantile levels, or None.
        run: `(runner, jobs)`: a `Baselines` (or None) and the jobs of
            the origins, in their order, fit at every origin.
    """
    baselines, jobs = run
    table = columns(model, forecasts, quantiles)
    levels = [level for level, _, _ in interval_levels(quantiles)]
    truth, horizon = origins.truth, origins.truth.shape[1]
    result["baselines"] = {}
    ran = {}
    for name in baselines.names if baselines is not None else ():
        outcome = baselines.run(name, jobs, horizon, levels)
        if outcome.reason is not None:
            result["baselines"][name] = {"reason": outcome.reason}
            continue
        ran[name] = outcome.forecasts
        table[name] = outcome.forecasts
        for level, (low, high) in outcome.bands.items():
            table[f"{name}-lo-{level_name(level)}"] = low
            table[f"{name}-hi-{level_name(level)}"] = high
        result["baselines"][name] = {
            "mean": pooled_scores(truth, outcome.forecasts, origins.scales),
            "seconds": round(outcome.seconds, 3),
        }
    records = CvRecords()
    for j in range(len(truth)):
        records.add(
            origins.ids[j],
            origins.cutoffs[j],
            origins.dates[j],
            truth[j],
            {k: v[j] for k, v in table.items()},
            origins.scales[j],
        )
    result["cv"] = records.forecasts()
    result["cv_metrics"] = records.metrics([model, *ran])
    undefined = sorted(
        {i for i, v in zip(origins.ids, origins.scales) if not v > 0}
    )
    result["notes"] = (
        [
            f"MASE is NaN for {', '.join(undefined[:5])}"
            f"{', ...' if len(undefined) > 5 else ''}: the seasonal naive "
            "error of the rows before an origin is 0 or undefined "
            "(constant, or too few rows)."
        ]
        if undefined
        else []
    )
    result["best_baseline"] = None
    if not ran:
        return result
    best = min(ran, key=lambda n: result["baselines"][n]["mean"]["rmse"])
    result["best_baseline"] = best
    result["skill"] = skill(
        result["mean"]["rmse"], result["baselines"][best]["mean"]["rmse"]
    )
    result["dm"], result["dm_p"] = diebold_mariano(
        origin_losses(truth, table[model], origins.folds),
        origin_losses(truth, ran[best], origins.folds),
        1,
    )
    return result


def format_baselines(result):
    """The baselines' pooled scores and the model's skill, and the notes,
    as text lines."""
    found = result.get("baselines") or {}
    if not found:
        return list(result.get("notes", []))
    lines = [
        "",
        "baselines (statsforecast, fit at every origin on the same rows; "
        f"season {result.get('season') or 'per series'}):",
    ]
    for name, entry in found.items():
        if "reason" in entry:
            lines.append(f"{name:>14}  did not run: {entry['reason']}")
            continue
        scores = entry["mean"]
        lines.append(
            f"{name:>14}  " + "  ".join(f"{scores[m]:>9.4g}" for m in METRICS)
        )
    best = result.get("best_baseline")
    if best is not None:
        lines.append(
            f"skill against {best} (lowest RMSE): {result['skill']:+.1f}% "
            f"RMSE; Diebold-Mariano p {format_p(result['dm_p'])} over the "
            "folds"
        )
    return lines + list(result.get("notes", []))
