"""keras-tuner's chief/worker mode, made to survive a lost worker.

keras-tuner runs a distributed search as one chief (the oracle, a gRPC
server) and N workers (each asks the chief for a trial, trains it and
reports the result). It chooses the role from three environment variables:
`KERASTUNER_TUNER_ID` (`"chief"` or a worker's name),
`KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT`.

It has no notion of a dead worker: a trial handed to a worker that is then
killed stays "ongoing" until a worker with the same ID asks again, so the
chief waits for ever. Here the chief leases trials instead:

- a worker (`Heartbeat`) calls the chief every `HEARTBEAT_SECONDS` while
  it trains;
- the chief (`enable_leases`) treats a worker unheard for `lease` seconds
  as lost: its trial goes back to keras-tuner's retry queue, where the
  next worker that asks picks it up, and its ID is forgotten, so that the
  chief can finish;
- a worker that asks for a trial once the search is out of new ones while
  another worker still holds one is told to wait (`IDLE`) rather than to
  stop: it may be needed to re-run that trial;
- a result reported for a trial that was already recorded (a worker that
  was only slow, whose trial was re-run by another) is dropped, so every
  trial is recorded once.

A worker restarted under its old ID before its lease runs out gets its
trial back, as keras-tuner intends.
"""

import os
import sys
import threading
import time

import keras_tuner
from keras_tuner.engine import trial as trial_module

from keras_seqlab.experiments.settings import SettingsError

HEARTBEAT_SECONDS = 1.0
# A worker is declared lost after this many silent heartbeat periods at
# the least.
MIN_LEASE_SECONDS = 5.0
DEFAULT_LEASE_SECONDS = 60.0
DEFAULT_PORT = 8000
CHIEF = "chief"

_ENV = ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT")


def parse_address(address, owner="seqlab tune"):
    """`(host, port)` of `"HOST:PORT"` (or `"HOST"`, port 8000)."""
    host, _, port = str(address).rpartition(":")
    if not host:
        host, port = port, str(DEFAULT_PORT)
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(
            f"the oracle address must be HOST:PORT with a port in "
            f"1-65535, got {address!r}."
        )
    return host, int(port)


def role(chief=False, worker=None, oracle=None, environ=None):
    """The distributed role from the flags, else from the environment.

    Args:
        chief: run as the chief (the oracle server).
        worker: run as the worker of this ID.
        oracle: `"HOST:PORT"` of the chief; default from
            `KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT`.
        environ: the environment to read (default `os.environ`).

    Returns:
        `None` for a single-process search, else a dict with `tuner_id`,
        `ip` and `port`: the values of the three `KERASTUNER_*` variables.

    Raises:
        ValueError: contradictory or incomplete settings.
    """
    owner = "seqlab tune"
    environ = os.environ if environ is None else environ
    if chief and worker is not None:
        raise SettingsError(
            "pass `chief` or `worker` ID, not both.",
            "chief",
            "worker",
            "oracle",
        )
    if worker is not None and (not str(worker).strip() or worker == CHIEF):
        raise SettingsError(
            f"a worker ID must be a non-empty name other than "
            f"{CHIEF!r}, got {worker!r}.",
            "chief",
            "worker",
            "oracle",
        )
    tuner_id = CHIEF if chief else worker
    if tuner_id is None:
        tuner_id = environ.get("KERASTUNER_TUNER_ID")
    if oracle is not None:
        ip, port = parse_address(oracle, owner)
    elif environ.get("KERASTUNER_ORACLE_IP"):
        ip = environ["KERASTUNER_ORACLE_IP"]
        port_text = environ.get("KERASTUNER_ORACLE_PORT", "")
        if not port_text.isdigit():
            raise SettingsError(
                f"KERASTUNER_ORACLE_IP is set, so "
                "KERASTUNER_ORACLE_PORT must be a port number, got "
                f"{port_text!r}.",
                "chief",
                "worker",
                "oracle",
            )
        port = int(port_text)
    else:
        ip = port = None
    if tuner_id is None and ip is None:
        return None
    if tuner_id is None:
        raise SettingsError(
            "an oracle address is set, but not the role: pass "
            "`chief` or `worker` ID (or set KERASTUNER_TUNER_ID).",
            "chief",
            "worker",
            "oracle",
        )
    if ip is None:
        raise SettingsError(
            "`chief` and `worker` need the chief's address: "
            "`oracle` HOST:PORT (or KERASTUNER_ORACLE_IP and "
            "KERASTUNER_ORACLE_PORT).",
            "chief",
            "worker",
            "oracle",
        )
    return {"tuner_id": str(tuner_id), "ip": ip, "port": int(port)}


def set_environment(distributed, environ=None):
    """Sets the `KERASTUNER_*` variables that keras-tuner reads."""
    environ = os.environ if environ is None else environ
    if distributed is None:
        for name in _ENV:
            environ.pop(name, None)
        return
    environ["KERASTUNER_TUNER_ID"] = distributed["tuner_id"]
    environ["KERASTUNER_ORACLE_IP"] = distributed["ip"]
    environ["KERASTUNER_ORACLE_PORT"] = str(distributed["port"])


class _LeaseOracle:
    """Oracle mixin (on the chief): trials are leased to workers."""

    def _hear(self, tuner_id):
        self._heard[tuner_id] = time.monotonic()

    def _hear_trial(self, trial_id):
        for tuner_id, trial in self.ongoing_trials.items():
            if trial.trial_id == trial_id:
                self._hear(tuner_id)

    @keras_tuner.synchronized
    def create_trial(self, tuner_id):
        self._hear(tuner_id)
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
    def update_trial(self, trial_id, metrics, step=0):
        if trial_id in self.end_order:
            # A late report for a recorded trial (see `end_trial`).
            return self.trials[trial_id]
        self._hear_trial(trial_id)
        return super().update_trial(trial_id, metrics, step=step)

    @keras_tuner.synchronized
    def get_trial(self, trial_id):
        self._hear_trial(trial_id)
        return super().get_trial(trial_id)

    @keras_tuner.synchronized
    def end_trial(self, trial):
        if trial.trial_id in self.end_order:
            self._log(
                f"dropped a second result for trial {trial.trial_id}: it "
                "was already recorded"
            )
            return
        if trial.trial_id in self._retry_queue:
            # Its worker was taken for lost but finished after all.
            self._retry_queue.remove(trial.trial_id)
        self._hear_trial(trial.trial_id)
        super().end_trial(trial)
        # keras-tuner saves before it releases the trial; on a chief nothing
        # saves after, and a reloaded chief would run the trial again.
        self.save()

    @keras_tuner.synchronized
    def expire(self):
        """Releases the trials of the workers unheard for `lease` seconds.

        Returns:
            The IDs of the workers declared lost.
        """
        return self._expire()

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
            self._log(
                f"worker {tuner_id!r} unheard for {self.lease:g} s: lost; "
                f"trial {trial.trial_id} goes to the next worker"
            )
        if lost:
            self.save()
        return lost

    def _log(self, message):
        print(f"seqlab tune (chief): {message}", file=sys.stderr, flush=True)


_LEASE_CLASSES = {}


def enable_leases(oracle, lease=DEFAULT_LEASE_SECONDS):
    """Makes `oracle` (the chief's) lease its trials; returns it.

    keras-tuner's tuners create their oracle themselves, so the leasing
    methods are mixed into that instance's class.
    """
    if lease < MIN_LEASE_SECONDS:
        raise ValueError(
            f"seqlab tune: --lease must be at least {MIN_LEASE_SECONDS:g} "
            f"seconds ({HEARTBEAT_SECONDS:g} s between heartbeats), got "
            f"{lease:g}."
        )
    cls = type(oracle)
    if cls not in _LEASE_CLASSES:
        _LEASE_CLASSES[cls] = type(
            f"Leased{cls.__name__}", (_LeaseOracle, cls), {}
        )
    oracle.__class__ = _LEASE_CLASSES[cls]
    oracle.lease = float(lease)
    oracle._heard = {}
    return oracle


class Reaper:
    """A daemon thread on the chief that expires lost workers' leases.

    Without it a lease would only be checked when a worker asks for a
    trial, and keras-tuner's chief waits for every worker it has seen.
    """

    def __init__(self, oracle, period=HEARTBEAT_SECONDS):
        self._oracle = oracle
        self._period = period
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="seqlab-lease-reaper", daemon=True
        )

    def _run(self):
        while not self._stop.wait(self._period):
            self._oracle.expire()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()


class Heartbeat:
    """A daemon thread on a worker: tells the chief it is alive.

    It asks the chief for the trial it trains (a `GetTrial` call) every
    `period` seconds, from a thread, so that a long epoch or compilation
    does not read as silence.
    """

    def __init__(self, oracle, trial_id, period=HEARTBEAT_SECONDS):
        self._oracle = oracle
        self._trial_id = trial_id
        self._period = period
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="seqlab-heartbeat", daemon=True
        )
        self._thread.start()

    def _run(self):
        while not self._stop.wait(self._period):
            try:
                self._oracle.get_trial(self._trial_id)
            except Exception:  # noqa: BLE001 - the chief may be busy or gone
                pass

    def stop(self):
        self._stop.set()
        self._thread.join()
