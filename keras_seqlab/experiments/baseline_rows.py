"""Classical baselines beside the neural models of a comparison.

For every task the baselines of `settings.baselines` (statsforecast, see
`keras_seqlab.forecasting.baselines`) forecast exactly the test targets
the neural models are scored on, from the same origins:

- a table (one series): one fit on every row before the first test
  target (the rows the first test window reads included, as the neural
  model reads them), then rolled forward over the test origins with the
  parameters fixed; the one-step and H-step tasks share that fit;
- synthetic series: every test window is its own series, fit on its
  window (the neural model's input) and forecast from its end;
- a long table: one fit per series on its rows before its first test
  target, rolled forward over its test origins.

Their rows (`entry["baselines"]`) hold the same test scores (or the
`reason` a baseline could not run); every neural row gets `test_skill`,
its skill against the best baseline (the lowest test score, the hardest
competitor), and `test_dm`, `test_dm_p`: the Diebold–Mariano test of its
squared errors per origin against that baseline's
(`keras_seqlab.forecasting.significance`).
"""

import math

import numpy as np

from keras_seqlab.experiments.training import last_step
from keras_seqlab.experiments.training import original
from keras_seqlab.experiments.training import original_scores
from keras_seqlab.forecasting.baselines import Baselines
from keras_seqlab.forecasting.baselines import Job
from keras_seqlab.forecasting.baselines import window_jobs
from keras_seqlab.forecasting.panel import panel_scores
from keras_seqlab.forecasting.significance import diebold_mariano
from keras_seqlab.forecasting.significance import origin_losses
from keras_seqlab.forecasting.significance import skill
from keras_seqlab.layers.heads.quantiles import point_forecast


def table_baselines(plan, task, entry, runner, predictions):
    """`entry["baselines"]` of a one-series task, and every neural row's
    skill and test against the best; `predictions` are the neural
    models' test predictions after the window, by name (the units they
    were trained in, as `training.scores` takes them)."""
    y = last_step(task, task.test[1])
    truth = original(plan, y)

    def score(name, forecasts):
        trained = forecasts
        if plan.scaler is not None:
            trained = plan.scaler.transform(
                forecasts, columns=plan.target_index
            )
        return {
            "mse": float(np.mean((trained - y) ** 2)),
            **original_scores(plan, task, truth, forecasts),
        }

    jobs = table_jobs(plan, task)
    rows, found = baseline_rows(runner, jobs, task.horizon, score)
    entry["baselines"] = rows
    quantiles = plan.settings.quantiles
    losses = {
        name: origin_losses(
            truth, original(plan, point_forecast(values, quantiles))
        )
        for name, values in predictions.items()
    }
    # Synthetic test windows are separate series: no overlap between
    # their forecasts, so no autocorrelation to account for.
    horizon = 1 if plan.series is None else task.horizon
    found = {name: origin_losses(truth, f) for name, f in found.items()}
    against_best(entry, plan.metric, losses, found, horizon)


def panel_baselines(plan, entry, windows, runner, predictions):
    """`entry["baselines"]` of a long table's test `windows`, their scores
    per series in `entry["series"]`, and every neural row's skill and
    test against the best baseline (the loss per origin averaged over
    the series at each test step: the series' errors on one day are not
    independent)."""
    seasons = plan.seasons

    def score(name, forecasts):
        scored = panel_scores(windows, forecasts, None, seasons)
        for series_id, scores in scored["series"].items():
            entry["series"].setdefault(series_id, {})[name] = scores
        return scored["pooled"]

    jobs = window_jobs(windows, seasons)
    rows, found = baseline_rows(runner, jobs, plan.horizon, score)
    entry["baselines"] = rows
    truth = windows.targets()
    series = windows.locate(np.arange(len(windows)))[0]
    positions = np.arange(len(windows)) - windows.cumulative[series]
    quantiles = plan.settings.quantiles
    losses = {
        name: origin_losses(truth, point_forecast(values, quantiles), positions)
        for name, values in predictions.items()
    }
    found = {
        name: origin_losses(truth, f, positions) for name, f in found.items()
    }
    against_best(entry, "rmse", losses, found, plan.horizon)


def table_jobs(plan, task):
    """The baseline jobs of a one-series plan's task, in the order of
    `task.test`: the table's target, or each synthetic test window."""
    if plan.series is None:
        x = np.asarray(task.test[0][..., plan.target_index], dtype="float64")
        end = np.array([x.shape[1]])
        return [
            Job(f"test window {i}", x[i], end, x.shape[1], plan.season)
            for i in range(len(x))
        ]
    origins = task.test_origins
    return [
        Job(
            plan.target_name, plan.series, origins, int(origins[0]), plan.season
        )
    ]


def baseline_rows(runner, jobs, horizon, score):
    """One result row per baseline of `runner` (a `Baselines`).

    `score(name, forecasts)` gives the test scores of `(N, H)` forecasts
    in original units (keys without the `test_` prefix). Returns the rows
    and the forecasts by baseline name (of those that ran).
    """
    rows, found = [], {}
    for name in runner.names:
        outcome = runner.run(name, jobs, horizon)
        row = {
            "model": name,
            "label": name,
            "baseline": True,
            "seconds": round(outcome.seconds, 3),
        }
        if outcome.reason is None:
            scores = score(name, outcome.forecasts)
            row.update({f"test_{k}": v for k, v in scores.items()})
            found[name] = outcome.forecasts
        else:
            row["reason"] = outcome.reason
        rows.append(row)
    return rows, found


def against_best(entry, metric, losses, baseline_losses, horizon):
    """Adds the skill and Diebold–Mariano test against the best baseline
    to every neural row of `entry` (`losses` by model name, per origin,
    as `origin_losses`); `entry["best_baseline"]` names it (None: no
    baseline ran)."""
    key = f"test_{metric}"
    ran = [
        r
        for r in entry["baselines"]
        if r["model"] in baseline_losses and math.isfinite(r.get(key, math.nan))
    ]
    entry["best_baseline"] = None
    if not ran:
        return
    best = min(ran, key=lambda r: r[key])
    entry["best_baseline"] = best["model"]
    for row in entry["results"]:
        row["test_skill"] = skill(row[key], best[key])
        row["test_dm"], row["test_dm_p"] = diebold_mariano(
            losses[row["model"]], baseline_losses[best["model"]], horizon
        )


def baseline_runner(settings):
    """A `Baselines` of checked `settings`, or None for no baselines."""
    if not settings.baselines:
        return None
    return Baselines(settings.baselines, owner="seqlab compare")
