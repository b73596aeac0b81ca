"""`seqlab tune`: search, resume, distributed chief/workers, bad input."""

import contextlib
import io
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
from seqlab_testing import BACKEND

kt = pytest.importorskip(
    "keras_tuner",
    reason="keras-tuner is not installed: pip install "
    '"keras-seqlab[tuning]" six',
)

from keras_seqlab import cli  # noqa: E402
from keras_seqlab import models  # noqa: E402
from keras_seqlab.tuning import distributed  # noqa: E402
from keras_seqlab.tuning import reports  # noqa: E402
from keras_seqlab.tuning import search  # noqa: E402
from keras_seqlab.tuning import summary as tune_summary  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore:currentThread\\(\\) is deprecated:DeprecationWarning",
    "ignore:getName\\(\\) is deprecated:DeprecationWarning",
)

# Small synthetic problems: 10-step windows, at most 96 windows a split.
QUICK = ["--window", "10", "--limit", "96", "--epochs", "2"]
TIMEOUT = 240


def _main(argv):
    """(exit status, stdout, stderr) of `seqlab ARGV`, in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


def _command(*args):
    return [sys.executable, "-m", "keras_seqlab.cli", "tune", *args]


def _env():
    env = dict(os.environ, KERAS_BACKEND=BACKEND)
    for name in ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP"):
        env.pop(name, None)
    return env


def _oracle(project):
    return json.loads((project / "oracle.json").read_text())


def _trial_files(project):
    return {
        path.parent.name: json.loads(path.read_text())
        for path in project.glob("trial_*/trial.json")
    }


def _check_recorded_once(project, count):
    """Every trial completed, ended once, with a score; returns them."""
    state = _oracle(project)
    assert sorted(state["end_order"]) == sorted(set(state["end_order"]))
    assert len(state["end_order"]) == count
    trials = _trial_files(project)
    assert len(trials) == count
    for trial in trials.values():
        assert trial["status"] == "COMPLETED", trial["trial_id"]
        assert np.isfinite(trial["score"])
    assert sorted(t["trial_id"] for t in trials.values()) == sorted(
        state["end_order"]
    )
    return {t["trial_id"]: t for t in trials.values()}


# -- a search from one command -------------------------------------------------


def test_tune_writes_the_best_model_summary_and_default_score(tmp_path):
    status, out, err = _main(
        ["tune", "gru", *QUICK, "--max-trials", "3", "--out", str(tmp_path)]
    )
    assert status == 0, err
    project = tmp_path / "gru"
    summary = json.loads((project / tune_summary.SUMMARY_FILE).read_text())
    assert summary["completed"] == 3
    assert len(summary["trials"]) == 3
    # Progress: each trial's values, epochs and end.
    for trial in summary["trials"]:
        assert f"trial {trial['trial_id']}/3: units=" in err
        assert f"trial {trial['trial_id']} done: val_loss " in err
    assert "epoch 2/2: loss" in err
    # The best-trials table is ranked by the objective.
    scores = [t["score"] for t in summary["trials"]]
    best = summary["best"]
    assert best["score"] == min(scores)
    assert summary["best_trials"][0] == best["trial_id"]
    assert "rank  trial  val_loss  epoch  units" in out
    assert f"best trial {best['trial_id']}" in out
    assert "untuned default" in out
    # The written model is the best trial's checkpoint: its validation MSE
    # is the trial's score and its test MSE the reported one.
    setup = search.prepare("gru", window=10, limit=96, epochs=2)
    model = keras.saving.load_model(project / tune_summary.BEST_MODEL_FILE)
    for split in ("val", "test"):
        x, y = getattr(setup.task, split)
        mse = float(np.mean((np.asarray(model.predict(x, verbose=0)) - y) ** 2))
        np.testing.assert_allclose(mse, best[f"{split}_mse"], rtol=1e-5)
    np.testing.assert_allclose(best["val_mse"], best["score"], rtol=1e-4)
    # The untuned builder, trained the same way, is scored next to it.
    default = summary["default"]
    assert default["params"] == models.build("gru", (10, 1)).count_params()
    assert np.isfinite(default["test_mse"])
    assert summary["settings"]["tuner"] == "random"


def test_tune_runs_hyperband_and_fixed_hyperparameters(tmp_path):
    status, out, err = _main(
        [
            "tune",
            "dense",
            *QUICK,
            "--tuner",
            "hyperband",
            "--set",
            "units=16",
            "--set",
            "depth=1,2",
            "--out",
            str(tmp_path),
        ]
    )
    assert status == 0, err
    summary = json.loads((tmp_path / "dense" / "summary.json").read_text())
    assert summary["completed"] >= 2
    for trial in summary["trials"]:
        assert trial["hyperparameters"]["units"] == 16
        assert trial["hyperparameters"]["depth"] in (1, 2)
    assert summary["settings"]["overrides"] == {"units": 16, "depth": [1, 2]}


def test_tune_scores_trials_by_walk_forward_folds(tmp_path):
    status, _, err = _main(
        ["tune", "dense", *QUICK, "--max-trials", "2", "--folds", "3"]
        + ["--out", str(tmp_path)]
    )
    assert status == 0, err
    assert "averaged over 3 walk-forward folds" in err
    summary = json.loads((tmp_path / "dense" / "summary.json").read_text())
    assert summary["settings"]["folds"] == 3
    for trial in summary["trials"]:
        # Each fold trains its own model for 2 epochs: the trial's score is
        # the mean over the folds of each fold's best val_loss.
        block = err.split(f"trial {trial['trial_id']}/2:")[1]
        block = block.split(f"trial {trial['trial_id']} done")[0]
        losses = [
            float(line.rsplit("val_loss ", 1)[1])
            for line in block.splitlines()
            if line.startswith("  epoch ")
        ]
        assert len(losses) == 3 * 2
        folds = [min(losses[i : i + 2]) for i in range(0, 6, 2)]
        np.testing.assert_allclose(trial["score"], np.mean(folds), rtol=1e-4)


def test_tune_space_lists_the_hyperparameters(tmp_path):
    status, out, err = _main(
        ["tune", "wavenet", "--set", "gated=false", "--space"]
        + ["--out", str(tmp_path)]
    )
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0] == "the wavenet search space (--set NAME=VALUE):"
    assert lines[1].split() == ["name", "kind", "values", "default"]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert list(rows) == [
        "filters",
        "kernel_size",
        "dilation_cycles",
        "max_dilation",
        "gated",
        "dropout",
        "learning_rate",
        "batch_size",
    ]
    assert rows["filters"].split() == ["filters", "Int", "8", "to", "128"] + [
        "step",
        "8",
        "32",
    ]
    assert "4, 8, 16, 32" in rows["max_dilation"]
    assert rows["gated"].split() == ["gated", "Fixed", "fixed", "False"]
    assert "0.0001 to 0.01, log scale" in rows["learning_rate"]
    assert not list(tmp_path.iterdir())


def test_parse_overrides():
    assert search.parse_overrides(
        ["units=64", "activation=relu,tanh", "dropout=0.1", "gated=false"]
    ) == {
        "units": 64,
        "activation": ["relu", "tanh"],
        "dropout": 0.1,
        "gated": False,
    }


# -- resuming ------------------------------------------------------------------


def _unfinished_trial(log, epochs):
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


def _freeze_in_trial(process, log, epochs, trial=None):
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
        found = _unfinished_trial(text, epochs)
        if found is not None and trial in (None, found):
            process.send_signal(signal.SIGSTOP)
            if _unfinished_trial(log.read_text(), epochs) == found:
                return found
            process.send_signal(signal.SIGCONT)
        time.sleep(0.05)


def _run_until(command, trial, epochs, sig, log):
    """Starts `command`; sends `sig` while trial `trial` is running."""
    with log.open("w") as out:
        process = subprocess.Popen(
            command, env=_env(), stdout=subprocess.DEVNULL, stderr=out
        )
    try:
        assert _freeze_in_trial(process, log, epochs, trial) == trial
        process.send_signal(sig)
        process.send_signal(signal.SIGCONT)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, log.read_text()


def test_tune_resumes_after_ctrl_c_and_kill(tmp_path):
    epochs = 6
    command = _command(
        "lstm",
        *QUICK,
        "--epochs",
        str(epochs),
        "--patience",
        str(epochs),
        "--max-trials",
        "4",
        "--out",
        str(tmp_path),
    )
    project = tmp_path / "lstm"
    status, text = _run_until(
        command, "1", epochs, signal.SIGINT, tmp_path / "first.log"
    )
    assert status == 130, text
    assert "interrupted; the finished trials are kept in" in text
    assert "Traceback" not in text
    first = _trial_files(project)
    assert first["trial_0"]["status"] == "COMPLETED"
    assert first["trial_1"]["status"] == "RUNNING"

    status, text = _run_until(
        command, "2", epochs, signal.SIGKILL, tmp_path / "second.log"
    )
    assert status == -signal.SIGKILL
    assert "resuming" in text and "1 trial(s) done" in text
    second = _trial_files(project)
    assert second["trial_1"]["status"] == "COMPLETED"
    assert second["trial_2"]["status"] == "RUNNING"

    done = subprocess.run(
        command, env=_env(), capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, done.stderr
    assert "resuming" in done.stderr and "2 trial(s) done" in done.stderr
    trials = _check_recorded_once(project, 4)
    # Finished trials were kept as they were, not run again.
    for trial_id in ("0", "1"):
        assert trials[trial_id]["score"] == second[f"trial_{trial_id}"]["score"]
    assert "trial 0/4:" not in done.stderr and "trial 1/4:" not in done.stderr
    # The trial that was running when the process died ran again, with the
    # values it was given.
    assert (
        trials["2"]["hyperparameters"] == second["trial_2"]["hyperparameters"]
    )


# -- distributed ---------------------------------------------------------------


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_distributed_search_survives_a_killed_worker(tmp_path):
    """A chief and two workers on loopback; one is killed mid-trial."""
    trials, epochs = 4, 12
    common = _command(
        "dense",
        *QUICK,
        "--epochs",
        str(epochs),
        "--patience",
        str(epochs),
        "--max-trials",
        str(trials),
        "--out",
        str(tmp_path / "search"),
        "--oracle",
        f"127.0.0.1:{_free_port()}",
    )
    project = tmp_path / "search" / "dense"
    logs = {name: tmp_path / f"{name}.log" for name in ("chief", "w1", "w2")}
    processes = {}
    try:
        for name, role in (
            ("chief", ["--chief", "--lease", "5"]),
            ("w1", ["--worker", "w1"]),
            ("w2", ["--worker", "w2"]),
        ):
            processes[name] = subprocess.Popen(
                common + role,
                env=_env(),
                stdout=logs[name].open("w"),
                stderr=subprocess.STDOUT,
            )
        killed = _freeze_in_trial(processes["w1"], logs["w1"], epochs)
        processes["w1"].kill()
        assert processes["chief"].wait(timeout=TIMEOUT) == 0, logs[
            "chief"
        ].read_text()
        assert processes["w2"].wait(timeout=60) == 0, logs["w2"].read_text()
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
    w1 = logs["w1"].read_text()
    assert f"trial {killed}/{trials}:" in w1
    assert f"trial {killed} done" not in w1
    chief = logs["chief"].read_text()
    assert f"worker 'w1' unheard for 5 s: lost; trial {killed}" in chief
    recorded = _check_recorded_once(project, trials)
    assert killed in recorded
    assert f"trial {killed} done: val_loss" in logs["w2"].read_text()
    assert _oracle(project)["ongoing_trials"] == {}
    summary = json.loads((project / "summary.json").read_text())
    assert summary["completed"] == trials
    assert (project / "best_model.keras").exists()


def _oracle_with_leases(tmp_path, max_trials=3):
    oracle = kt.oracles.RandomSearchOracle(
        objective="val_loss", max_trials=max_trials, seed=1
    )
    oracle.hyperparameters.Int("units", 1, 100)
    oracle._set_project_dir(str(tmp_path), "leases")
    return distributed.enable_leases(oracle, lease=5)


def _complete(oracle, trial, score):
    oracle.update_trial(trial.trial_id, {"val_loss": score})
    trial.status = "COMPLETED"
    oracle.end_trial(trial)


def test_lease_hands_a_lost_workers_trial_to_the_next(tmp_path, capsys):
    oracle = _oracle_with_leases(tmp_path)
    a, b = oracle.create_trial("a"), oracle.create_trial("b")
    assert (a.status, b.status) == ("RUNNING", "RUNNING")
    # "b" keeps calling; "a" falls silent for longer than the lease.
    oracle._heard["a"] -= 6
    oracle.get_trial(b.trial_id)
    assert oracle.expire() == ["a"]
    assert "a" not in oracle.tuner_ids and "a" not in oracle.ongoing_trials
    assert "worker 'a' unheard for 5 s: lost" in capsys.readouterr().err
    _complete(oracle, b, 0.5)
    again = oracle.create_trial("b")
    assert again.trial_id == a.trial_id
    assert again.hyperparameters.values == a.hyperparameters.values
    # The last new trial goes to "c"; "b" must wait while "c" holds it.
    c = oracle.create_trial("c")
    assert c.status == "RUNNING" and c.trial_id not in (a.trial_id, b.trial_id)
    _complete(oracle, again, 0.4)
    assert oracle.create_trial("b").status == "IDLE"
    assert "b" in oracle.tuner_ids
    _complete(oracle, c, 0.3)
    assert oracle.create_trial("b").status == "STOPPED"
    assert oracle.create_trial("c").status == "STOPPED"
    assert not oracle.tuner_ids and not oracle.ongoing_trials
    assert sorted(oracle.end_order) == sorted(
        {a.trial_id, b.trial_id, c.trial_id}
    )


def test_lease_drops_a_second_result_and_accepts_a_late_one(tmp_path):
    oracle = _oracle_with_leases(tmp_path, max_trials=2)
    a = oracle.create_trial("a")
    oracle._heard["a"] -= 6
    assert oracle.expire() == ["a"]
    # "a" was only slow: its result arrives while the trial waits for a
    # new worker. It counts, and the trial is not run again.
    _complete(oracle, a, 0.5)
    assert a.trial_id not in oracle._retry_queue
    b = oracle.create_trial("b")
    assert b.trial_id != a.trial_id
    # A second result for a recorded trial is dropped, metrics and all.
    _complete(oracle, a, 0.1)
    assert oracle.trials[a.trial_id].metrics.get_best_value("val_loss") == 0.5
    assert oracle.end_order == [a.trial_id]
    assert oracle.trials[a.trial_id].score == 0.5
    # The saved state has no trial left running once it has ended.
    _complete(oracle, b, 0.2)
    state = json.loads(pathlib.Path(oracle._get_oracle_fname()).read_text())
    assert state["ongoing_trials"] == {}


def test_role_from_flags_and_environment():
    assert distributed.role(environ={}) is None
    assert distributed.role(chief=True, oracle="10.0.0.1:9000", environ={}) == {
        "tuner_id": "chief",
        "ip": "10.0.0.1",
        "port": 9000,
    }
    environ = {
        "KERASTUNER_TUNER_ID": "w7",
        "KERASTUNER_ORACLE_IP": "10.0.0.2",
        "KERASTUNER_ORACLE_PORT": "8001",
    }
    assert distributed.role(environ=environ) == {
        "tuner_id": "w7",
        "ip": "10.0.0.2",
        "port": 8001,
    }
    # A flag wins over the environment.
    assert distributed.role(worker="w1", environ=environ)["tuner_id"] == "w1"
    env = {}
    distributed.set_environment(distributed.role(environ=environ), env)
    assert env == environ


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(chief=True), "`chief` and `worker` need the chief's address"),
        (dict(worker="chief", oracle="h:1"), "a worker ID must be"),
        (dict(oracle="h:1"), "pass `chief` or `worker` ID"),
        (
            dict(chief=True, oracle="h:99999"),
            "the oracle address must be HOST:PORT",
        ),
    ],
)
def test_role_errors(kwargs, message):
    with pytest.raises(ValueError) as error:
        distributed.role(environ={}, **kwargs)
    assert "seqlab tune" not in str(error.value)  # no CLI wording here
    assert message in str(error.value)


# -- bad input -----------------------------------------------------------------


@pytest.fixture
def weather_csv(tmp_path):
    path = tmp_path / "series.csv"
    rows = ["date,a,b"] + [f"2020-01-{d:02d},{d},{d * 2}" for d in range(1, 29)]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(
    "argv, message",
    [
        (["nosuch"], "unknown architecture 'nosuch'; the architectures are"),
        (["persistence"], "persistence has no weights and nothing to tune"),
        (
            ["gru", "--set", "nosuch=3"],
            "unknown hyperparameter(s) 'nosuch' in overrides; the 'gru' "
            "search space has: units, depth",
        ),
        (["gru", "--set", "units"], "--set takes NAME=VALUE"),
        (["gru", "--max-trials", "0"], "--max-trials must be a positive"),
        (["gru", "--folds", "1"], "--folds must be at least 2"),
        (["gru", "--epochs", "-1"], "--epochs must be a positive integer"),
        (
            ["gru", "--tuner", "hyperband", "--max-trials", "3"],
            "--max-trials does not apply to Hyperband",
        ),
        (
            ["gru", "--horizon", "3", "--head", "many_to_one"],
            "needs --horizon 1",
        ),
        (["gru", "--chief"], "need the chief's address"),
        (["gru", "--lease", "1"], "--lease must be at least 5 seconds"),
    ],
)
def test_tune_bad_input(argv, message, tmp_path):
    status, out, err = _main(["tune", *argv, "--out", str(tmp_path)])
    assert status == 2
    assert err.startswith("seqlab tune: ") and message in err, err
    assert "Traceback" not in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_tune_bad_csv_target(weather_csv, tmp_path):
    status, _, err = _main(
        ["tune", "gru", "--csv", str(weather_csv), "--target", "nosuch"]
        + ["--date-column", "date", "--out", str(tmp_path / "out")]
    )
    assert status == 2
    assert err.startswith("seqlab tune: ") and "'nosuch'" in err, err
    assert "Traceback" not in err and err.count("\n") == 1


def test_tune_refuses_to_resume_with_other_settings(tmp_path):
    argv = [
        "tune",
        "dense",
        *QUICK,
        "--max-trials",
        "1",
        "--out",
        str(tmp_path),
    ]
    assert _main(argv)[0] == 0
    status, _, err = _main(
        [*argv[:-2], "--window", "12", "--out", str(tmp_path)]
    )
    assert status == 2
    assert "holds a search with other settings (window 10 -> 12)" in err, err
    assert "--overwrite" in err
    # More trials resume the same search; --overwrite starts over.
    status, _, err = _main(
        [*argv[:-4], "--max-trials", "2", "--out", str(tmp_path)]
    )
    assert status == 0, err
    assert "resuming" in err
    assert len(_trial_files(tmp_path / "dense")) == 2
    status, _, err = _main([*argv, "--overwrite"])
    assert status == 0, err
    assert "resuming" not in err
    assert len(_trial_files(tmp_path / "dense")) == 1


def test_summary_says_when_the_default_wins_on_validation():
    trial = {
        "trial_id": "0",
        "status": "COMPLETED",
        "score": 0.5,
        "best_epoch": 2,
        "hyperparameters": {"units": 8},
    }
    results = {
        "description": "a test",
        "keras": keras.__version__,
        "backend": BACKEND,
        "keras_tuner": kt.__version__,
        "completed": 1,
        "search_seconds": 1.0,
        "metric": "rmse",
        "unit": "h",
        "trials": [trial],
        "best_trials": ["0"],
        "best": {**trial, "params": 9, "val_rmse": 3.0, "test_rmse": 2.0},
        "default": {"params": 9, "val_rmse": 2.9, "test_rmse": 2.5},
    }
    text = reports.format_summary(results)
    assert "test rmse: the tuned model is 20.0% lower" in text
    assert "val RMSE (h)" in text
    assert "the untuned default scores better on validation" in text
    results["default"]["val_rmse"] = 3.1
    assert "scores better" not in reports.format_summary(results)
