"""Rolling-origin backtests: saved forecasters and refitted architectures."""

import contextlib
import io
import json

import numpy as np
import pytest

import keras_seqlab
from keras_seqlab import cli
from keras_seqlab.forecasting.backtesting import backtest


def _series(rows=80, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    load = 10 + np.sin(t / 3) + 0.1 * rng.normal(size=rows)
    temp = 5 + np.cos(t / 5)
    return np.stack([load, temp], axis=1)


def _main(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.backend_free
@pytest.mark.parametrize("kind", ["saved", "refit"])
def test_only_data_before_each_origin_is_used(kind):
    """Changing every row from an origin on changes no forecast from it
    (the truth changes, the forecast does not)."""
    values = _series()
    if kind == "saved":
        model = keras_seqlab.forecaster(
            keras_seqlab.build("linear", (5, 2)),
            ["load", "temp"],
            "load",
            "many_to_one",
            1,
        )
        run = dict(folds=3)
    else:
        model = "linear"
        run = dict(folds=3, horizon=2, window=5, epochs=2, target="load")
        run["columns"] = ["load", "temp"]
    base = backtest(model, values, **run)
    for k, fold in enumerate(base["folds"]):
        changed = values.copy()
        changed[fold["origin"] :] += 100.0
        again = backtest(model, changed, **run)
        np.testing.assert_allclose(
            again["folds"][k]["forecast"], fold["forecast"], rtol=1e-6
        )
        assert again["folds"][k]["truth"] != fold["truth"]


def test_fold_metrics_are_those_of_the_forecasts():
    values = _series()
    result = backtest(
        "persistence",
        values,
        folds=4,
        horizon=3,
        window=5,
        target="load",
        columns=["load", "temp"],
    )
    assert [f["origin"] for f in result["folds"]] == [68, 71, 74, 77]
    for fold in result["folds"]:
        # Persistence: the last value before the origin, three times.
        last = values[fold["origin"] - 1, 0]
        np.testing.assert_allclose(fold["forecast"], [last] * 3, rtol=1e-6)
        error = np.asarray(fold["truth"]) - np.asarray(fold["forecast"])
        np.testing.assert_allclose(fold["mae"], np.mean(np.abs(error)))
        np.testing.assert_allclose(fold["rmse"], np.sqrt(np.mean(error**2)))
        naive = np.mean(np.abs(np.diff(values[: fold["origin"], 0])))
        np.testing.assert_allclose(fold["mase"], fold["mae"] / naive)
    np.testing.assert_allclose(
        result["mean"]["rmse"], np.mean([f["rmse"] for f in result["folds"]])
    )


@pytest.mark.backend_free
def test_seqlab_backtest_of_a_saved_model_and_of_an_architecture(tmp_path):
    values = _series()
    days = np.datetime64("2022-01-01") + np.arange(len(values))
    csv = tmp_path / "series.csv"
    csv.write_text(
        "day,load,temp\n"
        + "".join(f"{d},{a:.4f},{b:.4f}\n" for d, (a, b) in zip(days, values))
    )
    model = keras_seqlab.forecaster(
        keras_seqlab.build("persistence", (5, 1)),
        ["load"],
        "load",
        "many_to_one",
        1,
        date_column="day",
    )
    path = tmp_path / "persistence.keras"
    model.save(path)
    out = tmp_path / "folds.json"
    png = tmp_path / "folds.png"
    status, stdout, err = _main(
        ["backtest", str(path), "--csv", str(csv), "--folds", "2"]
        + ["--out", str(out), "--plot", str(png)]
    )
    assert status == 0, err
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "2022-03-20" in stdout and "mean" in stdout
    folds = json.loads(out.read_text())["folds"]
    # 80 daily rows from 2022-01-01: origins at rows 78 and 79.
    assert [f["date"] for f in folds] == ["2022-03-20", "2022-03-21"]
    status, stdout, err = _main(
        ["backtest", "linear", "--csv", str(csv), "--target", "load"]
        + ["--date-column", "day", "--folds", "2", "--window", "5"]
        + ["--epochs", "1"]
    )
    assert status == 0, err
    assert stdout.count("\n") == 5
    for argv, message in [
        (["linear", "--csv", str(csv), "--folds", "0"], "--folds must be"),
        (["linear", "--csv", str(csv)], "needs --target"),
        (["nosuch", "--csv", str(csv)], "neither a .keras forecaster"),
    ]:
        status, stdout, err = _main(["backtest", *argv])
        assert status == 2 and message in err and err.count("\n") == 1, err
