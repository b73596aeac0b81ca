"""`seqlab tune`: search, resume, distributed chief/workers, bad input."""

import json
import signal
import subprocess

import keras
import numpy as np
import pytest
from seqlab_testing import BACKEND
from tune_testing import KERAS_TUNER_WARNINGS
from tune_testing import QUICK
from tune_testing import TIMEOUT
from tune_testing import check_recorded_once
from tune_testing import command
from tune_testing import env
from tune_testing import freeze_in_trial
from tune_testing import run_main
from tune_testing import trial_files

kt = pytest.importorskip(
    "keras_tuner",
    reason="keras-tuner is not installed: pip install "
    '"keras-seqlab[tuning]" six',
)

from keras_seqlab import models  # noqa: E402
from keras_seqlab.tuning import reports  # noqa: E402
from keras_seqlab.tuning import search  # noqa: E402
from keras_seqlab.tuning import summary as tune_summary  # noqa: E402

pytestmark = pytest.mark.filterwarnings(*KERAS_TUNER_WARNINGS)


# -- a search from one command -------------------------------------------------


@pytest.mark.slow
@pytest.mark.xdist_group("tuned")
def test_tune_writes_the_best_model_summary_and_default_score(tuned):
    status, out, err = tuned.status, tuned.out, tuned.err
    assert status == 0, err
    project = tuned.folder / "gru"
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


@pytest.mark.slow
@pytest.mark.backend_free
def test_tune_runs_hyperband_and_fixed_hyperparameters(tmp_path):
    status, out, err = run_main(
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


@pytest.mark.slow
@pytest.mark.backend_free
def test_tune_scores_trials_by_walk_forward_folds(tmp_path):
    status, out, err = run_main(
        ["tune", "dense", *QUICK, "--max-trials", "2", "--folds", "3"]
        + ["--out", str(tmp_path)]
    )
    assert status == 0, err
    assert "averaged over 3 walk-forward folds" in out
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


@pytest.mark.backend_free
def test_tune_space_lists_the_hyperparameters(tmp_path):
    status, out, err = run_main(
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


@pytest.mark.backend_free
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


def _run_until(command, trial, epochs, sig, log):
    """Starts `command`; sends `sig` while trial `trial` is running."""
    with log.open("w") as out:
        process = subprocess.Popen(
            command, env=env(), stdout=subprocess.DEVNULL, stderr=out
        )
    try:
        assert freeze_in_trial(process, log, epochs, trial) == trial
        process.send_signal(sig)
        process.send_signal(signal.SIGCONT)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, log.read_text()


@pytest.mark.slow
@pytest.mark.backend_free
def test_tune_resumes_after_ctrl_c_and_kill(tmp_path):
    epochs = 6
    argv = command(
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
        argv, "1", epochs, signal.SIGINT, tmp_path / "first.log"
    )
    assert status == 130, text
    assert "interrupted; the finished trials are kept in" in text
    assert "Traceback" not in text
    first = trial_files(project)
    assert first["trial_0"]["status"] == "COMPLETED"
    assert first["trial_1"]["status"] == "RUNNING"

    status, text = _run_until(
        argv, "2", epochs, signal.SIGKILL, tmp_path / "second.log"
    )
    assert status == -signal.SIGKILL
    assert "resuming" in text and "1 trial(s) done" in text
    second = trial_files(project)
    assert second["trial_1"]["status"] == "COMPLETED"
    assert second["trial_2"]["status"] == "RUNNING"

    done = subprocess.run(
        argv, env=env(), capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, done.stderr
    assert "resuming" in done.stderr and "2 trial(s) done" in done.stderr
    trials = check_recorded_once(project, 4)
    # Finished trials were kept as they were, not run again.
    for trial_id in ("0", "1"):
        assert trials[trial_id]["score"] == second[f"trial_{trial_id}"]["score"]
    assert "trial 0/4:" not in done.stderr and "trial 1/4:" not in done.stderr
    # The trial that was running when the process died ran again, with the
    # values it was given.
    assert (
        trials["2"]["hyperparameters"] == second["trial_2"]["hyperparameters"]
    )


@pytest.mark.slow
@pytest.mark.backend_free
def test_tune_resumes_after_sigterm(tmp_path):
    """SIGTERM (schedulers, containers, `timeout`) is Ctrl-C: exit 143, one
    line, no stale lock; the same command resumes."""
    epochs = 3
    argv = command(
        "dense",
        *QUICK,
        "--epochs",
        str(epochs),
        "--patience",
        str(epochs),
        "--max-trials",
        "2",
        "--out",
        str(tmp_path),
    )
    project = tmp_path / "dense"
    status, text = _run_until(
        argv, "1", epochs, signal.SIGTERM, tmp_path / "first.log"
    )
    assert status == 143, text
    assert "Traceback" not in text
    last = text.strip().splitlines()[-1]
    assert last.startswith("seqlab tune: terminated; the finished trials are")
    assert text.count("terminated") == 1, text
    assert list(tmp_path.rglob(".seqlab-*.lock")) == []
    assert trial_files(project)["trial_0"]["status"] == "COMPLETED"

    done = subprocess.run(
        argv, env=env(), capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, done.stderr
    assert "resuming" in done.stderr and "1 trial(s) done" in done.stderr
    assert "trial 0/2:" not in done.stderr
    check_recorded_once(project, 2)
    assert list(tmp_path.rglob(".seqlab-*.lock")) == []


# -- bad input -----------------------------------------------------------------


@pytest.fixture
def weather_csv(tmp_path):
    path = tmp_path / "series.csv"
    rows = ["date,a,b"] + [f"2020-01-{d:02d},{d},{d * 2}" for d in range(1, 29)]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.backend_free
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
        (
            ["gru", "--lease", "1"],
            "--lease must be a finite number of seconds, at least 5",
        ),
        (
            ["gru", "--lease", "nan"],
            "--lease must be a finite number of seconds, at least 5",
        ),
    ],
)
def test_tune_bad_input(argv, message, tmp_path):
    status, out, err = run_main(["tune", *argv, "--out", str(tmp_path)])
    assert status == 2
    assert err.startswith("seqlab tune: ") and message in err, err
    assert "Traceback" not in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


@pytest.mark.backend_free
def test_tune_bad_csv_target(weather_csv, tmp_path):
    status, _, err = run_main(
        ["tune", "gru", "--csv", str(weather_csv), "--target", "nosuch"]
        + ["--date-column", "date", "--out", str(tmp_path / "out")]
    )
    assert status == 2
    assert err.startswith("seqlab tune: ") and "'nosuch'" in err, err
    assert "Traceback" not in err and err.count("\n") == 1


@pytest.mark.slow
@pytest.mark.backend_free
@pytest.mark.xdist_group("tuned")
def test_tune_refuses_to_resume_with_other_settings(tuned, tuned_copy):
    argv = [*tuned.argv, "--out", str(tuned_copy)]
    status, _, err = run_main([*tuned.argv, "--window", "12"] + argv[-2:])
    assert status == 2
    assert "holds a search with other settings (window 10 -> 12)" in err, err
    assert "--overwrite" in err
    assert len(trial_files(tuned_copy / "gru")) == 3  # left as it was
    # More trials resume the same search; --overwrite starts over.
    status, _, err = run_main([*argv, "--max-trials", "4"])
    assert status == 0, err
    assert "resuming" in err and "3 trial(s) done" in err
    assert len(trial_files(tuned_copy / "gru")) == 4
    status, _, err = run_main([*argv, "--max-trials", "1", "--overwrite"])
    assert status == 0, err
    assert "resuming" not in err
    assert len(trial_files(tuned_copy / "gru")) == 1


@pytest.mark.backend_free
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
