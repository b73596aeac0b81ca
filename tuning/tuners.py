"""The keras-tuner tuners of `seqlab tune`: progress, heartbeats, folds.

`make_tuner(setup)` builds (or reloads from its folder) the tuner of a
`search.Setup`: the kind chosen (random, bayesian, hyperband), optionally
scored by walk-forward folds, with the `SeqlabTuner` mixin that prints
progress, sends a worker's heartbeats and polls the chief politely.
"""

import sys
import time

from keras_seqlab.data.windows import split_gap
from keras_seqlab.experiments import interrupt
from keras_seqlab.tuning import distributed as dist
from keras_seqlab.tuning.validation import tuner_class
from keras_seqlab.tuning.validation import walk_forward

OBJECTIVE = "val_loss"
# Seconds a worker waits before asking again when the chief says "wait".
POLL_SECONDS = 0.5


def trial_values(hyperparameters):
    """The searched values of a trial, without keras-tuner's own."""
    return {
        k: v
        for k, v in hyperparameters.values.items()
        if not k.startswith("tuner/")
    }


def format_values(values):
    return ", ".join(f"{k}={short(v)}" for k, v in values.items())


def short(value):
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


class SeqlabTuner:
    """Tuner mixin: progress lines, heartbeats, polite polling."""

    def __init__(self, *args, progress=sys.stderr, total=None, **kwargs):
        self._progress = progress
        self._total = total
        self._asked = False
        self._heartbeat = None
        super().__init__(*args, **kwargs)

    def _say(self, message):
        if self._progress is not None:
            print(message, file=self._progress, flush=True)

    def pre_create_trial(self):
        interrupt.check()
        # keras-tuner asks again at once when told to wait (IDLE).
        if self._asked:
            time.sleep(POLL_SECONDS)
        self._asked = True
        super().pre_create_trial()

    def on_trial_begin(self, trial):
        interrupt.check()
        self._asked = False
        self._started = time.perf_counter()
        if self._is_worker():
            self._heartbeat = dist.Heartbeat(self.oracle, trial.trial_id)
        of = f"/{self._total}" if self._total else ""
        values = format_values(trial_values(trial.hyperparameters))
        self._say(f"trial {trial.trial_id}{of}: {values or 'defaults'}")
        super().on_trial_begin(trial)

    def on_trial_end(self, trial):
        if self._heartbeat is not None:
            self._heartbeat.stop()
            self._heartbeat = None
        super().on_trial_end(trial)
        seconds = time.perf_counter() - self._started
        ended = self.oracle.get_trial(trial.trial_id)
        if ended.status == "COMPLETED" and ended.score is not None:
            outcome = f"{OBJECTIVE} {ended.score:.5g}"
        else:
            message = (trial.message or "").strip().splitlines()
            outcome = f"{trial.status}" + (
                f": {message[-1]}" if message else ""
            )
        best = self.oracle.get_best_trials(1)
        best_text = ""
        if best and best[0].score is not None:
            best_text = f"; best {best[0].score:.5g} (trial {best[0].trial_id})"
        self._say(
            f"trial {trial.trial_id} done: {outcome} ({seconds:.1f} s)"
            f"{best_text}"
        )


_TUNER_CLASSES = {}


def _tuner_class(kind, folds=None):
    base = tuner_class(kind)
    if folds:
        base = walk_forward(base)
    if base not in _TUNER_CLASSES:
        _TUNER_CLASSES[base] = type(
            f"Seqlab{base.__name__}", (SeqlabTuner, base), {}
        )
    return _TUNER_CLASSES[base]


def make_tuner(setup, progress=sys.stderr):
    """The keras-tuner tuner of `setup`, new or reloaded from its folder."""
    settings = setup.settings
    kwargs = dict(
        hypermodel=setup.hypermodel,
        objective=OBJECTIVE,
        seed=settings["seed"],
        directory=str(setup.out),
        project_name=settings["architecture"],
        # Workers share the chief's folder: they never delete it.
        overwrite=setup.overwrite and setup.role != "worker",
        progress=progress,
        total=settings["max_trials"],
    )
    if settings["tuner"] == "hyperband":
        kwargs["max_epochs"] = settings["epochs"]
    else:
        kwargs["max_trials"] = settings["max_trials"]
    if settings["folds"]:
        kwargs["folds"] = settings["folds"]
        kwargs["gap"] = fold_gap(setup)
    dist.set_environment(setup.distributed)
    tuner = _tuner_class(settings["tuner"], settings["folds"])(**kwargs)
    if setup.role == "chief":
        dist.enable_leases(tuner.oracle, setup.lease)
    return tuner


def fold_gap(setup):
    """Windows dropped before each walk-forward validation block.

    The windows of one table overlap; independent synthetic series do not.
    """
    if setup.plan.dataset == "synthetic":
        return 0
    return split_gap(setup.settings["window"], setup.settings["horizon"])
