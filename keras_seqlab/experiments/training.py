"""Training and scoring one model: what compare and tune both do.

`fit_and_score` builds an architecture, trains it with Adam on the MSE
loss and early stopping on the validation loss (best weights restored),
after `keras.utils.set_random_seed(seed)`, and scores it on the
validation and test splits. Models without weights (persistence) are
only evaluated.
"""

import math
import sys
import time

import keras
import numpy as np

from keras_seqlab.experiments import interrupt
from keras_seqlab.experiments.tasks import COMPARE_OPTIONS
from keras_seqlab.experiments.tasks import label
from keras_seqlab.models import build
from keras_seqlab.models.training import MONITOR
from keras_seqlab.models.training import fit


class EpochProgress(keras.callbacks.Callback):
    """One line per epoch: `PREFIX epoch N/E: loss L, val_loss V`.

    With `seconds` the time since training began follows in brackets.
    `stream` None is `sys.stderr` at the time of printing (the callback
    stays deep-copyable, as keras-tuner needs).
    """

    def __init__(self, epochs, prefix="", stream=None, seconds=True):
        super().__init__()
        self.epochs = epochs
        self.prefix = prefix
        self.stream = stream
        self.seconds = seconds

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        line = (
            f"{self.prefix}epoch {epoch + 1}/{self.epochs}: loss "
            f"{logs.get('loss', math.nan):.5g}, {MONITOR} "
            f"{logs.get(MONITOR, math.nan):.5g}"
        )
        if self.seconds:
            line += f" ({time.perf_counter() - self.start:.1f} s)"
        print(line, file=self.stream or sys.stderr, flush=True)


def last_step(task, values):
    """The forecast after the window: the last step's for seq-to-seq."""
    return values[:, -1] if task.head == "seq_to_seq" else values


def scores(plan, task, y, predictions):
    """{"mse": ..., ["rmse": ... in original units]} of the last step."""
    y, predictions = last_step(task, y), last_step(task, predictions)
    result = {"mse": float(np.mean((predictions - y) ** 2))}
    if plan.scaler is not None:
        truth = plan.scaler.inverse_transform(y, columns=plan.target_index)
        guess = plan.scaler.inverse_transform(
            predictions, columns=plan.target_index
        )
        result["rmse"] = float(np.sqrt(np.mean((guess - truth) ** 2)))
    return result


def predict(model, x):
    return np.asarray(model.predict(x, batch_size=256, verbose=0))


def predict_scores(plan, task, model):
    """`{"val_mse": ..., "test_mse": ..., ...}` and the test predictions."""
    result = {}
    for split in ("val", "test"):
        x, y = getattr(task, split)
        predictions = predict(model, x)
        for key, value in scores(plan, task, y, predictions).items():
            result[f"{split}_{key}"] = value
    return result, predictions


def fit_and_score(
    plan, task, name, units=None, options=None, progress=None, prefix=""
):
    """Builds, trains and scores architecture `name` on `task`.

    Args:
        plan: the experiment's `Plan` (data, settings, scaler).
        task: one of `plan.tasks`.
        name: an architecture of `keras_seqlab.models.names()`.
        units: the model width (None: the builder's default).
        options: the builder's options (default: `COMPARE_OPTIONS`).
        progress: stream for one line per epoch (None: silent).
        prefix: what each progress line starts with.

    Returns:
        `(result, model, test_predictions)`; `result` holds the model's
        name, label, options, parameter count, `val_*`/`test_*` scores,
        epochs run, best epoch, training seconds and the history.
    """
    settings = plan.settings
    keras.utils.set_random_seed(settings.seed)
    if options is None:
        options = dict(COMPARE_OPTIONS.get(name, {}))
    shown = dict(options)
    if name == "persistence":
        options["target_index"] = plan.target_index
    if units is not None:
        options["units"] = units
    model = build(
        name,
        (settings.window, plan.features),
        head=task.head,
        horizon=task.horizon,
        **options,
    )
    callbacks = [interrupt.StopOnInterrupt()]
    if progress is not None:
        callbacks.append(
            EpochProgress(settings.epochs, prefix, stream=progress)
        )
    history, seconds = fit(
        model,
        task.train,
        task.val,
        settings.epochs,
        batch_size=settings.batch_size,
        patience=settings.patience,
        callbacks=callbacks,
    )
    best = int(np.argmin(history[MONITOR])) + 1 if history else 0
    scored, test_predictions = predict_scores(plan, task, model)
    result = {
        "model": name,
        "label": label(name, shown),
        "options": shown,
        "params": int(model.count_params()),
        **scored,
        "epochs": len(history.get("loss", [])),
        "best_epoch": best,
        "train_seconds": round(seconds, 3),
        "history": history,
    }
    return result, model, test_predictions
