"""`seqlab compare` over many series: one global model per architecture.

A long table (`--csv PATH --id-column COL`, or `--dataset
weather-cities`) becomes a `Panel` (`keras_seqlab.data.panel`); every
architecture is trained once over every series (`fit_panel`) and scored
on the same test steps of every series, pooled and per series. The
results have the shape of the one-series comparison (one task, ranked by
the pooled validation RMSE), plus `series`: each series' test scores by
model.
"""

import dataclasses
import math
import time

import keras
import numpy as np

from keras_seqlab.data.datasets import weather_cities
from keras_seqlab.data.panel import panel_from_frame
from keras_seqlab.data.panel import read_table
from keras_seqlab.data.panel_windows import default_size
from keras_seqlab.data.panel_windows import panel_splits
from keras_seqlab.experiments import interrupt
from keras_seqlab.experiments.baseline_rows import baseline_runner
from keras_seqlab.experiments.baseline_rows import panel_baselines
from keras_seqlab.experiments.progress import TaskProgress
from keras_seqlab.experiments.progress import format_seconds
from keras_seqlab.experiments.reports import clear_previous
from keras_seqlab.experiments.reports import write_results
from keras_seqlab.experiments.settings import SettingsError
from keras_seqlab.experiments.tasks import COMPARE_OPTIONS
from keras_seqlab.experiments.tasks import choose_models
from keras_seqlab.experiments.tasks import label
from keras_seqlab.experiments.training import EpochProgress
from keras_seqlab.forecasting.metrics import coverage
from keras_seqlab.forecasting.metrics import interval_width
from keras_seqlab.forecasting.metrics import pinball
from keras_seqlab.forecasting.panel import common_season
from keras_seqlab.forecasting.panel import fit_panel
from keras_seqlab.forecasting.panel import panel_scores
from keras_seqlab.forecasting.panel import panel_seasons
from keras_seqlab.forecasting.panel import predict_windows
from keras_seqlab.utils import backend as backend_choice
from keras_seqlab.utils import files

COMMAND = "seqlab compare"
TASK = "panel"
MODELS = "models"
WEATHER_CITIES = {
    "id_column": "city",
    "date_column": "DATE",
    "target": "temp_mean",
    "calendar": ("dayofyear",),
}


# The settings a table's error may name (as `name`, a flag on the CLI).
_ROLE_FIELDS = (
    "id_column",
    "date_column",
    "target",
    "columns",
    "future_columns",
    "static_columns",
    "calendar",
)


@dataclasses.dataclass
class PanelPlan:
    """A comparison over the series of a long table."""

    dataset: str
    description: str
    panel: object
    models: list
    settings: object
    horizon: int
    val_size: int
    test_size: int
    max_windows: int | None
    seasons: np.ndarray | None = None
    metric: str = "rmse"
    unit: str | None = None


def _frame(s):
    if s.dataset == "weather-cities":
        return weather_cities(), dict(WEATHER_CITIES)
    frame = read_table("seqlab compare", s.csv, s.id_column)
    return frame, {
        "id_column": s.id_column,
        "date_column": s.date_column,
        "target": s.target,
        "calendar": (),
    }


def prepare_panel(settings, models=None):
    """A `PanelPlan` of checked settings whose data is a long table.

    Raises:
        SettingsError: bad settings, a table `panel_from_frame` refuses,
            or no series long enough for a window in each split.
    """
    s = settings.validated()
    names = choose_models(models)
    try:
        frame, roles = _frame(s)
        if s.target is not None:
            roles["target"] = s.target
        if s.calendar is not None:
            roles["calendar"] = s.calendar
        past = s.columns
        if past is not None:  # `--columns temp_mean`: the target alone
            past = [c for c in past if c != roles["target"]]
        panel = panel_from_frame(
            frame,
            roles["id_column"],
            roles["target"],
            roles["date_column"],
            past_columns=past,
            future_columns=s.future_columns,
            static_columns=s.static_columns,
            calendar=roles["calendar"],
            owner="seqlab compare",
        )
    except (ValueError, FileNotFoundError) as error:
        text = str(error).removeprefix("seqlab compare: ")
        raise SettingsError(text, *_ROLE_FIELDS) from None
    horizon = s.horizon or 1
    default = default_size(panel, horizon)
    val = default if s.val_size is None else s.val_size
    test = default if s.test_size is None else s.test_size
    cap = s.max_windows
    if s.limit is not None:
        # `limit` windows a split in all: spread over the series.
        share = max(1, math.ceil(s.limit / len(panel)))
        cap = share if cap is None else min(cap, share)
    try:
        splits = panel_splits(
            panel,
            s.window,
            horizon,
            val,
            test,
            max_windows=cap,
            owner="seqlab compare",
        )
    except ValueError as error:
        raise SettingsError(
            str(error).removeprefix("seqlab compare: "),
            "val_size",
            "test_size",
        ) from None
    for part in splits:
        if not len(part):
            raise SettingsError(
                f"no series of {panel.describe()} has a {part.split} window "
                f"of `window` {s.window} and `horizon` {horizon} with "
                f"`val_size` {val} and `test_size` {test} steps per series.",
                "window",
                "horizon",
                "val_size",
                "test_size",
            )
    skipped = splits[0].skipped
    past = ", ".join(panel.columns[1:]) or "none"
    known = ", ".join(panel.known_columns) or "none"
    static = ", ".join(panel.static_columns) or "none"
    if s.id_embedding:
        static += f"; a {s.id_embedding}-wide embedding of the series id"
    description = (
        f"{s.dataset}: {panel.target} of {panel.describe()}"
        + (f" ({skipped} too short to train on)" if skipped else "")
        + f"; one global model per architecture; past inputs: {past}; "
        f"known-future inputs: {known}; static: {static}; the last "
        f"{val} and {test} steps of every series for validation and "
        f"test; the target scaled by each window's own statistics; "
        f"window {s.window}"
        + (f", at most {cap} windows a series" if cap else "")
    )
    return PanelPlan(
        s.dataset,
        description,
        panel,
        names,
        s,
        horizon,
        val,
        test,
        cap,
        panel_seasons(panel, s.season),
    )


def _scores(plan, fit, split):
    windows = getattr(fit, split)
    predictions = predict_windows(fit.forecaster, windows)
    quantiles = plan.settings.quantiles
    scored = panel_scores(windows, predictions, quantiles, plan.seasons)
    result = {f"{split}_{k}": v for k, v in scored["pooled"].items()}
    if quantiles is not None:
        y = windows.targets()
        result[f"{split}_pinball"] = pinball(y, predictions, quantiles)
        result[f"{split}_coverage"] = coverage(
            y, predictions[..., 0], predictions[..., -1]
        )
        result[f"{split}_width"] = interval_width(
            predictions[..., 0], predictions[..., -1]
        )
    return result, scored["series"], predictions


def fit_plan(plan, name, units=32, callbacks=(), **options):
    """`fit_panel` of architecture `name` on a `PanelPlan`: its panel,
    splits and training settings (what compare and the untuned baseline
    of a tune both train)."""
    s = plan.settings
    return fit_panel(
        name,
        plan.panel,
        s.window,
        plan.horizon,
        val_size=plan.val_size,
        test_size=plan.test_size,
        units=units,
        epochs=s.epochs,
        batch_size=s.batch_size,
        patience=s.patience,
        seed=s.seed,
        quantiles=s.quantiles,
        max_windows=plan.max_windows,
        restore_best=s.restore_best,
        id_embedding=s.id_embedding or 0,
        callbacks=callbacks,
        **options,
    )


def _train(plan, name, bar, epoch_lines=None):
    options = dict(COMPARE_OPTIONS.get(name, {}))
    shown = dict(options)
    fit = fit_plan(
        plan,
        name,
        units=plan.settings.units_for(name),
        callbacks=[
            interrupt.StopOnInterrupt(),
            bar.callback(),
            *([epoch_lines] if epoch_lines is not None else []),
        ],
        **options,
    )
    val = _scores(plan, fit, "val")[0]
    test, series, predictions = _scores(plan, fit, "test")
    history = fit.history
    result = {
        "model": name,
        "label": label(name, shown),
        "options": shown,
        "params": int(fit.forecaster.count_params()),
        **val,
        **test,
        "epochs": len(history.get("loss", [])),
        "best_epoch": (
            int(np.argmin(history["val_loss"])) + 1 if history else 0
        ),
        "train_seconds": round(fit.seconds, 3),
        "history": history,
    }
    return result, series, fit, predictions


def execute_panel(plan, out, progress, verbose, plots):
    """Trains and scores every model of a `PanelPlan`; see `compare.run`,
    which holds the folder `out` (a `pathlib.Path`, or None: nothing
    written) while this runs.

    `out` gets `results.json`, `leaderboard.txt` and
    `models/panel/NAME.keras`. `verbose` prints a line per epoch; no plots
    are drawn for a long table yet (a note in the results says so when
    `plots` asks for them).
    """
    start = time.perf_counter()
    s = plan.settings
    total = len(plan.models)
    if progress is not None:
        print(
            f"{COMMAND}: {total} global model{'' if total == 1 else 's'} "
            f"on {plan.dataset} "
            f"({plan.panel.describe()}), at most {s.epochs} epochs; Keras "
            f"{keras.__version__} on {backend_choice.describe()}",
            file=progress,
            flush=True,
        )
    bar = TaskProgress(
        progress, total, s.epochs, bar=False if verbose else None
    )
    entry = {
        "task": TASK,
        "head": "many_to_one" if plan.horizon == 1 else "seq_to_vector",
        "horizon": plan.horizon,
        "description": (
            f"the next {plan.horizon} value(s) of every series, one model"
        ),
        "samples": {},
        "results": [],
        "skipped": [],
        "series": {},
    }
    trained, predictions = {}, {}
    runner = baseline_runner(s)
    with interrupt.sticky():
        for done, name in enumerate(plan.models, 1):
            line = f"[{done}/{total}] {TASK} {label(name)}"
            lines = None
            if verbose and progress is not None:
                lines = EpochProgress(s.epochs, line + " ", stream=progress)
            result, series, fit, predictions[name] = _train(
                plan, name, bar, lines
            )
            entry["samples"] = {
                split: len(getattr(fit, split))
                for split in ("train", "val", "test")
            }
            for series_id, score in series.items():
                entry["series"].setdefault(series_id, {})[name] = score
            trained[name] = fit.forecaster
            entry["results"].append(result)
            bar.model_done(
                result["epochs"],
                f"{line}: val rmse {result['val_rmse']:.5g}, test rmse "
                f"{result['test_rmse']:.5g} "
                f"({format_seconds(result['train_seconds'])})",
            )
        bar.close()
        if runner is not None:
            panel_baselines(plan, entry, fit.test, runner, predictions)
        entry["results"].sort(
            key=lambda r: (
                math.inf if math.isnan(r["val_rmse"]) else r["val_rmse"]
            )
        )
        for rank, result in enumerate(entry["results"], 1):
            result["rank"] = rank
        results = _results(plan, entry)
        undefined = [
            sid
            for sid, scores in entry["series"].items()
            if any(math.isnan(v["mase"]) for v in scores.values())
        ]
        if undefined:
            results["notes"].append(
                f"MASE is NaN for {len(undefined)} series "
                f"({', '.join(undefined[:5])}"
                f"{', ...' if len(undefined) > 5 else ''}): the in-sample "
                "seasonal naive error of their training steps is 0 or "
                "undefined (constant, or too few steps); the pooled MASE "
                "leaves them out."
            )
        if plots and out is not None:
            results["notes"].append(
                "No plots for a long table yet: seqlab forecast MODEL --csv "
                "TABLE --plot FILE.png draws three of its series."
            )
        results["total_seconds"] = round(time.perf_counter() - start, 1)
        if out is not None:
            _write(results, trained, out)
    return results


def _results(plan, entry):
    s = plan.settings
    p = plan.panel
    return {
        "dataset": plan.dataset,
        "description": plan.description,
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "metric": "rmse",
        "unit": None,
        "target": p.target,
        "panel": {
            "series": len(p),
            "id_column": p.id_column,
            "date_column": p.date_column,
            "past_columns": list(p.columns[1:]),
            "known_columns": list(p.known_columns),
            "static_columns": list(p.static_columns),
            "val_size": plan.val_size,
            "test_size": plan.test_size,
            "max_windows": plan.max_windows,
            "id_embedding": s.id_embedding,
            "seasons": dict(zip(map(str, p.ids), plan.seasons.tolist())),
        },
        "settings": {
            "window": s.window,
            "horizon": plan.horizon,
            "epochs": s.epochs,
            "batch_size": s.batch_size,
            "patience": s.patience,
            "units": s.units,
            "model_units": s.model_units,
            "restore_best": s.restore_best,
            "limit": s.limit,
            "seed": s.seed,
            "quantiles": None if s.quantiles is None else list(s.quantiles),
            "calibrate": False,
            "models": list(plan.models),
            "season": common_season(plan.seasons),
            "baselines": list(s.baselines),
        },
        "tasks": [entry],
        "plots": [],
        "notes": [],
    }


def _write(results, trained, folder):
    """As the one-series comparison: the leaderboard and results first,
    then the models, then results.json naming them."""
    clear_previous(folder)
    write_results(folder, results)
    (folder / MODELS / TASK).mkdir(parents=True, exist_ok=True)
    for result in results["tasks"][0]["results"]:
        result["file"] = f"{MODELS}/{TASK}/{result['model']}.keras"
        files.save_model(trained[result["model"]], folder / result["file"])
    write_results(folder, results)
