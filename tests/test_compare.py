"""`seqlab compare`: end to end in quick mode, the Python API, bad input."""

import datetime
import importlib.util
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from keras_seqlab import cli
from keras_seqlab import datasets
from keras_seqlab import models
from keras_seqlab.experiments import compare
from keras_seqlab.experiments.settings import Settings
from keras_seqlab.experiments.tasks import prepare

HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def _run_cli(*args, cwd):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run(
        [sys.executable, "-m", "keras_seqlab.cli", "compare", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


@pytest.mark.backend_free
@pytest.mark.slow
def test_cli_quick_mode_end_to_end(tmp_path):
    out = tmp_path / "out"
    done = _run_cli(
        "--full",  # every task (the quick default skips seq-to-seq)
        "--models",
        "persistence,linear,gru",
        "--epochs",
        "2",
        "--limit",
        "16",
        "--horizon",
        "3",
        "--window",
        "20",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    assert results["dataset"] == "synthetic"
    assert results["metric"] == "mse"
    assert results["settings"]["epochs"] == 2
    assert results["settings"]["models"] == ["persistence", "linear", "gru"]
    assert results["metrics"]["mse"] == {
        "unit": None,
        "scaled": False,
        "what": results["metrics"]["mse"]["what"],
    }
    tasks = {t["task"]: t for t in results["tasks"]}
    assert list(tasks) == ["seq_to_vector", "seq_to_seq"]
    for task in tasks.values():
        assert task["horizon"] == 3
        assert task["samples"] == {"train": 16, "val": 16, "test": 16}
        rows = {r["model"]: r for r in task["results"]}
        assert set(rows) == {"persistence", "linear", "gru"}
        assert sorted(r["rank"] for r in rows.values()) == [1, 2, 3]
        ranked = sorted(task["results"], key=lambda r: r["rank"])
        assert [r["val_mse"] for r in ranked] == sorted(
            r["val_mse"] for r in ranked
        )
        assert rows["persistence"]["params"] == 0
        assert rows["persistence"]["epochs"] == 0
        # Flattened window of 20 steps to 3 values.
        assert rows["linear"]["params"] == 20 * 3 + 3
        for row in rows.values():
            assert np.isfinite([row["val_mse"], row["test_mse"]]).all()
        for name in ("linear", "gru"):
            row = rows[name]
            assert row["epochs"] == 2
            assert len(row["history"]["val_loss"]) == 2
            # The learning curves plot the leaderboard's own score: at the
            # kept (best) epoch the curve is the leaderboard's value.
            curve = row["history"]["val_mse"]
            assert curve[row["best_epoch"] - 1] == pytest.approx(
                row["val_mse"], rel=1e-5
            )
    # The seq-to-seq task is scored on the last step's forecast: the
    # persistence baseline scores the same on both tasks.
    assert tasks["seq_to_seq"]["results"] and (
        _row(tasks["seq_to_seq"], "persistence")["test_mse"]
        == pytest.approx(
            _row(tasks["seq_to_vector"], "persistence")["test_mse"]
        )
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith("seqlab compare: synthetic")
    assert sum(line.lstrip().startswith("rank") for line in lines) == 2
    assert any(re.match(r"\s+\d\s+linear\s+63\s", line) for line in lines)
    assert any(re.match(r"\s+\d\s+persistence\s+0\s", line) for line in lines)
    assert "[1/6] seq_to_vector persistence: val mse" in done.stderr
    assert re.search(
        r"\[3/6\] seq_to_vector gru: val mse [\d.e-]+; [\d,]+ "
        r"params, best epoch [12]/2, [\d.]+ s",
        done.stderr,
    )
    assert "epoch 1/2:" not in done.stderr  # per-epoch lines: --verbose
    assert re.search(
        r"seqlab compare: 6 models on 2 task\(s\) in ", done.stderr
    )
    assert (out / "leaderboard.txt").read_text().startswith("seqlab compare")
    if HAS_MATPLOTLIB:
        assert set(results["plots"]) == {
            "learning_curves_seq_to_vector.png",
            "forecast_seq_to_vector.png",
            "learning_curves_seq_to_seq.png",
            "forecast_seq_to_seq.png",
        }
        for name in results["plots"]:
            assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert "skipped the plots" in done.stdout
    # A second run into the folder replaces the first one's files.
    first = set(results["plots"]) | {
        r["file"] for t in results["tasks"] for r in t["results"]
    }
    again = _run_cli(
        "--models", "linear", "--epochs", "1", "--limit", "16",
        "--window", "20", "--horizon", "3", "--no-plots", "--verbose",
        "--out", str(out), cwd=tmp_path,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr[-3000:]
    assert "epoch 1/1:" in again.stderr
    second = json.loads((out / "results.json").read_text())
    kept = {r["file"] for t in second["tasks"] for r in t["results"]}
    assert second["plots"] == []
    for name in first - kept:
        assert not (out / name).exists(), name
    for name in kept:
        assert (out / name).exists(), name


def _row(task, model):
    return next(r for r in task["results"] if r["model"] == model)


@pytest.mark.backend_free
@pytest.mark.slow
def test_api_weather_without_matplotlib(tmp_path, monkeypatch):
    # A None entry in sys.modules makes `import matplotlib` fail.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    results = compare.run(
        dataset="weather",
        models=["persistence", "dense"],
        epochs=1,
        limit=20,
        out=tmp_path,
        progress=None,
    )
    assert results["metric"] == "rmse" and results["unit"] == "h"
    assert results["target"] == "BASEL_sunshine"
    assert results["plots"] == []
    assert "matplotlib is not installed" in results["notes"][0]
    (task,) = results["tasks"]
    assert (task["task"], task["head"], task["horizon"]) == (
        "one_step",
        "many_to_one",
        1,
    )
    # Persistence in hours, computed here from the raw column: the test
    # split is the last 10% of the days; its first window's target is
    # day 30 of the split, forecast by day 29.
    sunshine = datasets.load_weather("BASEL").column("BASEL_sunshine")
    start = len(sunshine) - round(0.1 * len(sunshine)) + 30
    truth = sunshine[start : start + 20]
    naive = sunshine[start - 1 : start + 19]
    expected = float(np.sqrt(np.mean((truth - naive) ** 2)))
    persistence = _row(task, "persistence")
    assert persistence["test_rmse"] == pytest.approx(expected, rel=1e-4)
    dense = _row(task, "dense")
    assert dense["params"] == 30 * 9 * 32 + 32 + 33
    assert np.isfinite([dense["val_rmse"], dense["test_rmse"]]).all()
    board = compare.format_leaderboard(results)
    assert "val RMSE (h)" in board and "skipped the plots" in board
    assert json.loads((tmp_path / "results.json").read_text()) == results


@pytest.mark.backend_free
def test_api_csv_with_a_horizon(tmp_path):
    rng = np.random.default_rng(0)
    values = np.cumsum(rng.normal(size=(200, 2)), axis=0)
    path = tmp_path / "series.csv"
    start_day = datetime.date(2020, 1, 1)
    lines = ["day,load,temp"] + [
        f"{start_day + datetime.timedelta(days=i)},{a:.4f},{b:.4f}"
        for i, (a, b) in enumerate(values)
    ]
    path.write_text("\n".join(lines) + "\n")
    results = compare.run(
        csv=path,
        target="load",
        date_column="day",
        models="persistence",
        horizon=2,
        window=5,
        out=None,
        progress=None,
    )
    assert results["dataset"] == "csv" and results["unit"] is None
    assert [t["task"] for t in results["tasks"]] == [
        "seq_to_vector",
        "seq_to_seq",
    ]
    load = np.float32(np.round(values[:, 0], 4)).astype(float)
    start = 200 - 20 + 5  # the test split's first target row
    truth = np.stack([load[start:-1], load[start + 1 :]], axis=1)
    naive = load[start - 1 : -2, None]
    expected = float(np.sqrt(np.mean((truth - naive) ** 2)))
    for task in results["tasks"]:
        assert task["samples"]["test"] == len(truth)
        rmse = _row(task, "persistence")["test_rmse"]
        assert rmse == pytest.approx(expected, rel=1e-4)


@pytest.mark.backend_free
@pytest.mark.parametrize(
    "args, message",
    [
        (["--models", "lstm,lsmt"], "unknown model(s) 'lsmt'; the models"),
        (["--csv", "x.csv"], "--csv needs --target COLUMN"),
        (["--csv", "missing.csv", "--target", "a"], "no such file"),
        (["--csv", "{csv}", "--target", "b"], "target 'b' not found"),
        (["--csv", "{csv}", "--target", "a"], "non-numeric value 'x'"),
        (["--epochs", "0"], "--epochs must be a positive integer, got 0"),
        (["--dataset", "weather", "--window", "400"], "too short for window"),
        (["--dataset", "weather", "--csv", "{csv}"], "either --dataset or"),
        (["--target", "a"], "apply to --csv and --dataset weather only"),
    ],
)
def test_bad_input_is_one_line_and_status_2(args, message, tmp_path, capsys):
    csv = tmp_path / "bad.csv"
    csv.write_text("a,c\n1,2\nx,3\n")
    args = [a.replace("{csv}", str(csv)) for a in args]
    assert cli.main(["compare", "--out", str(tmp_path / "o"), *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("seqlab compare: ")
    assert message in line
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
@pytest.mark.backend_free
def test_bad_input_from_the_command_line_has_no_traceback(tmp_path):
    done = _run_cli("--models", "nope", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith("seqlab compare: unknown model(s) 'nope'")
    )
    assert done.stdout == ""


@pytest.mark.backend_free
def test_prepare_defaults_are_the_textbook_setup():
    plan = prepare(Settings(limit=8))
    assert plan.dataset == "synthetic"
    assert plan.settings.window == 50 and plan.settings.epochs == 20
    assert [(t.name, t.horizon) for t in plan.tasks] == [
        ("one_step", 1),
        ("seq_to_vector", 10),
        ("seq_to_seq", 10),
    ]
    assert plan.models[0] == "persistence"
    assert plan.models == list(models.names())
    one, vector, seq = plan.tasks
    assert one.train[0].shape == (8, 50, 1) and one.train[1].shape == (8, 1)
    assert vector.train[1].shape == (8, 10)
    assert seq.train[1].shape == (8, 50, 10)
    # Seq-to-seq targets: at step t the next 10 values; the last step's
    # are the seq-to-vector targets, the first of those the next value.
    np.testing.assert_array_equal(seq.test[1][:, -1], vector.test[1])
    np.testing.assert_array_equal(seq.train[1][:, 3, 0], seq.train[0][:, 4, 0])
    # Each horizon's series are the book's own draw (seed 42): 51 steps
    # for the next value, 60 for the next ten.
    book = datasets.synthetic_series(10000, 51)
    np.testing.assert_array_equal(one.val[0], book[7000:7008, :50])
    np.testing.assert_array_equal(one.val[1], book[7000:7008, 50])
    full = prepare(Settings())
    x_val, y_val = full.tasks[0].val
    naive = float(np.mean((x_val[:, -1] - y_val) ** 2))
    assert round(naive, 6) == 0.020211  # the book's naive validation MSE
    assert [len(s[0]) for s in (full.tasks[0].train, full.tasks[0].val)] == [
        7000,
        2000,
    ]
    assert len(full.tasks[0].test[0]) == 1000
