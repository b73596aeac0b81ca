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
from keras_seqlab.forecasting.conformal import conformal_margin
from keras_seqlab.forecasting.metrics import PinballLoss
from keras_seqlab.forecasting.metrics import coverage
from keras_seqlab.forecasting.metrics import interval_width
from keras_seqlab.forecasting.metrics import mae
from keras_seqlab.forecasting.metrics import naive_scale
from keras_seqlab.forecasting.metrics import pinball
from keras_seqlab.forecasting.metrics import rmse
from keras_seqlab.forecasting.metrics import smape
from keras_seqlab.layers.heads.quantiles import ConformalInterval
from keras_seqlab.layers.heads.quantiles import median_index
from keras_seqlab.models import build
from keras_seqlab.models.training import MONITOR
from keras_seqlab.models.training import fit
from keras_seqlab.models.training import predict


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


class ValidationScore(keras.callbacks.Callback):
    """Adds the leaderboard's validation score to each epoch's logs.

    `val_<metric>` (`plan.metric`: the last step's MSE, or RMSE in original
    units for scaled tables), so that a learning curve plots the number the
    leaderboard ranks by, not the training loss (all steps, scaled). With
    the best weights restored, the leaderboard's value is this curve at the
    best epoch.
    """

    def __init__(self, plan, task):
        super().__init__()
        self.plan = plan
        self.task = task

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        key = "val_" + self.plan.metric
        if self._is_the_loss() and MONITOR in logs:
            # The MSE of every output in the units trained in: Keras's own.
            logs[key] = float(logs[MONITOR])
            return
        x, y = self.task.val
        scored = scores(self.plan, self.task, y, predict(self.model, x))
        logs[key] = scored[self.plan.metric]

    def _is_the_loss(self):
        return (
            self.plan.metric == "mse"
            and self.plan.settings.quantiles is None
            and self.task.head != "seq_to_seq"
        )


def last_step(task, values):
    """The forecast after the window: the last step's for seq-to-seq."""
    return values[:, -1] if task.head == "seq_to_seq" else values


def original(plan, values):
    """Target values (any shape) in the target's original units."""
    if plan.scaler is None:
        return values
    return plan.scaler.inverse_transform(values, columns=plan.target_index)


def naive_error(plan, task):
    """MASE's scale (original units): the in-sample seasonal naive MAE,
    mean |x_t - x_{t-m}| (m = `plan.season`), of a table's training rows,
    or pooled over the synthetic training windows (each window its own
    series, so no step crosses from one series to another). NaN where it
    is undefined (a constant series: MASE is NaN, never inf)."""
    if plan.insample is not None:
        return naive_scale(plan.insample, plan.season)
    x = original(plan, task.train[0][..., plan.target_index])
    return naive_scale(x.T, plan.season, pooled=True)


def scores(plan, task, y, predictions):
    """The scores of the forecasts after the window (the last step's for
    seq-to-seq): `mse` (the units the model was trained in: the ranking),
    and in original units `mae`, `mase`, `smape`, `rmse` (scaled data);
    for quantile models also `pinball`, the `coverage` and mean `width` of
    the outermost interval. The point forecast of a quantile model is its
    median."""
    y, predictions = last_step(task, y), last_step(task, predictions)
    quantiles = plan.settings.quantiles
    point = predictions
    if quantiles is not None:
        point = predictions[..., median_index(quantiles)]
    result = {"mse": float(np.mean((point - y) ** 2))}
    result.update(
        original_scores(plan, task, original(plan, y), original(plan, point))
    )
    if quantiles is not None:
        truth = original(plan, y)
        bands = original(plan, predictions)
        result["pinball"] = pinball(truth, bands, quantiles)
        result["coverage"] = coverage(truth, bands[..., 0], bands[..., -1])
        result["width"] = interval_width(bands[..., 0], bands[..., -1])
    return result


def original_scores(plan, task, truth, guess):
    """`rmse` (tables), `mae`, `mase` and `smape` of point forecasts in
    original units."""
    result = {}
    if plan.metric == "rmse":
        result["rmse"] = rmse(truth, guess)
    result["mae"] = mae(truth, guess)
    result["mase"] = result["mae"] / naive_error(plan, task)
    result["smape"] = smape(truth, guess)
    return result


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
    plan,
    task,
    name,
    units=None,
    options=None,
    progress=None,
    prefix="",
    callbacks=(),
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
        callbacks: more Keras callbacks for `fit` (a progress bar).

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
        quantiles=settings.quantiles,
        **options,
    )
    loss = (
        "mse" if settings.quantiles is None else PinballLoss(settings.quantiles)
    )
    callbacks = [
        interrupt.StopOnInterrupt(),
        ValidationScore(plan, task),
        *callbacks,
    ]
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
        loss=loss,
        callbacks=callbacks,
        restore_best=settings.restore_best,
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


def calibrate(plan, task, model, result):
    """Split-conformal calibration of a quantile model's outer interval.

    The margin is computed on the validation split (original units, the
    forecasts after each window) so that the interval [q_0 - m, q_last + m]
    covers q_last - q_0 of it (conformalized quantile regression, Romano
    et al. 2019); `result`'s test coverage, width and pinball loss become
    those of the calibrated bands (the uncalibrated coverage is kept as
    `test_coverage_raw`).

    Returns:
        The margin, in the target's original units.
    """
    quantiles = plan.settings.quantiles
    nominal = quantiles[-1] - quantiles[0]
    bands = {}
    for split in ("val", "test"):
        x, y = getattr(task, split)
        q = original(plan, last_step(task, predict(model, x)))
        bands[split] = original(plan, last_step(task, y)), q
    y, q = bands["val"]
    margin = conformal_margin(y, q[..., 0], q[..., -1], nominal)
    y, q = bands["test"]
    # The saved forecaster's own layer: the scores are those of its bands.
    layer = ConformalInterval(margin)
    q = keras.ops.convert_to_numpy(layer(q.astype("float32")))
    result["test_coverage_raw"] = result["test_coverage"]
    result["test_coverage"] = coverage(y, q[..., 0], q[..., -1])
    result["test_width"] = interval_width(q[..., 0], q[..., -1])
    result["test_pinball"] = pinball(y, q, quantiles)
    result["margin"] = margin
    return margin
