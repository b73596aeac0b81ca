"""Helpers of the `seqlab tune` tests: subprocesses, logs, trial files."""

import contextlib
import io
import json
import os
import re
import signal
import socket
import sys
import time

import numpy as np
from seqlab_testing import BACKEND

# Small synthetic problems: 10-step windows, at most 96 windows a split.
QUICK = ["--window", "10", "--limit", "96", "--epochs", "2"]
TIMEOUT = 240


def command(*args):
    return [sys.executable, "-m", "keras_seqlab.cli", "tune", *args]


def env():
    env = dict(os.environ, KERAS_BACKEND=BACKEND)
    for name in ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP"):
        env.pop(name, None)
    return env


def oracle_state(project):
    return json.loads((project / "oracle.json").read_text())


def trial_files(project):
    return {
        path.parent.name: json.loads(path.read_text())
        for path in project.glob("trial_*/trial.json")
    }


def check_recorded_once(project, count):
    """Every trial completed, ended once, with a score; returns them."""
    state = oracle_state(project)
    assert sorted(state["end_order"]) == sorted(set(state["end_order"]))
    assert len(state["end_order"]) == count
    trials = trial_files(project)
    assert len(trials) == count
    for trial in trials.values():
        assert trial["status"] == "COMPLETED", trial["trial_id"]
        assert np.isfinite(trial["score"])
    assert sorted(t["trial_id"] for t in trials.values()) == sorted(
        state["end_order"]
    )
    return {t["trial_id"]: t for t in trials.values()}


def unfinished_trial(log, epochs):
    """The last trial a log shows begun but not fitted, else None.

    With patience >= epochs no trial stops early, so a trial whose last
    epoch line is missing has not reported its result yet.
    """
    begun = re.findall(r"^trial (\d+)/\d+:", log, re.MULTILINE)
    if not begun:
        return None
    trial = begun[-1]
    since = log[log.rindex(f"trial {trial}/") :]
    if f"epoch {epochs}/{epochs}:" in since or f"trial {trial} done" in since:
        return None
    return trial


def freeze_in_trial(process, log, epochs, trial=None):
    """Freezes `process` (SIGSTOP) inside a begun, unfinished trial.

    Freezing before the final read of `log` means the trial cannot finish
    between that read and whatever signal the caller sends next, however
    fast trials run. Returns the trial's id; `trial` waits for that one.
    """
    deadline = time.monotonic() + TIMEOUT
    while True:
        text = log.read_text()
        assert time.monotonic() < deadline, f"never caught in a trial:\n{text}"
        assert process.poll() is None, text
        found = unfinished_trial(text, epochs)
        if found is not None and trial in (None, found):
            process.send_signal(signal.SIGSTOP)
            if unfinished_trial(log.read_text(), epochs) == found:
                return found
            process.send_signal(signal.SIGCONT)
        time.sleep(0.05)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_main(argv):
    """(exit status, stdout, stderr) of `seqlab ARGV`, in this process."""
    from keras_seqlab import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


# keras-tuner's lock calls threading APIs Python deprecates.
KERAS_TUNER_WARNINGS = (
    "ignore:currentThread\\(\\) is deprecated:DeprecationWarning",
    "ignore:getName\\(\\) is deprecated:DeprecationWarning",
)
