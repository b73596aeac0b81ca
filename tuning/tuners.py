"""The keras-tuner tuners of `seqlab tune`: progress, heartbeats, folds.

`make_tuner(setup)` builds (or reloads from its folder) the tuner of a
`search.Setup`: the kind chosen (random, bayesian, hyperband), optionally
scored by walk-forward folds, with the `SeqlabTuner` mixin that prints
progress, sends a worker's heartbeats and polls the chief politely.

Every file of the search is written whole or not at all (a temporary
file, then a rename: `keras_seqlab.utils.files`): keras-tuner's
`oracle.json`, `trial.json` and tuner state through `_AtomicOracle` and
`SeqlabTuner.save`, each trial's best-epoch checkpoint through
`_publish_checkpoints` and its build config in `_build_and_fit_model`.
A crash or a full disk leaves the previous version, so the search
resumes.
"""

import errno
import os
import re
import sys
import time

import keras
import keras_tuner

from keras_seqlab.data.windows import split_gap
from keras_seqlab.experiments import interrupt
from keras_seqlab.tuning import chief
from keras_seqlab.tuning import distributed as dist
from keras_seqlab.tuning import server
from keras_seqlab.tuning.validation import tuner_class
from keras_seqlab.tuning.validation import walk_forward
from keras_seqlab.utils import files

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


class _AtomicOracle:
    """Oracle mixin: its state and each trial's file written atomically."""

    def save(self):
        files.write_json(self._get_oracle_fname(), self.get_state())

    def _save_trial(self, trial):
        folder = self._get_trial_dir(trial.trial_id)
        files.write_json(os.path.join(folder, "trial.json"), trial.get_state())


class WriteFailure(keras_tuner.errors.FatalError, OSError):
    """A file of the search could not be written (a full disk).

    Fatal: keras-tuner would record the trial as failed and go on to the
    next one, on a disk that is still full. It is an `OSError`, so the
    command reports it as one.
    """


def write_failure(error, path):
    """A `WriteFailure` for `error` raised while writing `path`."""
    if isinstance(error, OSError) and error.errno:
        return WriteFailure(error.errno, error.strerror, str(path))
    # h5py reports a failed write as a RuntimeError naming the errno.
    found = re.search(r"errno = (\d+)", str(error))
    code = int(found.group(1)) if found else errno.EIO
    return WriteFailure(code, os.strerror(code), str(path))


class _SaveBestEpoch(keras.callbacks.Callback):
    """keras-tuner's `SaveBestEpoch`, writing its checkpoint atomically.

    It keeps the original callback's objective, path and best value.
    """

    def __init__(self, original):
        super().__init__()
        self._original = original

    def on_epoch_end(self, epoch, logs=None):
        best = self._original
        if best.objective.has_value(logs):
            value = best.objective.get_value(logs)
            if not best.objective.better_than(value, best.best_value):
                return
            best.best_value = value
        try:
            files.save_weights(self.model, best.filepath)
        except Exception as error:
            raise write_failure(error, best.filepath) from error


def _publish_checkpoints(callbacks):
    """`callbacks` with keras-tuner's checkpoint made atomic."""
    # keras-tuner's SaveBestEpoch is not importable (keras_tuner.src).
    return [
        _SaveBestEpoch(callback)
        if type(callback).__name__ == "SaveBestEpoch"
        else callback
        for callback in callbacks
    ]


class SeqlabTuner:
    """Tuner mixin: progress lines, heartbeats, polite polling, atomic
    files."""

    def __init__(self, *args, progress=sys.stderr, total=None, **kwargs):
        self._progress = progress
        self._total = total
        self._asked = False
        self._heartbeat = None
        super().__init__(*args, **kwargs)

    def _say(self, message):
        if self._progress is not None:
            print(message, file=self._progress, flush=True)

    def save(self):
        # keras-tuner's BaseTuner.save, with an atomic write.
        if not self._is_worker():
            self.oracle.save()
        files.write_json(self._get_tuner_fname(), self.get_state())

    def _build_and_fit_model(self, trial, *args, **kwargs):
        # keras-tuner's, with the checkpoint and the build config (which
        # `load_model` reads) written atomically.
        kwargs["callbacks"] = _publish_checkpoints(kwargs.get("callbacks", []))
        hp = trial.hyperparameters
        model = self._try_build(hp)
        results = self.hypermodel.fit(hp, model, *args, **kwargs)
        path = self._get_build_config_fname(trial.trial_id)
        try:
            files.write_json(path, model.get_build_config())
        except OSError as error:
            raise write_failure(error, path) from error
        return results

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
        try:
            super().on_trial_end(trial)
        except Exception as error:
            refused = server.refusal(error)
            if refused is None or refused[0] not in _NOT_MINE:
                raise
            # The chief gave this trial to another worker (this one was
            # taken for lost) or refused the result: on to the next.
            self._say(
                f"trial {trial.trial_id}: the chief did not record this "
                f"result: {refused[1]}"
            )
            return
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


# Refusals of a result that end the trial for this worker, not the search.
_NOT_MINE = ("PERMISSION_DENIED", "NOT_FOUND", "INVALID_ARGUMENT")
_TUNER_CLASSES = {}
_ORACLE_CLASSES = {}


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
    if setup.role == "worker":
        server.connect(tuner.oracle, setup.distributed)
        return tuner
    cls = type(tuner.oracle)
    if cls not in _ORACLE_CLASSES:
        _ORACLE_CLASSES[cls] = type(cls.__name__, (_AtomicOracle, cls), {})
    tuner.oracle.__class__ = _ORACLE_CLASSES[cls]
    if setup.role == "chief":
        chief.enable_leases(tuner.oracle, setup.lease)
    return tuner


def fold_gap(setup):
    """Windows dropped before each walk-forward validation block.

    The windows of one table overlap; independent synthetic series do not.
    """
    if setup.plan.dataset == "synthetic":
        return 0
    return split_gap(setup.settings["window"], setup.settings["horizon"])
