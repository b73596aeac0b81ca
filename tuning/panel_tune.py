"""`seqlab tune ARCH --id-column COL`: searching one global model.

The data are those of `seqlab compare` on a long table
(`keras_seqlab.experiments.panel_compare.prepare_panel`): the splits in
steps of every series, the inputs by role. Every trial builds the panel
network of `keras_seqlab.forecasting.panel` with the architecture's
searched hyperparameters (the space of `keras_seqlab.tuning`: the same
names and ranges as for one series) and trains it on window-standardized
targets, batches of the searched size from `ScaledWindows`; the
objective is the validation loss. The summary scores the best trial and
the untuned global model (`fit_panel`) on the same validation and test
windows, and `best_model.keras` is the best trial's panel forecaster.

Walk-forward folds and the distributed search take one series for now.
"""

import dataclasses
import os
import pathlib

from keras_seqlab.experiments.panel_compare import prepare_panel
from keras_seqlab.experiments.settings import Settings
from keras_seqlab.experiments.settings import setting_int
from keras_seqlab.forecasting.metrics import PinballLoss
from keras_seqlab.forecasting.panel import ScaledWindows
from keras_seqlab.forecasting.panel import build_panel_forecaster
from keras_seqlab.forecasting.panel import coded_splits
from keras_seqlab.models.training import PREDICT_BATCH
from keras_seqlab.tuning import hypermodels
from keras_seqlab.tuning.search import DEFAULT_EPOCHS
from keras_seqlab.tuning.search import DEFAULT_MAX_TRIALS
from keras_seqlab.tuning.search import DEFAULT_PATIENCE
from keras_seqlab.tuning.search import OBJECTIVE
from keras_seqlab.tuning.search import Setup
from keras_seqlab.tuning.search import TuneError
from keras_seqlab.tuning.search import parse_overrides
from keras_seqlab.tuning.validation import TUNER_KINDS


@dataclasses.dataclass
class PanelTask:
    """The one task of a long table, in the shape the search reads:
    `train` is `(batches, None)` and `val` the validation batches."""

    head: str
    horizon: int
    windows: tuple  # the train, val and test `PanelWindows`
    seed: int
    batch_size: int = 32
    panel = True

    @property
    def name(self):
        return "panel"

    @property
    def train(self):
        batches = ScaledWindows(
            self.windows[0], self.batch_size, shuffle=True, seed=self.seed
        )
        return batches, None

    @property
    def val(self):
        return ScaledWindows(self.windows[1], PREDICT_BATCH)

    def describe(self):
        return f"the next {self.horizon} value(s) of every series, one model"


def _panel_hypermodel(architecture, task, quantiles, id_embedding, overrides):
    """The architecture's search space, building panel networks."""
    base = hypermodels.hypermodel_class(architecture)
    train = task.windows[0]

    class PanelHyperModel(base):
        def make(self, **kwargs):
            units = kwargs.pop("units", 32)
            core, _ = build_panel_forecaster(
                self.architecture,
                train,
                units=units,
                quantiles=quantiles,
                id_embedding=id_embedding,
                **self.options,
                **kwargs,
            )
            return core

        def fit(self, hp, model, *args, **kwargs):
            # The batches are the panel's, at the searched batch size.
            kwargs.pop("x", None)
            kwargs.pop("y", None)
            batches = ScaledWindows(
                train, self.batch_size(hp), shuffle=True, seed=task.seed
            )
            return model.fit(batches, **kwargs)

    PanelHyperModel.__name__ = f"Panel{base.__name__}"
    loss = "mse" if quantiles is None else PinballLoss(quantiles)
    return PanelHyperModel(
        (train.window, train.panel.values.shape[1]),
        head=task.head,
        horizon=task.horizon,
        loss=loss,
        overrides=overrides,
    )


def prepare(
    architecture,
    settings=None,
    head=None,
    tuner="random",
    max_trials=None,
    overrides=None,
    folds=None,
    out="seqlab-tune",
    overwrite=False,
    distributed=None,
    lease=None,
    **fields,
):
    """`search.prepare` for a long table (see there and the module)."""
    known = [n for n in hypermodels.names() if n != "persistence"]
    if architecture not in known:
        raise TuneError(
            f"unknown or untunable architecture {architecture!r}; the "
            f"architectures are {', '.join(known)}."
        )
    if folds is not None:
        raise TuneError(
            "`folds` takes one series for now; a long table is searched "
            "on its validation steps.",
            "folds",
        )
    if distributed is not None:
        raise TuneError(
            "`chief` and `worker` (a distributed search) take one series "
            "for now; a long table is searched in one process.",
            "chief",
            "worker",
        )
    if tuner not in TUNER_KINDS:
        raise TuneError(f"unknown tuner {tuner!r}.", "tuner")
    if tuner == "hyperband" and max_trials is not None:
        raise TuneError(
            "`max_trials` does not apply to Hyperband.", "max_trials"
        )
    if tuner != "hyperband":
        max_trials = setting_int("max_trials", max_trials or DEFAULT_MAX_TRIALS)
    if not isinstance(overrides, dict):
        overrides = parse_overrides(overrides)
    if settings is None:
        defaults = {
            "horizon": 1,
            "epochs": DEFAULT_EPOCHS,
            "patience": DEFAULT_PATIENCE,
        }
        settings = Settings(**{**defaults, **fields})
    plan = prepare_panel(settings, [architecture])
    s = plan.settings
    default_head = "many_to_one" if plan.horizon == 1 else "seq_to_vector"
    if head not in (None, default_head):
        raise TuneError(
            f"a long table's one task has the {default_head} head (horizon "
            f"{plan.horizon}); got `head` {head!r}.",
            "head",
        )
    windows = coded_splits(
        plan.panel,
        s.window,
        plan.horizon,
        plan.val_size,
        plan.test_size,
        plan.max_windows,
        s.id_embedding or 0,
    )
    task = PanelTask(default_head, plan.horizon, windows, s.seed)
    try:
        hypermodel = _panel_hypermodel(
            architecture, task, s.quantiles, s.id_embedding or 0, overrides
        )
    except ValueError as error:
        raise TuneError(str(error)) from None
    recorded = {
        "architecture": architecture,
        "dataset": plan.dataset,
        "csv": os.path.abspath(s.csv) if s.csv else None,
        "target": plan.panel.target,
        "id_column": plan.panel.id_column,
        "columns": list(plan.panel.columns[1:]),
        "known_columns": list(plan.panel.known_columns),
        "static_columns": list(plan.panel.static_columns),
        "id_embedding": s.id_embedding,
        "date_column": plan.panel.date_column,
        "window": s.window,
        "horizon": plan.horizon,
        "head": default_head,
        "val_size": plan.val_size,
        "test_size": plan.test_size,
        "limit": s.limit,
        "tuner": tuner,
        "max_trials": max_trials,
        "epochs": s.epochs,
        "patience": s.patience,
        "seed": s.seed,
        "overrides": overrides,
        "folds": None,
        "objective": OBJECTIVE,
    }
    return Setup(
        plan,
        task,
        hypermodel,
        recorded,
        pathlib.Path(out),
        bool(overwrite),
        None,
        0.0,
    )
