"""Classical baselines (statsforecast) on the neural models' test targets,
skill and Diebold–Mariano, season-aware MASE and the backtest tables."""

import contextlib
import io
import json
import math
import sys

import numpy as np
import pytest
from panel_testing import small_panel

import keras_seqlab
from keras_seqlab import cli
from keras_seqlab.data.calendar import season_of
from keras_seqlab.experiments import compare
from keras_seqlab.forecasting.backtesting import backtest
from keras_seqlab.forecasting.baselines import choose_baselines
from keras_seqlab.forecasting.cv_table import interval_levels
from keras_seqlab.forecasting.metrics import mase
from keras_seqlab.forecasting.metrics import naive_scale
from keras_seqlab.forecasting.significance import diebold_mariano
from keras_seqlab.forecasting.significance import skill

pd = pytest.importorskip("pandas")
sf = pytest.importorskip("statsforecast")
stats = pytest.importorskip("scipy.stats")


def _main(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


def _daily_csv(path, rows=300, seed=0):
    """A daily series with a weekly cycle: `date, y, x`."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    y = 10 + 3 * np.sin(2 * np.pi * t / 7) + t / 40 + rng.normal(0, 0.5, rows)
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2020-01-01", periods=rows, freq="D"),
            "y": np.round(y, 3),
            "x": np.round(rng.normal(size=rows), 3),
        }
    )
    frame.to_csv(path, index=False)
    return frame


# ---- the pure functions: no backend reaches them -------------------------


@pytest.mark.backend_free
def test_diebold_mariano_known_cases():
    """By hand: d = (1, 2, 3, 4), h = 1: mean 2.5, γ0 = 1.25, DM =
    2.5 / sqrt(1.25 / 4) = 4.4721, HLN factor sqrt(3 / 4); and d = (1, 3,
    2, 5, 4, 6), h = 2: γ0 = 17.5 / 6, γ1 = 1.75 / 6, V = 3.5 / 6 / 6 ..."""
    statistic, p = diebold_mariano([2, 3, 4, 5], [1, 1, 1, 1], 1)
    expected = 2.5 / math.sqrt(1.25 / 4) * math.sqrt(0.75)
    assert statistic == pytest.approx(expected, rel=1e-12)
    assert p == pytest.approx(2 * stats.t.sf(expected, 3), rel=1e-12)
    assert expected == pytest.approx(3.872983, rel=1e-6)
    statistic, p = diebold_mariano([1, 3, 2, 5, 4, 6], [0] * 6, 2)
    variance = (17.5 / 6 + 2 * 1.75 / 6) / 6
    factor = math.sqrt((6 + 1 - 4 + 2 / 6) / 6)
    expected = 3.5 / math.sqrt(variance) * factor
    assert statistic == pytest.approx(expected, rel=1e-12)
    assert p == pytest.approx(2 * stats.t.sf(expected, 5), rel=1e-12)
    # The smaller loss gives a negative statistic, the same p.
    flipped, p_flipped = diebold_mariano([0] * 6, [1, 3, 2, 5, 4, 6], 2)
    assert flipped == pytest.approx(-expected) and p_flipped == p
    # Identical forecasts: no evidence either way.
    assert all(math.isnan(v) for v in diebold_mariano([1, 2], [1, 2]))
    with pytest.raises(ValueError, match="diebold_mariano.*horizon"):
        diebold_mariano([1, 2], [1, 2], 0)
    with pytest.raises(ValueError, match="one length"):
        diebold_mariano([1, 2], [1, 2, 3])


@pytest.mark.backend_free
def test_skill_and_seasonal_scale_by_hand():
    assert skill(3.0, 4.0) == pytest.approx(25.0)
    assert skill(5.0, 4.0) == pytest.approx(-25.0)
    assert math.isnan(skill(1.0, 0.0))
    x = [1.0, 4.0, 2.0, 6.0, 3.0, 9.0]
    # m = 2: |2 - 1|, |6 - 4|, |3 - 2|, |9 - 6| = 1, 2, 1, 3: mean 1.75.
    assert naive_scale(x, 2) == pytest.approx(1.75)
    # m = 1: 3, 2, 4, 3, 6: mean 3.6.
    assert naive_scale(x, 1) == pytest.approx(3.6)
    assert mase([10.0, 12.0], [9.0, 14.0], x, m=2) == pytest.approx(1.5 / 1.75)
    # Undefined scales are NaN, never 0 or inf.
    assert math.isnan(naive_scale([2.0] * 10, 7))
    assert math.isnan(naive_scale([1.0, 2.0], 2))
    columns = naive_scale(np.array([[1.0, 5.0], [2.0, 5.0], [4.0, 5.0]]), 1)
    np.testing.assert_allclose(columns, [1.5, np.nan])
    assert naive_scale(np.array([[1.0, 5.0], [2.0, 5.0]]), 1, pooled=True) == (
        pytest.approx(0.5)
    )


@pytest.mark.backend_free
def test_season_from_the_dates_step():
    def every(step, n=30, unit="D"):
        return np.arange(n) * step + np.datetime64("2021-01-01", unit)

    assert season_of(every(1, unit="h")) == 24
    assert season_of(every(1)) == 7
    assert season_of(every(7)) == 52
    months = pd.date_range("2000-01-01", periods=30, freq="MS").to_numpy()
    quarters = pd.date_range("2000-01-01", periods=30, freq="QS").to_numpy()
    assert season_of(months) == 12 and season_of(quarters) == 4
    assert season_of(None) == 1 and season_of(every(3)) == 1
    gap = np.delete(every(1), [5, 17])  # two missing days: still daily
    assert season_of(gap) == 7


@pytest.mark.backend_free
def test_names_and_levels():
    assert choose_baselines("x", "all") == (
        "seasonal_naive",
        "auto_ets",
        "auto_arima",
        "auto_theta",
    )
    assert choose_baselines("x", "auto_ets, seasonal_naive") == (
        "auto_ets",
        "seasonal_naive",
    )
    assert choose_baselines("x", None) == ()
    with pytest.raises(ValueError, match="x: `baselines`.*got 'arima'"):
        choose_baselines("x", "arima")
    assert interval_levels((0.1, 0.5, 0.9)) == [(80, 0, 2)]
    assert interval_levels((0.05, 0.25, 0.5, 0.75, 0.95)) == [
        (90, 0, 4),
        (50, 1, 3),
    ]


@pytest.mark.backend_free
@pytest.mark.parametrize("command", ["compare", "backtest"])
def test_bad_baseline_settings_are_one_line(tmp_path, monkeypatch, command):
    csv = tmp_path / "d.csv"
    _daily_csv(csv)
    base = (
        ["compare", "--csv", str(csv), "--target", "y", "--out", str(tmp_path)]
        if command == "compare"
        else ["backtest", "linear", "--csv", str(csv), "--target", "y"]
    )
    for extra, said in (
        (["--baselines", "arima"], "--baselines"),
        (["--season", "0"], "--season"),
    ):
        status, _, err = _main([*base, *extra])
        assert status == 2, err
        assert len(err.strip().splitlines()) == 1 and said in err
    monkeypatch.setitem(sys.modules, "statsforecast", None)
    status, _, err = _main([*base, "--baselines"])
    assert status == 2
    assert 'pip install "keras-seqlab[baselines]"' in err
    assert len(err.strip().splitlines()) == 1


# ---- through the models: every backend ----------------------------------


def _statsforecast_cv(frame, model, h, windows, freq):
    """statsforecast's own rolling evaluation: fit at the first cutoff,
    then rolled forward without refitting."""
    from statsforecast import StatsForecast

    runner = StatsForecast(models=[model], freq=freq)
    cv = runner.cross_validation(
        df=frame, h=h, step_size=1, n_windows=windows, refit=False
    )
    return cv.sort_values(["unique_id", "cutoff", "ds"])


def _compare(csv, **more):
    """A comparison of persistence on the daily CSV, 10-day windows."""
    return compare.run(
        csv=str(csv),
        target="y",
        date_column="date",
        models="persistence",
        window=10,
        epochs=1,
        progress=None,
        plots=False,
        **more,
    )


def test_seasonal_naive_of_season_1_is_persistence(tmp_path):
    csv = tmp_path / "d.csv"
    _daily_csv(csv)
    for horizon in (1, 3):
        results = _compare(
            csv,
            baselines="seasonal_naive",
            season=1,
            horizon=horizon,
            heads=("many_to_one", "seq_to_vector"),
        )
        entry = results["tasks"][0]
        (row,), (naive,) = entry["results"], entry["baselines"]
        for metric in ("rmse", "mae", "mase", "smape", "mse"):
            assert naive[f"test_{metric}"] == pytest.approx(
                row[f"test_{metric}"], rel=1e-5
            ), metric
        assert abs(row["test_skill"]) < 1e-3
        assert results["settings"]["season"] == 1


def test_a_baseline_row_is_what_statsforecast_gives(tmp_path):
    """The compare's rows are statsforecast's cross_validation(refit=False)
    on the same targets: AutoETS's RMSE, and the Diebold–Mariano test of
    persistence (y[o - 1], by hand) against the best baseline."""
    from statsforecast.models import AutoETS
    from statsforecast.models import SeasonalNaive

    csv = tmp_path / "d.csv"
    frame = _daily_csv(csv)
    horizon = 3
    results = _compare(
        csv,
        baselines="seasonal_naive,auto_ets",
        horizon=horizon,
        heads=("seq_to_vector",),
    )
    entry = results["tasks"][0]
    assert results["settings"]["season"] == 7  # daily dates
    windows = entry["samples"]["test"]
    # The values as the comparison read them (float32).
    y = frame["y"].to_numpy("float32").astype("float64")
    long = pd.DataFrame({"unique_id": "y", "ds": frame["date"], "y": y})
    truth = np.array(
        [
            y[o : o + horizon]
            for o in range(len(y) - horizon - windows + 1, len(y) - horizon + 1)
        ]
    )
    losses = {}
    for model, name in (
        (AutoETS(season_length=7), "AutoETS"),
        (SeasonalNaive(season_length=7), "SeasonalNaive"),
    ):
        cv = _statsforecast_cv(long, model, horizon, windows, "D")
        forecasts = cv[name].to_numpy().reshape(windows, horizon)
        np.testing.assert_allclose(
            cv["y"].to_numpy().reshape(windows, horizon), truth
        )
        row = {r["model"]: r for r in entry["baselines"]}[
            "auto_ets" if name == "AutoETS" else "seasonal_naive"
        ]
        rmse = float(np.sqrt(np.mean((forecasts - truth) ** 2)))
        assert row["test_rmse"] == pytest.approx(rmse, rel=1e-9)
        losses[row["model"]] = np.mean((forecasts - truth) ** 2, axis=1)
    best = entry["best_baseline"]
    assert (
        best == min(entry["baselines"], key=lambda r: r["test_rmse"])["model"]
    )
    first = len(y) - horizon - windows + 1
    persistence = np.repeat(
        y[first - 1 : first - 1 + windows, None], horizon, 1
    )
    loss = np.mean((persistence - truth) ** 2, axis=1)
    statistic, p = diebold_mariano(loss, losses[best], horizon)
    (row,) = entry["results"]
    assert row["test_dm"] == pytest.approx(statistic, rel=1e-4)
    assert row["test_dm_p"] == pytest.approx(p, rel=1e-3, abs=1e-9)
    board = compare.format_leaderboard(results)
    assert "skill %" in board and "best" in board and "auto_ets" in board


def test_panel_baselines_are_statsforecasts_per_series(tmp_path):
    """One fit per series (statsforecast on the long table, every series
    at once), the same pooled and per-series scores; a constant series
    gets a NaN MASE and a note, never inf."""
    from statsforecast.models import AutoETS

    rng = np.random.default_rng(1)
    rows = []
    for s, n in enumerate((60, 48, 72, 40)):
        dates = pd.date_range("2015-01-01", periods=n, freq="MS")
        value = 10.0 * (s + 1) + 3 * np.sin(2 * np.pi * dates.month / 12)
        value = value + rng.normal(0, 0.3, n)
        if s == 3:
            value = np.full(n, 7.0)  # constant
        rows += [
            (f"S{s}", d.strftime("%Y-%m-%d"), round(v, 3))
            for d, v in zip(dates, value)
        ]
    frame = pd.DataFrame(rows, columns=["series", "date", "value"])
    path = tmp_path / "long.csv"
    frame.to_csv(path, index=False)
    horizon, test_size = 2, 6
    results = compare.run(
        csv=str(path),
        id_column="series",
        target="value",
        date_column="date",
        models="persistence",
        baselines="auto_ets",
        horizon=horizon,
        window=12,
        val_size=6,
        test_size=test_size,
        epochs=1,
        progress=None,
        plots=False,
    )
    entry = results["tasks"][0]
    (row,) = entry["baselines"]
    long = frame.rename(
        columns={"series": "unique_id", "date": "ds", "value": "y"}
    )
    long["ds"] = pd.to_datetime(long["ds"])
    long["y"] = long["y"].astype("float32").astype("float64")
    cv = _statsforecast_cv(
        long, AutoETS(season_length=12), horizon, test_size - horizon + 1, "MS"
    )
    error = cv["AutoETS"].to_numpy() - cv["y"].to_numpy()
    assert row["test_rmse"] == pytest.approx(
        float(np.sqrt(np.mean(error**2))), rel=1e-6
    )
    for sid, part in cv.groupby("unique_id"):
        got = entry["series"][sid]["auto_ets"]["rmse"]
        expected = np.sqrt(np.mean((part["AutoETS"] - part["y"]) ** 2))
        assert got == pytest.approx(expected, rel=1e-6)
    assert results["settings"]["season"] == 12
    assert math.isnan(entry["series"]["S3"]["persistence"]["mase"])
    assert math.isfinite(entry["results"][0]["test_mase"])
    assert any("MASE is NaN for 1 series (S3)" in n for n in results["notes"])


def test_backtest_long_tables(tmp_path):
    """`cv`: unique_id, ds, cutoff, y, the model and its 80% bounds, each
    baseline and its bounds, a row per origin and step; `cv_metrics`: a
    row per cutoff and metric. The baselines refit at every origin are
    statsforecast's own forecasts of the rows before it."""
    from statsforecast.models import SeasonalNaive

    frame = _daily_csv(tmp_path / "d.csv", rows=90)
    model = keras_seqlab.forecaster(
        keras_seqlab.build(
            "linear",
            (8, 2),
            horizon=3,
            head="seq_to_vector",
            quantiles=(0.1, 0.5, 0.9),
        ),
        ["y", "x"],
        "y",
        "seq_to_vector",
        3,
        date_column="date",
        name="lin",
    )
    result = backtest(
        model, frame, folds=2, baselines="seasonal_naive,auto_ets"
    )
    cv, metrics = result["cv"], result["cv_metrics"]
    assert list(cv.columns) == [
        "unique_id",
        "ds",
        "cutoff",
        "y",
        "lin",
        "lin-lo-80",
        "lin-hi-80",
        "seasonal_naive",
        "seasonal_naive-lo-80",
        "seasonal_naive-hi-80",
        "auto_ets",
        "auto_ets-lo-80",
        "auto_ets-hi-80",
    ]
    assert len(cv) == 2 * 3
    assert list(metrics.columns) == [
        "unique_id",
        "cutoff",
        "metric",
        "lin",
        "seasonal_naive",
        "auto_ets",
    ]
    assert len(metrics) == 2 * 4
    np.testing.assert_allclose(
        cv["lin"], np.ravel([f["forecast"] for f in result["folds"]])
    )
    y = frame["y"].to_numpy()
    for k, fold in enumerate(result["folds"]):
        o = fold["origin"]
        direct = SeasonalNaive(season_length=7).forecast(y[:o], h=3, level=[80])
        part = cv.iloc[3 * k : 3 * k + 3]
        np.testing.assert_allclose(part["seasonal_naive"], direct["mean"])
        np.testing.assert_allclose(
            part["seasonal_naive-lo-80"], direct["lo-80"]
        )
        assert (part["cutoff"] == frame["date"][o - 1]).all()
        np.testing.assert_array_equal(part["ds"], frame["date"][o : o + 3])
    mase_rows = metrics[metrics["metric"] == "mase"]
    np.testing.assert_allclose(
        mase_rows["lin"], [f["mase"] for f in result["folds"]]
    )
    assert result["best_baseline"] in ("seasonal_naive", "auto_ets")
    assert math.isfinite(result["skill"]) and result["notes"] == []
    flat = frame.assign(y=5.0)
    again = backtest(model, flat, folds=2, baselines="seasonal_naive")
    assert math.isnan(again["mean"]["mase"])
    assert again["notes"] == [
        "MASE is NaN for y: the seasonal naive error of the rows before an "
        "origin is 0 or undefined (constant, or too few rows)."
    ]
    assert again["notes"][0] in keras_seqlab.forecasting.format_backtest(again)


def test_panel_backtest_long_table(tmp_path):
    """Every series from its own last origins: a row per series, origin
    and step; the baselines refit on each series' rows before each
    origin, as statsforecast forecasts them; `--out FILE.csv` writes the
    two tables."""
    from statsforecast.models import AutoETS

    frame = small_panel(lengths=(60, 48, 72), shuffle=False)
    folds, horizon = 2, 3
    result = backtest(
        "linear",
        frame,
        folds=folds,
        horizon=horizon,
        window=12,
        epochs=1,
        target="value",
        id_column="series",
        date_column="date",
        columns=["value"],
        baselines="auto_ets",
    )
    cv = result["cv"]
    assert list(cv.columns) == [
        "unique_id",
        "ds",
        "cutoff",
        "y",
        "linear",
        "auto_ets",
    ]
    assert len(cv) == 3 * folds * horizon
    assert len(result["cv_metrics"]) == 3 * folds * 4
    assert result["season"] == 12
    for (sid, cutoff), part in cv.groupby(["unique_id", "cutoff"]):
        series = frame[frame["series"] == sid]
        history = series[pd.to_datetime(series["date"]) <= cutoff]
        y = history["value"].to_numpy("float32").astype("float64")
        direct = AutoETS(season_length=12).forecast(y, h=horizon)["mean"]
        np.testing.assert_allclose(part["auto_ets"], direct, rtol=1e-6)


@pytest.mark.backend_free
def test_backtest_command_writes_the_long_tables(tmp_path):
    csv = tmp_path / "d.csv"
    _daily_csv(csv, rows=120)
    out = tmp_path / "cv.csv"
    status, text, err = _main(
        [
            "backtest",
            "linear",
            "--csv",
            str(csv),
            "--target",
            "y",
            "--date-column",
            "date",
            "--folds",
            "2",
            "--horizon",
            "2",
            "--window",
            "7",
            "--epochs",
            "1",
            "--baselines",
            "seasonal_naive",
            "--out",
            str(out),
        ]
    )
    assert status == 0, err
    cv = pd.read_csv(out)
    metrics = pd.read_csv(tmp_path / "cv_metrics.csv")
    assert list(cv.columns) == [
        "unique_id",
        "ds",
        "cutoff",
        "y",
        "linear",
        "seasonal_naive",
    ]
    assert len(cv) == 4 and len(metrics) == 8
    assert cv["ds"].iloc[0] == "2020-04-26"  # row 116 of 120
    assert "skill against seasonal_naive" in text


@pytest.mark.backend_free
def test_compare_command_prints_and_writes_the_baselines(tmp_path):
    csv = tmp_path / "d.csv"
    _daily_csv(csv)
    out = tmp_path / "run"
    status, text, err = _main(
        [
            "compare",
            "--csv",
            str(csv),
            "--target",
            "y",
            "--date-column",
            "date",
            "--models",
            "persistence",
            "--window",
            "10",
            "--baselines",
            "--out",
            str(out),
            "--no-plots",
        ]
    )
    assert status == 0, err
    results = json.loads((out / "results.json").read_text())
    assert results["settings"]["baselines"] == [
        "seasonal_naive",
        "auto_ets",
        "auto_arima",
        "auto_theta",
    ]
    assert results["settings"]["season"] == 7
    entry = results["tasks"][0]
    assert [b["model"] for b in entry["baselines"]] == [
        "seasonal_naive",
        "auto_ets",
        "auto_arima",
        "auto_theta",
    ]
    board = (out / "leaderboard.txt").read_text()
    assert board in text
    for b in entry["baselines"]:
        assert b["model"] in board
    assert "seasonal naive (m=7)" in board and "DM p" in board


@pytest.mark.backend_free
def test_a_baseline_that_cannot_run_says_why():
    """Too short for the season: statsforecast's SeasonalNaive gives NaN
    (with a warning), its AutoETS raises; each becomes a reason, and the
    leaderboard prints it instead of a row."""
    from keras_seqlab.experiments.reports import format_leaderboard
    from keras_seqlab.forecasting.baselines import Baselines
    from keras_seqlab.forecasting.baselines import Job

    runner = Baselines(("seasonal_naive", "auto_ets"))
    job = Job("S9", np.arange(5.0), np.array([4]), 4, season=7)
    naive = runner.run("seasonal_naive", [job], 2)
    assert naive.forecasts is None
    assert naive.reason.startswith("seasonal_naive gave no finite forecast")
    assert "S9" in naive.reason and "season 7" in naive.reason
    ets = runner.run("auto_ets", [job], 2)
    assert ets.forecasts is None and "auto_ets failed on S9" in ets.reason
    fine = runner.run(
        "seasonal_naive", [Job("S1", np.arange(20.0), [14], 14, 7)], 2
    )
    np.testing.assert_array_equal(fine.forecasts, [[7.0, 8.0]])
    results = {
        "metric": "rmse",
        "description": "d",
        "keras": "3",
        "backend": "b",
        "settings": dict(
            seed=1,
            epochs=1,
            patience=1,
            batch_size=1,
            units=1,
            limit=None,
            baselines=["seasonal_naive"],
            season=7,
        ),
        "tasks": [
            {
                "task": "one_step",
                "description": "d",
                "head": "h",
                "horizon": 1,
                "samples": dict(train=1, val=1, test=1),
                "results": [],
                "skipped": [],
                "best_baseline": None,
                "baselines": [
                    {
                        "model": "auto_ets",
                        "label": "auto_ets",
                        "reason": ets.reason,
                        "seconds": 0.0,
                    }
                ],
            }
        ],
    }
    board = format_leaderboard(results)
    assert f"auto_ets did not run: {ets.reason}" in board
