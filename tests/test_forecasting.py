"""Saved forecasters, `forecast` and `seqlab forecast`, on every backend."""

import contextlib
import io
import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from seqlab_testing import BACKEND

import keras_seqlab
from keras_seqlab import cli
from keras_seqlab.experiments import compare

# One xdist worker runs the module: `seqlab compare` (the fixture
# `compared`) runs once.
pytestmark = pytest.mark.xdist_group("forecasting")

WINDOW = 6


def _series_csv(path, rows=60, seed=0, start_day=1):
    """A dated two-column CSV: load and temp (daily from 2021-03-01)."""
    rng = np.random.default_rng(seed)
    days = np.datetime64("2021-03-01") + np.arange(rows) + start_day - 1
    load = 10 + np.sin(np.arange(rows) / 3) + 0.1 * rng.normal(size=rows)
    temp = 5 + np.cos(np.arange(rows) / 5)
    lines = ["day,load,temp"] + [
        f"{d},{a:.4f},{b:.4f}" for d, a, b in zip(days, load, temp)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _main(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="session")
def compared(tmp_path_factory):
    """`seqlab compare` on a dated CSV, univariate and multivariate.

    Session-scoped: under xdist a module fixture can be set up again when
    the worker's items of the module are not contiguous; one session
    fixture in one xdist group runs once."""
    folder = tmp_path_factory.mktemp("compared")
    csv = _series_csv(folder / "series.csv", rows=120)
    runs = {}
    for name, columns in (("uni", ["load"]), ("multi", ["load", "temp"])):
        runs[name] = compare.run(
            csv=str(csv),
            target="load",
            columns=columns,
            date_column="day",
            models=["persistence", "linear", "gru"],
            window=WINDOW,
            epochs=2,
            units=4,
            out=folder / name,
            plots=False,
            progress=None,
        )
    return folder, csv, runs


def test_compare_saves_every_model_as_a_forecaster(compared):
    folder, _, runs = compared
    results = runs["multi"]
    entry = results["tasks"][0]
    assert [r["file"] for r in entry["results"]] == [
        f"models/one_step/{r['model']}.keras" for r in entry["results"]
    ]
    for r in entry["results"]:
        assert (folder / "multi" / r["file"]).is_file()
    board = (folder / "multi" / "leaderboard.txt").read_text()
    assert "saved: models/one_step/MODEL.keras" in board
    assert json.loads((folder / "multi" / "results.json").read_text())["tasks"][
        0
    ]["results"][0]["file"]


@pytest.mark.slow
def test_a_saved_model_reproduces_the_reported_rmse_in_a_fresh_process(
    compared,
):
    """Raw windows of the test rows in, original units out: the test RMSE
    of the leaderboard, recomputed after `load_model(safe_mode=True)`."""
    folder, csv, runs = compared
    entry = runs["multi"]["tasks"][0]
    script = textwrap.dedent(
        f"""
        import json, sys
        import numpy as np, keras, keras_seqlab
        data = keras_seqlab.load_csv({str(csv)!r}, target="load",
                                     columns=["load", "temp"],
                                     date_column="day")
        _, _, test = keras_seqlab.temporal_split(data.values, 0.1, 0.1)
        x, y = keras_seqlab.make_windows(test, {WINDOW}, 1, targets=0)
        out = {{}}
        for name in sys.argv[1:]:
            model = keras.saving.load_model(name, safe_mode=True)
            p = np.asarray(model.predict(x, verbose=0))
            out[name] = float(np.sqrt(np.mean((p - y) ** 2)))
        print(json.dumps(out))
        """
    )
    paths = [str(folder / "multi" / r["file"]) for r in entry["results"]]
    done = subprocess.run(
        [sys.executable, "-c", script, *paths],
        capture_output=True,
        text=True,
        env={**os.environ, "KERAS_BACKEND": BACKEND},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rmse = json.loads(done.stdout.strip().splitlines()[-1])
    for r, path in zip(entry["results"], paths):
        np.testing.assert_allclose(rmse[path], r["test_rmse"], rtol=1e-5)


@pytest.mark.backend_free
def test_seqlab_forecast_writes_dated_rows(compared, tmp_path):
    folder, csv, _ = compared
    model = folder / "uni" / "models" / "one_step" / "gru.keras"
    out, png = tmp_path / "next.csv", tmp_path / "next.png"
    status, stdout, err = _main(
        ["forecast", str(model), "--csv", str(csv), "--steps", "4"]
        + ["--out", str(out), "--plot", str(png)]
    )
    assert status == 0, err
    assert png.read_bytes()[:4] == b"\x89PNG"
    lines = stdout.strip().splitlines()
    assert lines[0] == "day,load"
    # The series ends on 2021-06-28 (120 daily rows from 2021-03-01).
    assert [line.split(",")[0] for line in lines[1:]] == [
        "2021-06-29",
        "2021-06-30",
        "2021-07-01",
        "2021-07-02",
    ]
    assert out.read_text() == stdout
    # The same numbers as `forecast` in Python, fed back step by step.
    loaded = keras_seqlab.load_forecaster(model)
    data = keras_seqlab.load_csv(csv, columns=["load"], date_column="day")
    expected = keras_seqlab.forecast(loaded, data, steps=4)
    got = [float(line.split(",")[1]) for line in lines[1:]]
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_forecast_beyond_the_horizon_feeds_the_forecasts_back(compared):
    folder, csv, _ = compared
    model = keras_seqlab.load_forecaster(
        folder / "uni" / "models" / "one_step" / "gru.keras"
    )
    series = keras_seqlab.load_csv(csv, columns=["load"]).values[:, 0]
    rolled = keras_seqlab.forecast(model, series, steps=3, method="window")
    history = list(series)
    by_hand = []
    for _ in range(3):
        window = np.asarray(history[-WINDOW:], "float32")[None, :, None]
        by_hand.append(
            float(np.asarray(model.predict(window, verbose=0))[0, 0])
        )
        history.append(by_hand[-1])
    np.testing.assert_allclose(rolled, by_hand, rtol=1e-5)
    # The default steps the GRU on (its state carries on from the first
    # window; tests/test_streaming_forecast.py checks those numbers): the
    # first forecast is the window's.
    streamed = keras_seqlab.forecast(model, series, steps=3)
    np.testing.assert_allclose(
        streamed, keras_seqlab.forecast(model, series, 3, method="stream")
    )
    np.testing.assert_allclose(streamed[0], by_hand[0], rtol=1e-5)


@pytest.mark.backend_free
def test_multivariate_forecast_needs_the_future_inputs(compared, tmp_path):
    folder, csv, _ = compared
    path = folder / "multi" / "models" / "one_step" / "gru.keras"
    model = keras_seqlab.load_forecaster(path)
    data = keras_seqlab.load_csv(
        csv, columns=["load", "temp"], date_column="day"
    )
    with pytest.raises(ValueError, match=r"other input column\(s\) \['temp'\]"):
        keras_seqlab.forecast(model, data, steps=3)
    future = _series_csv(tmp_path / "future.csv", rows=2, start_day=121)
    status, stdout, err = _main(
        ["forecast", str(path), "--csv", str(csv), "--steps", "3"]
        + ["--future", str(future)]
    )
    assert status == 0, err
    assert len(stdout.strip().splitlines()) == 4
    status, _, err = _main(
        ["forecast", str(path), "--csv", str(csv), "--steps", "3"]
    )
    assert status == 2 and "--future" in err and err.count("\n") == 1


def test_forecast_returns_a_dated_frame_for_a_frame(compared):
    pd = pytest.importorskip("pandas")
    folder, csv, _ = compared
    model = keras_seqlab.load_forecaster(
        folder / "uni" / "models" / "one_step" / "persistence.keras"
    )
    frame = pd.read_csv(csv, parse_dates=["day"])
    result = keras_seqlab.forecast(model, frame, steps=2)
    assert list(result.columns) == ["load"]
    assert [str(d.date()) for d in result.index] == ["2021-06-29", "2021-06-30"]
    # Persistence: the last value, repeated (fed back).
    np.testing.assert_allclose(result["load"], frame["load"].iloc[-1])


@pytest.mark.backend_free
@pytest.mark.parametrize(
    "argv, message",
    [
        (["{model}", "--csv", "{csv}", "--steps", "0"], "--steps must be"),
        (["{plain}", "--csv", "{csv}"], "is not a keras_seqlab forecaster"),
        (["{text}", "--csv", "{csv}"], "is not a readable .keras file"),
        (["{csv}", "--csv", "{csv}"], "is not a .keras model file"),
        (["{model}", "--csv", "{short}"], "needs a window of 6 rows"),
        (["{model}", "--csv", "{other}"], "'load'"),
        (["{model}", "--csv", "{csv}", "--out", "{tmp}"], "must name a .csv"),
        (["{model}", "--csv", "{csv}", "--out", "{nodir}"], "does not exist"),
    ],
)
def test_forecast_bad_input_is_one_line_and_status_2(
    compared, tmp_path, argv, message
):
    folder, csv, _ = compared
    plain = tmp_path / "plain.keras"
    inputs = keras.Input((WINDOW, 1))
    keras.Model(inputs, keras.layers.Dense(1)(inputs)).save(plain)
    text = tmp_path / "text.keras"
    text.write_text("not a model")
    short = _series_csv(tmp_path / "short.csv", rows=4)
    other = tmp_path / "other.csv"
    other.write_text("day,x\n2021-01-01,1\n")
    names = {
        "model": folder / "uni" / "models" / "one_step" / "gru.keras",
        "plain": plain,
        "text": text,
        "csv": csv,
        "short": short,
        "other": other,
        "tmp": tmp_path,
        "nodir": tmp_path / "no" / "such.csv",
    }
    argv = [a.format(**{k: str(v) for k, v in names.items()}) for a in argv]
    before = sorted(p.name for p in tmp_path.iterdir())
    status, out, err = _main(["forecast", *argv])
    assert status == 2, err
    assert out == "" and err.count("\n") == 1, err
    assert err.startswith("seqlab forecast: ") and message in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_compare_with_calibrated_quantiles_saves_the_interval(tmp_path):
    """`--quantiles --calibrate`: the saved forecaster carries the median
    and the calibrated interval; its test coverage, recomputed from raw
    windows after loading, is the one reported."""
    csv = _series_csv(tmp_path / "series.csv", rows=150)
    status, out, err = _main(
        ["compare", "--csv", str(csv), "--target", "load"]
        + ["--columns", "load", "--date-column", "day", "--window", "6"]
        + ["--models", "persistence,linear", "--epochs", "2", "--units", "4"]
        + ["--quantiles", "0.1,0.5,0.9", "--calibrate", "--no-plots"]
        + ["--out", str(tmp_path / "out")]
    )
    assert status == 0, err
    assert "80% cover" in out
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    data = keras_seqlab.load_csv(csv, columns=["load"], date_column="day")
    _, _, test = keras_seqlab.temporal_split(data.values, 0.1, 0.1)
    x, y = keras_seqlab.make_windows(test, WINDOW, 1, targets=0)
    for r in results["tasks"][0]["results"]:
        assert {"test_pinball", "test_coverage_raw", "margin"} <= set(r)
        model = keras_seqlab.load_forecaster(tmp_path / "out" / r["file"])
        assert keras_seqlab.forecaster_spec(model)["quantiles"] == [
            0.1,
            0.5,
            0.9,
        ]
        bands = np.asarray(model.predict(x, verbose=0))
        assert bands.shape == (len(x), 1, 3)
        assert np.all(np.diff(bands, axis=-1) >= 0)
        inside = (bands[..., 0] <= y) & (y <= bands[..., -1])
        np.testing.assert_allclose(inside.mean(), r["test_coverage"])


@pytest.mark.backend_free
@pytest.mark.parametrize(
    "flags, message",
    [
        (["--quantiles", "0.9,0.1"], "strictly increasing"),
        (["--quantiles", "0,0.5"], "--quantiles item 1 must be in (0, 1)"),
        (["--quantiles", "0.5"], "at least two levels"),
        (["--calibrate"], "--calibrate needs --quantiles"),
    ],
)
def test_compare_bad_quantiles(flags, message, tmp_path):
    status, out, err = _main(
        ["compare", "--limit", "8", "--out", str(tmp_path / "o"), *flags]
    )
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "o").exists()
