"""`seqlab compare`: train every architecture on one data set and rank them.

    plan = prepare(Settings(dataset="weather"), models=["lstm", "gru"])
    results = execute(plan, out="seqlab-compare")
    print(format_leaderboard(results))

Every model is trained and scored by `training.fit_and_score` (the same
seed for each, early stopping, best weights restored); the persistence
baseline has no weights and is only evaluated. Models are ranked by their
validation score; the test score is reported beside it. The data sets and
tasks are those of `keras_seqlab.experiments.tasks`.
"""

import math
import pathlib
import sys
import time

import keras

from keras_seqlab.experiments import interrupt
from keras_seqlab.experiments import plots as plotting
from keras_seqlab.experiments import tasks
from keras_seqlab.experiments.baseline_rows import baseline_runner
from keras_seqlab.experiments.baseline_rows import table_baselines
from keras_seqlab.experiments.panel_compare import PanelPlan
from keras_seqlab.experiments.panel_compare import execute_panel
from keras_seqlab.experiments.panel_compare import prepare_panel
from keras_seqlab.experiments.progress import TaskProgress
from keras_seqlab.experiments.progress import format_seconds
from keras_seqlab.experiments.reports import clear_previous
from keras_seqlab.experiments.reports import format_leaderboard
from keras_seqlab.experiments.reports import write_results
from keras_seqlab.experiments.settings import Settings
from keras_seqlab.experiments.tasks import label
from keras_seqlab.experiments.tasks import plan_forecaster
from keras_seqlab.experiments.training import calibrate
from keras_seqlab.experiments.training import fit_and_score
from keras_seqlab.experiments.training import last_step
from keras_seqlab.forecasting.conformal import conformalize
from keras_seqlab.models import supported_heads
from keras_seqlab.utils import backend as backend_choice
from keras_seqlab.utils import files

COMMAND = "seqlab compare"
DEFAULT_OUT = "seqlab-compare"
# Every trained model is saved as OUT/models/TASK/NAME.keras, a forecaster.
MODELS = "models"

__all__ = ["DEFAULT_OUT", "execute", "format_leaderboard", "prepare", "run"]


def run(
    settings=None,
    models=None,
    out=None,
    plots=True,
    progress=sys.stderr,
    verbose=False,
    **fields,
):
    """Trains and ranks the models; returns the results (a dict).

    Args:
        settings: a `Settings`, or None to make one from `**fields`
            (`dataset`, `csv`, `target`, `epochs`, ...; see `Settings`).
        models: names (a list or a comma-separated string) from
            `keras_seqlab.models.names()`; None for every one.
        out: folder to write `results.json`, `leaderboard.txt` and the
            PNG plots into (created); None writes nothing.
        plots: draw the plots (needs matplotlib; skipped with a note if
            it is missing).
        progress: stream for progress (None: silent): a bar per task on a
            terminal and a line per model.
        verbose: a line per epoch too.

    Returns:
        The `results.json` content: settings, per task the ranked results
        (`val_mse`, `test_mse`, `val_rmse`/`test_rmse` in original units
        for tables, `params`, `epochs`, `train_seconds`, `history`), the
        skipped models and the plot files.

    Raises:
        SettingsError: bad settings or data (before anything trains).
    """
    if settings is None:
        settings = Settings(**fields)
    elif fields:
        raise TypeError(
            "compare.run: pass either `settings` or setting keywords, got "
            f"both (settings and {', '.join(sorted(fields))})."
        )
    plan = prepare(settings, models)
    return execute(
        plan, out=out, plots=plots, progress=progress, verbose=verbose
    )


def prepare(settings, models=None):
    """The plan of checked `settings`: one series (`tasks.prepare`) or
    many series in a long table (`panel_compare.prepare_panel`).

    Raises:
        SettingsError: (a `ValueError`) for any bad setting or data.
    """
    if settings.validated().panel:
        return prepare_panel(settings, models)
    return tasks.prepare(settings, models)


def _sort_key(score):
    return math.inf if math.isnan(score) else score


def _run_task(plan, task, counter, progress, verbose=False, runner=None):
    """Trains and scores every model on one task, ranked by val metric.

    Returns the task's results entry, its test forecasts and forecasters
    by model and the count of models done so far (`counter` is (done,
    total)). `progress` shows a bar per task and a line per model, or with
    `verbose` a line per epoch too.
    """
    metric = plan.metric
    done, total = counter
    entry = {
        "task": task.name,
        "head": task.head,
        "horizon": task.horizon,
        "description": task.describe(),
        "samples": {
            "train": len(task.train[0]),
            "val": len(task.val[0]),
            "test": len(task.test[0]),
        },
        "results": [],
        "skipped": [],
    }
    names = [n for n in plan.models if task.head in supported_heads(n)]
    for name in plan.models:
        if name not in names:
            entry["skipped"].append(
                {"model": name, "reason": f"no {task.head} head"}
            )
    epochs = plan.settings.epochs
    bar = TaskProgress(
        progress, len(names), epochs, bar=False if verbose else None
    )
    if progress is not None:
        print(
            f"{task.name}: {task.describe()}; {len(names)} models of at "
            f"most {epochs} epochs",
            file=progress,
            flush=True,
        )
    forecasts, trained = {}, {}
    for name in names:
        done += 1
        line = f"[{done}/{total}] {task.name} {label(name)}"
        result, model, test_predictions = fit_and_score(
            plan,
            task,
            name,
            units=plan.settings.units_for(name),
            progress=progress if verbose else None,
            prefix=line + " ",
            callbacks=[bar.callback()],
        )
        forecasts[name] = last_step(task, test_predictions)
        trained[name] = plan_forecaster(plan, task, model, name)
        if plan.settings.calibrate:
            margin = calibrate(plan, task, model, result)
            quantiles = plan.settings.quantiles
            trained[name] = conformalize(
                trained[name], margin, quantiles[-1] - quantiles[0]
            )
        entry["results"].append(result)
        bar.model_done(
            result["epochs"], _model_line(line, result, metric, epochs)
        )
    bar.close()
    if runner is not None:
        table_baselines(plan, task, entry, runner, forecasts)
    entry["results"].sort(key=lambda r: _sort_key(r["val_" + metric]))
    for rank, result in enumerate(entry["results"], 1):
        result["rank"] = rank
    return entry, forecasts, trained, done


def _model_line(line, result, metric, epochs):
    if not result["epochs"]:
        trained = "no weights"
    else:
        stopped = ", stopped early" if result["epochs"] < epochs else ""
        trained = (
            f"{result['params']:,} params, best epoch {result['best_epoch']}"
            f"/{result['epochs']}{stopped}, "
            f"{format_seconds(result['train_seconds'])}"
        )
    return f"{line}: val {metric} {result['val_' + metric]:.5g}; {trained}"


def execute(plan, out=None, plots=True, progress=sys.stderr, verbose=False):
    """Runs a `prepare`d plan; see `run`.

    The output folder is checked and held before anything is printed or
    trained (`utils.files.folder_lock`). A long table's plan runs its
    global models (`panel_compare.execute_panel`; no plots yet).
    """
    run = execute_panel if isinstance(plan, PanelPlan) else _execute
    if out is None:
        return run(plan, None, progress, verbose, plots)
    with files.folder_lock(COMMAND, out):
        return run(plan, pathlib.Path(out), progress, verbose, plots)


def _execute(plan, out, progress, verbose, plots):
    start = time.perf_counter()
    s = plan.settings
    total = sum(
        1
        for task in plan.tasks
        for name in plan.models
        if task.head in supported_heads(name)
    )
    results = {
        "dataset": plan.dataset,
        "description": plan.description,
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "metric": plan.metric,
        "unit": plan.unit,
        "metrics": metric_units(plan),
        "target": plan.target_name,
        "settings": {
            "window": s.window,
            "horizon": s.horizon,
            "epochs": s.epochs,
            "batch_size": s.batch_size,
            "patience": s.patience,
            "units": s.units,
            "model_units": s.model_units,
            "scale": s.scale,
            "restore_best": s.restore_best,
            "split": s.split,
            "limit": s.limit,
            "seed": s.seed,
            "quantiles": None if s.quantiles is None else list(s.quantiles),
            "calibrate": s.calibrate,
            "heads": None if s.heads is None else list(s.heads),
            "models": list(plan.models),
            "season": plan.season,
            "baselines": list(s.baselines),
        },
        "tasks": [],
        "plots": [],
        "notes": [],
    }
    if progress is not None:
        print(
            # The description heads the leaderboard (stdout) at the end.
            f"{COMMAND}: {total} trainings on {plan.dataset}: "
            f"{len(plan.tasks)} task(s), at most {s.epochs} epochs"
            f"{'' if s.limit is None else f' and {s.limit} windows a split'}"
            f"; Keras {keras.__version__} on {backend_choice.describe()}",
            file=progress,
            flush=True,
        )
    forecasts, trained = {}, {}
    done = 0
    runner = baseline_runner(s)
    with interrupt.sticky():
        for task in plan.tasks:
            entry, forecasts[task.name], trained[task.name], done = _run_task(
                plan, task, (done, total), progress, verbose, runner
            )
            results["tasks"].append(entry)
        if any(
            math.isnan(r["test_mase"])
            for entry in results["tasks"]
            for r in entry["results"]
        ):
            results["notes"].append(
                f"MASE is NaN: the in-sample seasonal naive error (m="
                f"{plan.season}) of the training steps is 0 or undefined "
                "(a constant series, or too few steps), so there is no scale."
            )
        results["total_seconds"] = round(time.perf_counter() - start, 1)
        if out is not None:
            _write(plan, results, forecasts, trained, out, plots)
    if progress is not None:
        print(
            f"{COMMAND}: {done} models on {len(plan.tasks)} task(s) in "
            f"{format_seconds(time.perf_counter() - start)}",
            file=progress,
            flush=True,
        )
    return results


def _write(plan, results, forecasts, trained, folder, draw_plots):
    """The leaderboard and results first (what a full disk must not cost),
    then the models and plots, then results.json naming them; each file
    atomic. The files a previous run listed in its results.json go first,
    so that two runs never mix in one folder."""
    clear_previous(folder)
    write_results(folder, results)
    for entry in results["tasks"]:
        (folder / MODELS / entry["task"]).mkdir(parents=True, exist_ok=True)
        for result in entry["results"]:
            result["file"] = f"{MODELS}/{entry['task']}/{result['model']}.keras"
            model = trained[entry["task"]][result["model"]]
            files.save_model(model, folder / result["file"])
    if draw_plots:
        drawn = plotting.draw(plan, results, forecasts, folder)
        if drawn is None:
            results["notes"].append(
                "matplotlib is not installed: skipped the plots "
                "(pip install matplotlib)."
            )
        else:
            results["plots"] = drawn
    write_results(folder, results)


def metric_units(plan):
    """What each score in results.json measures: its unit and scaling."""
    unit = plan.unit
    scaled = plan.scaler is not None
    units = {
        "mse": {
            "unit": None if scaled or unit is None else f"{unit}^2",
            "scaled": scaled,
            "what": "mean squared error of the forecast after the window "
            "(the last step for seq-to-seq), in the units the model was "
            "trained in",
        },
        "mae": {"unit": unit, "scaled": False, "what": "mean absolute error"},
        "mase": {
            "unit": None,
            "scaled": False,
            "what": "MAE over the in-sample seasonal naive MAE of the "
            "training rows (synthetic: windows), m = settings.season; NaN "
            "where that is 0 (a constant series)",
        },
        "smape": {"unit": "%", "scaled": False, "what": "symmetric MAPE"},
    }
    if scaled:
        units["rmse"] = {
            "unit": unit,
            "scaled": False,
            "what": "root mean squared error in original units",
        }
    if plan.settings.quantiles is not None:
        units["pinball"] = {"unit": unit, "scaled": False, "what": "pinball"}
        units["coverage"] = {"unit": None, "scaled": False, "what": "share"}
        units["width"] = {"unit": unit, "scaled": False, "what": "interval"}
    units["history.loss"] = {
        "unit": None,
        "scaled": scaled,
        "what": "the training loss, all output steps",
    }
    return units
