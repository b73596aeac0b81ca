"""The end of a search: the best trials, the test scores, the files.

`summarize` scores the best trial's model and the untuned builder on the
validation and test splits; `write` saves `best_model.keras` and
`summary.json`.
"""

import json
import warnings

import keras
import keras_tuner

from keras_seqlab.experiments.panel_compare import fit_plan
from keras_seqlab.experiments.tasks import plan_forecaster
from keras_seqlab.experiments.training import fit_and_score
from keras_seqlab.experiments.training import predict_scores
from keras_seqlab.forecasting.panel import panel_forecaster
from keras_seqlab.forecasting.panel import panel_scores
from keras_seqlab.forecasting.panel import predict_windows
from keras_seqlab.tuning.tuners import trial_values
from keras_seqlab.utils import files

TOP = 5
SUMMARY_FILE = "summary.json"
BEST_MODEL_FILE = "best_model.keras"


def _trial_row(trial):
    return {
        "trial_id": trial.trial_id,
        "status": trial.status,
        "score": None if trial.score is None else float(trial.score),
        "best_epoch": None if trial.best_step is None else trial.best_step + 1,
        "hyperparameters": trial_values(trial.hyperparameters),
    }


def _is_panel(setup):
    return getattr(setup.task, "panel", False)


def _panel_scores(setup, forecaster):
    """Pooled scores of a panel forecaster on the search's val and test
    windows (`keras_seqlab.forecasting.panel.panel_scores`)."""
    scores = {}
    quantiles = setup.plan.settings.quantiles
    for split, windows in zip(("val", "test"), setup.task.windows[1:]):
        predictions = predict_windows(forecaster, windows)
        seasons = setup.plan.seasons
        pooled = panel_scores(windows, predictions, quantiles, seasons)
        pooled = pooled["pooled"]
        scores.update({f"{split}_{k}": v for k, v in pooled.items()})
    return scores


def _predict_scores(setup, model):
    if _is_panel(setup):
        return _panel_scores(setup, panel_forecaster(model))
    return predict_scores(setup.plan, setup.task, model)[0]


def _samples(setup):
    if _is_panel(setup):
        return dict(zip(("train", "val", "test"), map(len, setup.task.windows)))
    return {
        split: len(getattr(setup.task, split)[0])
        for split in ("train", "val", "test")
    }


def best_model(tuner, say):
    """`(trial, model)`: the best trial whose checkpoint loads.

    A recorded trial whose checkpoint is missing or unreadable (deleted,
    or a worker that reported without writing it) is skipped with a
    message: an error of that trial, not of the search.

    Raises:
        RuntimeError: no completed trial has a checkpoint that loads.
    """
    problems = []
    for trial in tuner.oracle.get_best_trials(len(tuner.oracle.trials)):
        try:
            with warnings.catch_warnings():
                # keras-tuner's checkpoints hold the optimizer's state, which
                # a freshly compiled model does not have yet: nothing is lost.
                warnings.filterwarnings("ignore", "Skipping variable loading")
                return trial, tuner.load_model(trial)
        except (OSError, ValueError) as error:
            text = str(error).strip().splitlines()
            problems.append(
                f"trial {trial.trial_id}: {text[0] if text else error}"
            )
            say(
                f"seqlab tune: skipped trial {trial.trial_id} (score "
                f"{trial.score}): its checkpoint does not load: {problems[-1]}"
            )
    raise RuntimeError(
        "no completed trial has a checkpoint that loads"
        + (f" ({'; '.join(problems)})" if problems else "")
        + "; run the search again with `overwrite`."
    )


def _train_default(setup, say):
    """The untuned builder (its defaults, no options) trained like a trial."""
    name = setup.settings["architecture"]
    say(f"seqlab tune: training the untuned {name} builder")
    if _is_panel(setup):
        return _train_panel_default(setup, name)
    result, _, _ = fit_and_score(setup.plan, setup.task, name, options={})
    keys = ("params", "epochs", "train_seconds")
    return {
        **{key: result[key] for key in keys},
        **{k: v for k, v in result.items() if k.startswith(("val_", "test_"))},
    }


def _train_panel_default(setup, name):
    fit = fit_plan(setup.plan, name)
    return {
        "params": int(fit.forecaster.count_params()),
        "epochs": len(fit.history.get("loss", [])),
        "train_seconds": round(fit.seconds, 3),
        **_panel_scores(setup, fit.forecaster),
    }


def summarize(setup, tuner, seconds, description, say=None):
    """`(results, best model)` of a finished search; results: `summary.json`."""
    say = say or (lambda message: None)
    trials = sorted(tuner.oracle.trials.values(), key=lambda t: t.trial_id)
    best = tuner.oracle.get_best_trials(TOP)
    chosen, model = best_model(tuner, say)
    if chosen.trial_id != best[0].trial_id:
        best = [chosen] + [t for t in best if t is not chosen][: TOP - 1]
    # Saved with its optimizer's variables, so that loading it is quiet.
    model.optimizer.build(model.trainable_variables)
    metric = setup.plan.metric
    results = {
        "architecture": setup.settings["architecture"],
        "description": description,
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "keras_tuner": keras_tuner.__version__,
        "settings": setup.settings,
        "metric": metric,
        "unit": setup.plan.unit,
        "samples": _samples(setup),
        "search_seconds": round(seconds, 1),
        "completed": sum(t.status == "COMPLETED" for t in trials),
        "trials": [_trial_row(t) for t in trials],
        "best_trials": [t.trial_id for t in best],
        "best": {
            **_trial_row(best[0]),
            "params": int(model.count_params()),
            **_predict_scores(setup, model),
        },
        "default": _train_default(setup, say),
    }
    return results, model


def write(setup, results, model):
    """Writes `model` as a forecaster (`best_model.keras`: raw windows in,
    original units out) and `summary.json`, each file atomically."""
    folder = setup.project
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{setup.settings['architecture']}_tuned"
    if _is_panel(setup):
        best = panel_forecaster(model, name=name)
    else:
        best = plan_forecaster(setup.plan, setup.task, model, name=name)
    files.save_model(best, folder / BEST_MODEL_FILE)
    results["files"] = [
        str(folder / BEST_MODEL_FILE),
        str(folder / SUMMARY_FILE),
    ]
    files.write_text(
        folder / SUMMARY_FILE, json.dumps(results, indent=1) + "\n"
    )
