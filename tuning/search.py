"""`seqlab tune`: a keras-tuner search for one architecture, from a command.

    setup = prepare("gru", dataset="weather", max_trials=20)
    results = run(setup)              # searches (or resumes), scores, writes
    print(format_summary(results))

The data are those of `seqlab compare`
(`keras_seqlab.experiments.tasks.prepare`):
train, validation and test splits in time order, so every trial is scored
on data that comes after its training data (objective `val_loss`). After
the search the best trial's checkpoint (its best epoch) and the untuned
builder (`keras_seqlab.models.build(name, ...)` with Adam's default
learning rate and batch size 32, trained the same way) are both scored on
the test split.

Everything lives in `OUT/ARCH/`: keras-tuner's project (`oracle.json`,
`trial_*/`), `settings.json`, `best_model.keras` and `summary.json`. A
search that was interrupted (Ctrl-C or a killed process) resumes when it
is run again with the same settings: finished trials are kept, the trial
that was running starts over. A larger `max_trials` extends a search.

Distributed (`distributed=` from `tuning.distributed.role`): the chief
runs the oracle and, once every trial has ended, writes the summary; each
worker trains trials. They must share `OUT` (a shared file system) and
use the same data settings.
"""

import contextlib
import dataclasses
import json
import os
import pathlib
import sys
import time

import keras
import numpy as np

from keras_seqlab.experiments import interrupt
from keras_seqlab.experiments.settings import Settings
from keras_seqlab.experiments.settings import SettingsError
from keras_seqlab.experiments.settings import setting_int
from keras_seqlab.experiments.tasks import Plan
from keras_seqlab.experiments.tasks import Task
from keras_seqlab.experiments.tasks import prepare as prepare_plan
from keras_seqlab.experiments.training import EpochProgress
from keras_seqlab.models import HEADS
from keras_seqlab.models import supported_heads
from keras_seqlab.tuning import chief
from keras_seqlab.tuning import distributed as dist
from keras_seqlab.tuning import hypermodels
from keras_seqlab.tuning import server
from keras_seqlab.tuning.summary import summarize
from keras_seqlab.tuning.summary import write
from keras_seqlab.tuning.tuners import OBJECTIVE
from keras_seqlab.tuning.tuners import make_tuner
from keras_seqlab.tuning.validation import TUNER_KINDS
from keras_seqlab.tuning.validation import check_completed
from keras_seqlab.tuning.validation import check_tensorboard
from keras_seqlab.utils import backend as backend_choice
from keras_seqlab.utils import files

COMMAND = "seqlab tune"
DEFAULT_OUT = "seqlab-tune"
DEFAULT_MAX_TRIALS = 10
DEFAULT_EPOCHS = 10
DEFAULT_PATIENCE = 3
SETTINGS_FILE = "settings.json"
# Settings that may change between a search and its resumption.
_RESUMABLE = ("max_trials",)


class TuneError(SettingsError):
    """Bad settings or data for a search (the CLI prints one line)."""


@dataclasses.dataclass
class Setup:
    """Everything `run` needs: data, task, search space and settings."""

    plan: Plan
    task: Task
    hypermodel: hypermodels.SeqHyperModel
    settings: dict
    out: pathlib.Path
    overwrite: bool
    distributed: dict | None
    lease: float

    @property
    def project(self):
        return self.out / self.settings["architecture"]

    @property
    def role(self):
        if self.distributed is None:
            return "single"
        return (
            "chief" if self.distributed["tuner_id"] == dist.CHIEF else "worker"
        )


# -- settings ------------------------------------------------------------------


def _scalar(text):
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text.strip()


def parse_overrides(items):
    """`{"units": 64, "depth": [1, 2]}` from `["units=64", "depth=1,2"]`.

    A value is a number, `true`/`false` or a string; a comma-separated
    value is a choice among its items.
    """
    overrides = {}
    for item in items or ():
        name, sep, value = str(item).partition("=")
        name = name.strip()
        if not sep or not name or not value.strip():
            raise TuneError(
                f"`overrides` takes NAME=VALUE (e.g. units=64 or depth=1,2), "
                f"got {item!r}.",
                "overrides",
            )
        if name in overrides:
            raise TuneError(f"`overrides` names {name!r} twice.", "overrides")
        values = [_scalar(v) for v in value.split(",")]
        overrides[name] = values[0] if len(values) == 1 else values
    return overrides


def _choose_task(plan, head, horizon, name):
    if head is None:
        head = "many_to_one" if horizon == 1 else "seq_to_vector"
    if head not in HEADS:
        raise TuneError(
            f"unknown head {head!r}; expected one of {', '.join(HEADS)}.",
            "head",
        )
    if (head == "many_to_one") != (horizon == 1):
        raise TuneError(
            f"the {head} head needs "
            + ("`horizon` 1." if head == "many_to_one" else "`horizon` > 1."),
            "horizon",
        )
    if head not in supported_heads(name):
        raise TuneError(
            f"{name} has no {head} head; it has "
            f"{', '.join(supported_heads(name))}.",
            "head",
        )
    return next(t for t in plan.tasks if t.head == head)


def prepare(
    architecture,
    settings=None,
    head=None,
    tuner="random",
    max_trials=None,
    overrides=None,
    folds=None,
    out=DEFAULT_OUT,
    overwrite=False,
    distributed=None,
    lease=None,
    **fields,
):
    """Loads the data and checks every setting; see `run`.

    Args:
        architecture: one of `keras_seqlab.tuning.names()` but persistence.
        settings: the data and training `experiments.Settings` (as in
            `seqlab compare`), or None to make one from `**fields`
            (`dataset`, `csv`, `window`, `epochs`, ...); here `horizon`
            defaults to 1, `epochs` to 10 and `patience` to 3.
        head: `"many_to_one"` (horizon 1, the default), `"seq_to_vector"`
            (the default for horizon > 1) or `"seq_to_seq"`.
        tuner: `"random"`, `"bayesian"` or `"hyperband"`.
        max_trials: trials to run (default 10); not for Hyperband, whose
            budget is `epochs` (its `max_epochs`).
        overrides: `{name: value}` or `["name=value", ...]`: fixed values
            or choices for the space (`SeqHyperModel` overrides).
        folds: score each trial by walk-forward cross-validation with this
            many folds (at least 2) over the training and validation
            windows (`tuning.WalkForward`) instead of the one validation
            split; the best model is then the last fold's.
        out: the output folder; the search lives in `out/architecture`.
        overwrite: start over instead of resuming.
        distributed: `None` or `tuning.distributed.role(...)`.
        lease: on the chief, the seconds of silence after which a worker
            is lost (default `tuning.distributed.DEFAULT_LEASE_SECONDS`).

    Raises:
        TuneError: (a `ValueError`) for any bad setting or data.
    """
    known = [n for n in hypermodels.names() if n != "persistence"]
    if architecture == "persistence":
        raise TuneError(
            "persistence has no weights and nothing to tune; the "
            f"architectures are {', '.join(known)}."
        )
    if architecture not in known:
        raise TuneError(
            f"unknown architecture {architecture!r}; the architectures are "
            f"{', '.join(known)}."
        )
    if tuner not in TUNER_KINDS:
        raise TuneError(
            f"unknown tuner {tuner!r}; expected one of "
            f"{', '.join(TUNER_KINDS)}.",
            "tuner",
        )
    if tuner == "hyperband":
        if max_trials is not None:
            raise TuneError(
                "`max_trials` does not apply to Hyperband: its budget is "
                "`epochs` (the most epochs of a trial) and its brackets.",
                "max_trials",
                "epochs",
            )
    else:
        max_trials = setting_int(
            "max_trials",
            DEFAULT_MAX_TRIALS if max_trials is None else max_trials,
        )
    if folds is not None and setting_int("folds", folds) < 2:
        raise TuneError(
            f"`folds` must be at least 2 (1 is the plain validation split), "
            f"got {folds}.",
            "folds",
        )
    lease = dist.check_lease(lease)
    if not isinstance(overrides, dict):
        overrides = parse_overrides(overrides)
    if settings is None:
        fields = {
            "horizon": 1,
            "epochs": DEFAULT_EPOCHS,
            "patience": DEFAULT_PATIENCE,
            **fields,
        }
        settings = Settings(**fields)
    elif fields:
        raise TypeError(
            "search.prepare: pass either `settings` or setting keywords, "
            f"got both (settings and {', '.join(sorted(fields))})."
        )
    try:
        plan = prepare_plan(settings, [architecture])
    except ImportError as error:
        raise TuneError(str(error)) from None
    s = plan.settings
    horizon = s.horizon
    task = _choose_task(plan, head, horizon, architecture)
    shape = (s.window, plan.features)
    try:
        hypermodel = hypermodels.get_hypermodel(
            architecture,
            shape,
            head=task.head,
            horizon=task.horizon,
            overrides=overrides,
        )
    except ValueError as error:
        raise TuneError(str(error)) from None
    settings = {
        "architecture": architecture,
        "dataset": plan.dataset,
        "csv": os.path.abspath(s.csv) if s.csv else None,
        "target": plan.target_name,
        "columns": None if s.columns is None else list(s.columns),
        "date_column": s.date_column,
        "window": s.window,
        "horizon": task.horizon,
        "head": task.head,
        "limit": s.limit,
        "tuner": tuner,
        "max_trials": max_trials,
        "epochs": s.epochs,
        "patience": s.patience,
        "seed": s.seed,
        "overrides": overrides,
        "folds": folds,
        "objective": OBJECTIVE,
    }
    return Setup(
        plan,
        task,
        hypermodel,
        settings,
        pathlib.Path(out),
        bool(overwrite),
        distributed,
        float(lease),
    )


def _check_resumable(setup):
    """Raises if `setup.project` holds a search with other settings."""
    path = setup.project / SETTINGS_FILE
    if setup.overwrite and setup.role != "worker" or not path.exists():
        return False
    saved = json.loads(path.read_text(encoding="utf-8"))
    changed = [
        f"{key} {saved.get(key)!r} -> {value!r}"
        for key, value in setup.settings.items()
        if key not in _RESUMABLE and saved.get(key) != value
    ]
    if changed:
        raise TuneError(
            f"{setup.project} holds a search with other settings "
            f"({'; '.join(changed)}); pass `overwrite` to start it over or "
            "`out` to search elsewhere.",
            "overwrite",
            "out",
        )
    return True


def _completed(tuner):
    return [t for t in tuner.oracle.trials.values() if t.status == "COMPLETED"]


# -- running -------------------------------------------------------------------


def run(setup, progress=sys.stderr):
    """Runs (or resumes) the search, then scores and writes the results.

    The chief and a single-process search hold `OUT/.seqlab-ARCH.lock`
    while they run: a second search of the same folder is refused.

    Returns:
        The `summary.json` content (a dict); on a worker, a short dict of
        the trials it ran (the chief writes the summary).

    Raises:
        TuneError: the folder holds a search with other settings, or is in
            use by another search; a worker's token was refused.
        KeyboardInterrupt: the search was interrupted; run it again with
            the same settings to resume.
        OSError: a file could not be written (a full disk); the finished
            trials are kept: run it again to resume.
        RuntimeError: no trial completed; the chief failed a worker.
    """
    if setup.role == "worker":
        # Workers write their trials' checkpoints into the chief's folder.
        held = contextlib.nullcontext(files.check_folder(COMMAND, setup.out))
    else:
        held = files.folder_lock(
            COMMAND, setup.out, name=f".seqlab-{setup.project.name}.lock"
        )
    with held:
        return _run(setup, _printer(progress))


def _run(setup, say):
    resuming = _check_resumable(setup)
    check_tensorboard(COMMAND)
    keras.utils.set_random_seed(setup.settings["seed"])
    tuner = make_tuner(setup, say.stream)
    if setup.role != "worker":
        setup.project.mkdir(parents=True, exist_ok=True)
        files.write_json(
            setup.project / SETTINGS_FILE, setup.settings, indent=1
        )
        done = len(_completed(tuner))
        if resuming and done:
            say(f"{COMMAND}: resuming {setup.project}: {done} trial(s) done")
    # The description heads the summary (stdout) at the end.
    say(
        f"{COMMAND}: searching {setup.settings['architecture']} "
        f"({setup.settings['tuner']}); Keras {keras.__version__} on "
        f"{backend_choice.describe()}"
    )
    start = time.perf_counter()
    if setup.role == "chief":
        _serve(setup, tuner, say)
    elif setup.role == "worker":
        try:
            _search(setup, tuner)
        except Exception as error:
            _worker_failure(setup, error)
            raise
        return {"worker": setup.distributed["tuner_id"]}
    else:
        _search(setup, tuner)
    check_completed(COMMAND, tuner)
    seconds = time.perf_counter() - start
    results, best_model = summarize(setup, tuner, seconds, describe(setup), say)
    write(setup, results, best_model)
    return results


def _search(setup, tuner):
    task = setup.task
    callbacks = [
        keras.callbacks.EarlyStopping(
            monitor=OBJECTIVE, patience=setup.settings["patience"]
        ),
        EpochProgress(setup.settings["epochs"], "  ", seconds=False),
        interrupt.StopOnInterrupt(),
    ]
    search_args = dict(
        x=task.train[0],
        y=task.train[1],
        validation_data=task.val,
        epochs=setup.settings["epochs"],
        callbacks=callbacks,
        verbose=0,
    )
    if setup.settings["folds"]:
        # Walk-forward folds over the training and validation windows, in
        # time order; each fold validates on a later block.
        del search_args["validation_data"]
        search_args["x"] = np.concatenate([task.train[0], task.val[0]])
        search_args["y"] = np.concatenate([task.train[1], task.val[1]])
    with interrupt.sticky():
        tuner.search(**search_args)


def _serve(setup, tuner, say):
    """The chief: serves the oracle until every trial has ended."""
    d = setup.distributed
    address = f"{d['ip']}:{d['port']}"
    wire = "TLS" if d["certificate"] else "no TLS: keep it on a private network"
    say(
        f"{COMMAND} (chief): serving the oracle on {address} ({wire}), "
        f"lease {setup.lease:g} s; waiting for workers"
    )
    if d["token_generated"]:
        say(
            f"{COMMAND} (chief): made this search's token (no --token or "
            f"{dist.TOKEN_ENV}); start each worker with {dist.TOKEN_ENV}="
            f"{d['token']}"
        )
    tuner.save()
    with interrupt.sticky(), chief.Reaper(tuner.oracle) as reaper:
        server.serve(tuner.oracle, d, failures=(reaper,), say=say)


def _worker_failure(setup, error):
    """Raises a one-line error for a gRPC refusal of the chief."""
    refused = server.refusal(error)
    if refused is None:
        return
    code, details = refused
    d = setup.distributed
    where = f"the chief at {d['ip']}:{d['port']}"
    if code == "UNAUTHENTICATED":
        raise TuneError(
            f"{where} refused this worker: {details}; pass the search's "
            f"token (`token` or {dist.TOKEN_ENV}).",
            "token",
        ) from None
    if code == "UNAVAILABLE":
        raise RuntimeError(f"{where} cannot be reached: {details}") from None
    raise RuntimeError(f"{where} answered {code}: {details}") from None


def _printer(progress):
    def say(message):
        if progress is not None:
            print(message, file=progress, flush=True)

    say.stream = progress
    return say


def describe(setup):
    """One line: architecture, data, task, budget and objective."""
    s = setup.settings
    scoring = "on the later validation split"
    if s["folds"]:
        scoring = (
            f"averaged over {s['folds']} walk-forward folds of the training "
            "and validation windows"
        )
    budget = (
        f"Hyperband, at most {s['epochs']} epochs a trial"
        if s["tuner"] == "hyperband"
        else f"{s['tuner']} search, {s['max_trials']} trials of at most "
        f"{s['epochs']} epochs"
    )
    return (
        f"{s['architecture']} on {setup.plan.description}; "
        f"{setup.task.describe()} ({s['head']}); {budget}, objective "
        f"{OBJECTIVE} {scoring}"
    )
