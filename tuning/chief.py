"""The chief's oracle: leased trials and requests it checks before it acts.

keras-tuner's chief records whatever any client sends it. Here every
request from a worker goes through `handle(worker, request, ...)` (the
gRPC servicer of `tuning.server` calls it; `worker` is the ID the worker
sends with every request) and is checked first:

- a trial ID the chief never issued is refused (`NOT_FOUND`);
- progress and results of a trial are accepted only from the worker that
  holds it (`PERMISSION_DENIED`); a second result for a recorded trial
  (a slow worker whose trial was re-run) is dropped;
- a result must carry exactly the hyperparameter values the chief
  issued, and a new value only within the declared space
  (`INVALID_ARGUMENT`); a worker's space must not add entries
  (`FAILED_PRECONDITION`: it runs other settings);
- an objective value of -inf (for a minimised objective) is refused: it
  would always rank first.

keras-tuner's `synchronized` lock is not released when the method it
wraps raises, and the lease reaper waits on the same lock: one bad
request (`GetTrial` of an unknown ID) would hang the chief for good. So
`handle` runs under that lock but never raises: it returns the error,
which the servicer sends back.

Leases (a worker that calls nothing for `lease` seconds is lost):

- every request of a worker counts as its heartbeat (`Heartbeat` asks
  for its trial every `HEARTBEAT_SECONDS` while it trains);
- a lost worker's trial goes back to keras-tuner's retry queue, where
  the next worker that asks picks it up, and its ID is forgotten, so
  that the chief can finish; if the lost worker reports after all before
  the trial is handed out again, its result counts;
- a worker that asks for a trial once the search is out of new ones,
  while another still holds one, is told to wait (`IDLE`) rather than to
  stop: it may be needed to re-run that trial.
"""

import math
import numbers
import sys
import threading
import time

import keras_tuner
from keras_tuner.engine import trial as trial_module

from keras_seqlab.tuning.distributed import HEARTBEAT_SECONDS
from keras_seqlab.tuning.distributed import check_lease

_ENDED = ("COMPLETED", "INVALID", "FAILED")
# A request for more best trials than this is refused (a client could
# otherwise ask the chief to build a huge reply).
MAX_BEST_TRIALS = 1000


class Refused(Exception):
    """A request the chief turns down; `code` names a gRPC status code."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class _ChiefOracle:
    """Oracle mixin (on the chief): checked requests and leased trials."""

    # -- the one entry point of requests -------------------------------------

    @keras_tuner.synchronized
    def handle(self, worker, request, *args):
        """Runs `request` of `worker` under the oracle's lock.

        Returns:
            `(result, None)`, or `(None, error)`: a `Refused` for a bad
            request, any other exception for a failure of the chief.
        """
        try:
            if worker in self.tuner_ids:
                self._heard[worker] = time.monotonic()
            return getattr(self, "_request_" + request)(worker, *args), None
        except Exception as error:  # noqa: BLE001 - returned, see above
            return None, error

    def _request_get_space(self, worker):
        return self.get_space()

    def _request_update_space(self, worker, hyperparameters):
        known = {hp.name for hp in self.hyperparameters.space}
        new = sorted(
            hp.name for hp in hyperparameters.space if hp.name not in known
        )
        if new:
            raise Refused(
                "FAILED_PRECONDITION",
                f"worker {worker!r} searches hyperparameters the chief does "
                f"not ({', '.join(new)}): run every process with the same "
                "version and settings",
            )

    def _request_create_trial(self, worker, tuner_id):
        if not worker or tuner_id != worker:
            raise Refused(
                "PERMISSION_DENIED",
                f"worker {worker!r} asked for a trial as {tuner_id!r}",
            )
        return self.create_trial(tuner_id)

    def _request_update_trial(self, worker, trial_id, metrics, step):
        if trial_id in self.end_order:
            return self.trials[trial_id]  # a late report, see end_trial
        self._check_holder(worker, trial_id)
        if isinstance(step, bool) or not isinstance(step, numbers.Integral):
            raise Refused("INVALID_ARGUMENT", f"step {step!r} is no integer")
        objective = getattr(self.objective, "name", None)
        best_possible = (
            -math.inf if self.objective.direction == "min" else math.inf
        )
        for name, value in dict(metrics).items():
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise Refused(
                    "INVALID_ARGUMENT",
                    f"metric {name!r}: {value!r} is no number",
                )
            if name == objective and value == best_possible:
                raise Refused(
                    "INVALID_ARGUMENT",
                    f"objective {name} = {value} would rank above every trial",
                )
        return self.update_trial(trial_id, metrics, step=step)

    def _request_end_trial(self, worker, trial):
        if trial.trial_id in self.end_order:
            self._log(
                f"dropped a second result for trial {trial.trial_id} (from "
                f"worker {worker!r}): it was already recorded"
            )
            return None
        self._check_holder(worker, trial.trial_id)
        if trial.status not in _ENDED:
            raise Refused(
                "INVALID_ARGUMENT",
                f"trial {trial.trial_id} ended with status {trial.status!r}; "
                f"expected one of {', '.join(_ENDED)}",
            )
        self._check_values(trial)
        self.end_trial(trial)
        return None

    def _request_get_trial(self, worker, trial_id):
        if trial_id not in self.trials:
            raise Refused("NOT_FOUND", f"no trial {trial_id!r}")
        return self.get_trial(trial_id)

    def _request_get_best_trials(self, worker, count):
        if (
            isinstance(count, bool)
            or not isinstance(count, numbers.Integral)
            or not 0 <= count <= MAX_BEST_TRIALS
        ):
            raise Refused(
                "INVALID_ARGUMENT",
                f"asked for {count!r} best trials; at most {MAX_BEST_TRIALS}",
            )
        return self.get_best_trials(count)

    # -- checks ----------------------------------------------------------------

    def _holder(self, trial_id):
        for tuner_id, trial in self.ongoing_trials.items():
            if trial.trial_id == trial_id:
                return tuner_id
        if trial_id in self._retry_queue:
            # Released from a lost worker and not handed out yet.
            return self._released.get(trial_id)
        return None

    def _check_holder(self, worker, trial_id):
        if trial_id not in self.trials:
            raise Refused("NOT_FOUND", f"no trial {trial_id!r}")
        holder = self._holder(trial_id)
        if holder != worker:
            held = f"held by worker {holder!r}" if holder else "not running"
            raise Refused(
                "PERMISSION_DENIED",
                f"trial {trial_id} is {held}; worker {worker!r} cannot "
                "report for it",
            )

    def _check_values(self, reported):
        issued = self.trials[reported.trial_id].hyperparameters.values
        values = reported.hyperparameters.values
        space = {hp.name: hp for hp in self.hyperparameters.space}
        wrong = [
            f"{name}={values.get(name)!r} (issued {value!r})"
            for name, value in issued.items()
            if name not in values or values[name] != value
        ]
        wrong += [
            f"{name}={value!r} (outside the space)"
            for name, value in values.items()
            if name not in issued
            and (name not in space or not within(space[name], value))
        ]
        if wrong:
            raise Refused(
                "INVALID_ARGUMENT",
                f"trial {reported.trial_id} reported other hyperparameters "
                f"than the chief issued: {'; '.join(wrong)}",
            )

    # -- leases ----------------------------------------------------------------

    @keras_tuner.synchronized
    def create_trial(self, tuner_id):
        self._heard[tuner_id] = time.monotonic()
        self._expire(exclude=tuner_id)
        trial = super().create_trial(tuner_id)
        if (
            trial.status == trial_module.TrialStatus.STOPPED
            and self.ongoing_trials
        ):
            # Out of new trials, but a worker that holds one may yet be
            # lost: keep this one until every trial has ended.
            self.tuner_ids.add(tuner_id)
            return trial_module.Trial(
                self.hyperparameters.copy(),
                trial_id="waiting",
                status=trial_module.TrialStatus.IDLE,
            )
        return trial

    @keras_tuner.synchronized
    def end_trial(self, trial):
        if trial.trial_id in self._retry_queue:
            # Its worker was taken for lost but finished after all.
            self._retry_queue.remove(trial.trial_id)
        super().end_trial(trial)
        # keras-tuner saves before it releases the trial; on a chief nothing
        # saves after, and a reloaded chief would run the trial again.
        self.save()

    @keras_tuner.synchronized
    def finished(self):
        """Whether every trial has ended and every worker was let go."""
        return not self.ongoing_trials and not self.tuner_ids

    @keras_tuner.synchronized
    def expire(self):
        """Releases the trials of the workers unheard for `lease` seconds.

        Returns:
            `(IDs of the workers declared lost, None)`, or `(None, error)`
            when the chief could not save (never raises, see `handle`).
        """
        try:
            return self._expire(), None
        except Exception as error:  # noqa: BLE001 - returned, see handle
            return None, error

    def _expire(self, exclude=None):
        now = time.monotonic()
        lost = [
            tuner_id
            for tuner_id in list(self.tuner_ids)
            if tuner_id != exclude
            and now - self._heard.setdefault(tuner_id, now) > self.lease
        ]
        for tuner_id in lost:
            self.tuner_ids.discard(tuner_id)
            self._heard.pop(tuner_id, None)
            trial = self.ongoing_trials.pop(tuner_id, None)
            if trial is None:
                self._log(f"worker {tuner_id!r} is gone (idle)")
                continue
            self._retry_queue.append(trial.trial_id)
            self._released[trial.trial_id] = tuner_id
            self._log(
                f"worker {tuner_id!r} unheard for {self.lease:g} s: lost; "
                f"trial {trial.trial_id} goes to the next worker"
            )
        if lost:
            self.save()
        return lost

    def _log(self, message):
        print(f"seqlab tune (chief): {message}", file=sys.stderr, flush=True)


def within(hp, value):
    """Whether `value` is a value of hyperparameter `hp` (keras-tuner)."""
    kind = type(hp).__name__
    if kind == "Choice":
        return value in hp.values
    if kind == "Boolean":
        return isinstance(value, bool)
    if kind == "Fixed":
        return value == hp.value
    if kind not in ("Int", "Float"):
        return False
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    if not math.isfinite(value) or kind == "Int" and value != int(value):
        return False
    return hp.min_value <= value <= hp.max_value


_CHIEF_CLASSES = {}


def enable_leases(oracle, lease=None):
    """Makes `oracle` (the chief's) check requests and lease trials.

    keras-tuner's tuners create their oracle themselves, so the chief's
    methods are mixed into that instance's class. Returns `oracle`.
    """
    lease = check_lease(lease)
    cls = type(oracle)
    if cls not in _CHIEF_CLASSES:
        _CHIEF_CLASSES[cls] = type(
            f"Chief{cls.__name__}", (_ChiefOracle, cls), {}
        )
    oracle.__class__ = _CHIEF_CLASSES[cls]
    oracle.lease = lease
    oracle._heard = {}
    oracle._released = {}
    return oracle


class Reaper:
    """A daemon thread on the chief that expires lost workers' leases.

    Without it a lease would only be checked when a worker asks for a
    trial, and keras-tuner's chief waits for every worker it has seen.
    `failure` holds the error if the chief could not save its state.
    """

    def __init__(self, oracle, period=HEARTBEAT_SECONDS):
        self._oracle = oracle
        self._period = period
        self._stop = threading.Event()
        self.failure = None
        self._thread = threading.Thread(
            target=self._run, name="seqlab-lease-reaper", daemon=True
        )

    def _run(self):
        while not self._stop.wait(self._period):
            _, error = self._oracle.expire()
            if error is not None:
                self.failure = error
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()
