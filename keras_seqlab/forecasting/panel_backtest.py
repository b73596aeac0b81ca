"""Rolling origins over every series of a long table.

Each series gets the last `folds` origins of its own, `horizon` steps
apart, the last one `horizon` steps before its end: fold k's origin of a
series of n rows is row n - (folds - k) * horizon. A saved panel
forecaster forecasts from every origin as it is; an architecture is
trained anew for each fold, one global model on every series' rows
before its fold-k origin (`fit_panel`, the last `val_size` of them for
early stopping), so no value at or after an origin reaches its forecast.

Scores are per fold (pooled over the series), per series (over its
folds) and overall; each forecast's MASE is scaled by the one-step naive
error of its own series' rows before its origin.
"""

import numpy as np

from keras_seqlab.data.panel import drop_last
from keras_seqlab.data.panel_windows import panel_windows
from keras_seqlab.forecasting.backtest_tables import Origins
from keras_seqlab.forecasting.backtest_tables import compare_origins
from keras_seqlab.forecasting.backtest_tables import format_baselines
from keras_seqlab.forecasting.backtest_tables import pooled_scores
from keras_seqlab.forecasting.baselines import window_jobs
from keras_seqlab.forecasting.cv_table import METRICS
from keras_seqlab.forecasting.cv_table import plain_dates
from keras_seqlab.forecasting.forecaster import forecaster_spec
from keras_seqlab.forecasting.metrics import naive_scale
from keras_seqlab.forecasting.panel import common_season
from keras_seqlab.forecasting.panel import fit_panel
from keras_seqlab.forecasting.panel import panel_seasons
from keras_seqlab.forecasting.panel import predict_windows
from keras_seqlab.layers.heads.quantiles import point_forecast
from keras_seqlab.utils.validation import check_units

OWNER = "backtest"


def _scales(panel, series, origin, seasons):
    """Per forecast, MASE's scale: its series' seasonal naive MAE before
    its origin (NaN where undefined: too few rows, a flat history)."""
    target = panel.values[:, 0].astype("float64")
    return np.array(
        [
            naive_scale(target[panel.offsets[i] : o], seasons[i])
            for i, o in zip(series, origin)
        ]
    )


def _origins(panel, series, origin, y, scales, fold):
    """The `Origins` of forecasts of `series` from rows `origin`."""
    dates = plain_dates(panel.dates)
    start = panel.offsets[series]
    if dates is None:  # rows counted from each series' start
        at = origin - start
        cutoffs = (at - 1).tolist()
        steps = (at[:, None] + np.arange(y.shape[1])).tolist()
    else:
        cutoffs = list(dates[origin - 1])
        steps = [list(dates[o : o + y.shape[1]]) for o in origin]
    ids = [str(panel.ids[i]) for i in series]
    return Origins(ids, cutoffs, steps, y, scales, fold)


def _fold_windows(panel, window, horizon, folds):
    """The windows of the last `folds` origins of every series."""
    return panel_windows(
        panel,
        window,
        horizon,
        stride=horizon,
        split="all",
        max_windows=folds,
        owner=OWNER,
    )


def backtest_panel(
    model,
    panel,
    folds=3,
    horizon=None,
    window=30,
    val_size=None,
    baselines=None,
    season=None,
    **training,
):
    """Forecasts every series from its last `folds` origins and scores them.

    Args:
        model: a panel forecaster (used as it is) or an architecture
            name (one global model trained per fold).
        panel: a `Panel` (`panel_from_frame`) with the model's inputs.
        folds: origins per series.
        horizon: steps per origin (default: the forecaster's; 1 for an
            architecture).
        window: an architecture's window.
        val_size: an architecture's validation steps per series before
            each origin (default as `fit_panel`).
        baselines: a `Baselines` (fit at every origin of every series,
            `backtest_tables.runner`) or None.
        season: MASE's and the baselines' seasonal period (default: each
            series' own from its dates, `panel_seasons`).
        **training: `fit_panel`'s training arguments (`epochs`, `units`,
            `patience`, `seed`, `batch_size`, `max_windows`, builder
            options).

    Returns:
        A dict: `target`, `horizon`, `folds` (per fold: `fold`, the
        `windows` scored and the pooled metrics), `series` (per series
        id: its metrics over its folds, `folds` scored), `mean` (every
        forecast pooled; MASE the mean of each forecast's); the tables
        and baseline comparison of `backtest_tables.compare_origins`.
    """
    folds = check_units(OWNER, folds, "folds")
    if isinstance(model, str):
        horizon = check_units(OWNER, horizon or 1, "horizon")
        window = check_units(OWNER, window, "window")
        quantiles = training.get("quantiles")
    else:
        spec = forecaster_spec(model)
        window, quantiles = spec["window"], spec["quantiles"]
        if horizon not in (None, spec["horizon"]):
            raise ValueError(
                f"{OWNER}: the panel forecaster forecasts {spec['horizon']} "
                f"step(s) from an origin; got `horizon` {horizon}."
            )
        horizon = spec["horizon"]
    windows = _fold_windows(panel, window, horizon, folds)
    if not len(windows):
        raise ValueError(
            f"{OWNER}: no series of {panel.describe()} is long enough for "
            f"an origin with window {window} and horizon {horizon}."
        )
    series, origin = windows.locate(np.arange(len(windows)))
    fold = (
        folds
        - windows.counts[series]
        + (np.arange(len(windows)) - windows.cumulative[series])
    )
    y = windows.targets().astype("float64")
    extra = () if quantiles is None else (len(quantiles),)
    raw = np.full(y.shape + extra, np.nan)
    if isinstance(model, str):
        for k in range(folds):
            cut = (folds - 1 - k) * horizon
            part = drop_last(panel, cut) if cut else panel
            fit = fit_panel(
                model,
                part,
                window,
                horizon,
                val_size=val_size,
                test_size=horizon,
                **training,
            )
            guess = predict_windows(fit.forecaster, fit.test)
            # fit.test holds each long-enough series' one window at its
            # fold-k origin; match them by id.
            index = {sid: j for j, sid in enumerate(fit.test.series_ids())}
            for j in np.flatnonzero(fold == k):
                sid = panel.ids[series[j]]
                if sid in index:
                    raw[j] = guess[index[sid]]
    else:
        raw = predict_windows(model, windows).astype("float64")
    f = point_forecast(raw, quantiles)
    done = np.isfinite(f).all(axis=1)
    seasons = panel_seasons(panel, season)
    naive = _scales(panel, series, origin, seasons)
    result = {
        "target": panel.target,
        "horizon": horizon,
        "folds": [],
        "series": {},
        "mean": pooled_scores(y[done], f[done], naive[done]),
        "skipped": int(len(panel) - len(np.unique(series[done]))),
        "season": common_season(seasons),
    }
    for k in range(folds):
        pick = done & (fold == k)
        if pick.any():
            entry = {"fold": k + 1, "windows": int(pick.sum())}
            entry.update(pooled_scores(y[pick], f[pick], naive[pick]))
            result["folds"].append(entry)
    for i in np.unique(series[done]):
        pick = done & (series == i)
        entry = pooled_scores(y[pick], f[pick], naive[pick])
        entry["folds"] = int(pick.sum())
        result["series"][str(panel.ids[i])] = entry
    found = _origins(
        panel, series[done], origin[done], y[done], naive[done], fold[done]
    )
    jobs = window_jobs(windows, seasons, refit=True, keep=done)
    return compare_origins(
        result,
        found,
        model if isinstance(model, str) else model.name,
        raw[done],
        quantiles,
        (baselines, jobs),
    )


def format_panel_backtest(result, shown=20):
    """Per fold and overall, then per series (at most `shown`), as text."""
    header = f"{'':>12}  " + "  ".join(f"{m:>9}" for m in METRICS)
    lines = [
        f"backtest of {result['target']} over {len(result['series'])} "
        f"series: {len(result['folds'])} origin(s) per series, "
        f"{result['horizon']} step(s) each",
        header,
    ]
    for fold in result["folds"]:
        name = f"fold {fold['fold']}"
        lines.append(
            f"{name:>12}  " + "  ".join(f"{fold[m]:>9.4g}" for m in METRICS)
        )
    lines.append(
        f"{'pooled':>12}  "
        + "  ".join(f"{result['mean'][m]:>9.4g}" for m in METRICS)
    )
    lines += ["", "per series:", header]
    items = list(result["series"].items())
    for sid, score in items[:shown]:
        lines.append(
            f"{sid[:12]:>12}  "
            + "  ".join(f"{score[m]:>9.4g}" for m in METRICS)
        )
    if len(items) > shown:
        lines.append(f"... {len(items) - shown} more series (--out)")
    lines += format_baselines(result)
    return "\n".join(lines)
