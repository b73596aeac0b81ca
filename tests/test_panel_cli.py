"""`seqlab compare`, `forecast` and `backtest` on a long table, end to end.

Tiny models, one or two epochs: these prove the plumbing (flags, files,
exit statuses, what is written), which no backend changes; the numbers
of the panel models are proved on every backend in test_panel_models.py.
"""

import json

import numpy as np
import pytest
from panel_testing import small_panel
from tune_testing import run_main

pd = pytest.importorskip("pandas")

pytestmark = [
    pytest.mark.backend_free,
    pytest.mark.slow,
    pytest.mark.xdist_group("panel_cli"),
]

TABLE = [
    "--id-column",
    "series",
    "--target",
    "value",
    "--date-column",
    "date",
]
ROLES = [
    "--future-columns",
    "promo",
    "--static-columns",
    "region",
    "--calendar",
    "month",
]
SMALL = ["--window", "12", "--horizon", "2", "--val-size", "6"]
SMALL += ["--test-size", "6", "--units", "4", "--epochs", "2"]


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    folder = tmp_path_factory.mktemp("panel")
    path = folder / "panel.csv"
    small_panel().to_csv(path, index=False)
    out = folder / "out"
    status, stdout, stderr = run_main(
        [
            "compare",
            "--csv",
            str(path),
            *TABLE,
            *ROLES,
            *SMALL,
            "--models",
            "persistence,linear,gru",
            "--out",
            str(out),
        ]
    )
    assert status == 0, stderr
    return folder, path, out, stdout


def test_compare_trains_one_model_over_every_series(compared):
    _, _, out, stdout = compared
    results = json.loads((out / "results.json").read_text())
    task = results["tasks"][0]
    assert [r["rank"] for r in task["results"]] == [1, 2, 3]
    assert sorted(task["series"]) == ["S0", "S1", "S2"]  # S3: 10 rows
    # Test windows: 3 series x (6 - 2 + 1).
    assert task["samples"]["test"] == 15
    assert results["panel"]["known_columns"] == [
        "promo",
        "month_sin",
        "month_cos",
    ]
    for r in task["results"]:
        assert (out / r["file"]).is_file()
        per = [task["series"][s][r["model"]]["mase"] for s in task["series"]]
        assert r["test_mase"] == pytest.approx(np.mean(per))
    assert "test scores per series:" in stdout
    assert "(1 too short to train on)" in stdout


def _future(path, steps, ids):
    frame = pd.read_csv(path, dtype={"series": str})
    rows = []
    for sid in ids:
        last = pd.Timestamp(frame[frame.series == sid].date.max())
        for k in range(1, steps + 1):
            date = (last + pd.DateOffset(months=k)).strftime("%Y-%m-%d")
            rows.append((sid, date, k % 2, 0.0))
    return pd.DataFrame(rows, columns=["series", "date", "promo", "noise"])


def test_forecast_writes_every_series_at_its_own_dates(compared, tmp_path):
    folder, path, out, _ = compared
    frame = pd.read_csv(path, dtype={"series": str})
    unseen = frame[frame.series == "S1"].assign(series="NEW")
    history = tmp_path / "history.csv"
    pd.concat([frame, unseen]).to_csv(history, index=False)
    future = tmp_path / "future.csv"
    _future(history, 4, ["S0", "S1", "S2", "NEW"]).to_csv(future, index=False)
    written = tmp_path / "forecast.csv"
    status, stdout, stderr = run_main(
        [
            "forecast",
            str(out / "models" / "panel" / "gru.keras"),
            "--csv",
            str(history),
            "--future",
            str(future),
            "--steps",
            "4",
            "--out",
            str(written),
        ]
    )
    assert status == 0, stderr
    table = pd.read_csv(written, dtype={"series": str})
    assert stdout == written.read_text()
    assert sorted(set(table.series)) == ["NEW", "S0", "S1", "S2"]
    assert "skipped 1 series shorter than the window" in stderr  # S3
    for sid, part in table.groupby("series"):
        last = pd.Timestamp(
            frame[frame.series == sid.replace("NEW", "S1")].date.max()
        )
        expected = pd.date_range(last, periods=5, freq="MS")[1:]
        assert list(pd.to_datetime(part.date)) == list(expected)
    new = table[table.series == "NEW"].value.to_numpy()
    same = table[table.series == "S1"].value.to_numpy()
    np.testing.assert_allclose(new, same, rtol=1e-5)


def test_a_missing_future_row_is_one_line_and_nothing_written(
    compared, tmp_path
):
    _, path, out, _ = compared
    future = tmp_path / "future.csv"
    _future(path, 4, ["S0", "S1", "S2"]).iloc[1:].to_csv(future, index=False)
    written = tmp_path / "forecast.csv"
    status, stdout, stderr = run_main(
        [
            "forecast",
            str(out / "models" / "panel" / "linear.keras"),
            "--csv",
            str(path),
            "--future",
            str(future),
            "--steps",
            "4",
            "--out",
            str(written),
        ]
    )
    assert status == 2 and stdout == ""
    line = stderr.strip().splitlines()[-1]
    assert line.startswith("seqlab forecast: --future lacks 1 (id, date) row")
    assert "('S0', " in line
    assert not written.exists()


def test_backtest_scores_every_series(compared, tmp_path):
    _, path, out, _ = compared
    written = tmp_path / "folds.json"
    status, stdout, stderr = run_main(
        [
            "backtest",
            str(out / "models" / "panel" / "persistence.keras"),
            "--csv",
            str(path),
            "--folds",
            "2",
            "--out",
            str(written),
        ]
    )
    assert status == 0, stderr
    result = json.loads(written.read_text())
    assert sorted(result["series"]) == ["S0", "S1", "S2"]
    assert result["skipped"] == 1  # S3: 10 rows, less than window + horizon
    assert [f["windows"] for f in result["folds"]] == [3, 3]
    # Persistence: each origin's forecast is the value before it.
    frame = pd.read_csv(path).sort_values(["series", "date"])
    s0 = frame[frame.series == "S0"].value.to_numpy()
    truth = s0[-2:]
    guess = np.repeat(s0[-3], 2)
    mae = np.mean(np.abs(truth - guess))
    first = np.mean(np.abs(s0[-4:-2] - s0[-5]))
    assert result["series"]["S0"]["mae"] == pytest.approx(
        (mae + first) / 2, rel=1e-5
    )
    assert "per series:" in stdout


def test_backtest_of_an_architecture_over_a_long_table(compared):
    _, path, _, _ = compared
    status, stdout, stderr = run_main(
        [
            "backtest",
            "linear",
            "--csv",
            str(path),
            *TABLE,
            "--calendar",
            "month",
            "--folds",
            "2",
            "--window",
            "12",
            "--horizon",
            "2",
            "--epochs",
            "1",
        ]
    )
    assert status == 0, stderr
    assert "over 3 series: 2 origin(s) per series, 2 step(s) each" in stdout


@pytest.mark.parametrize(
    "change, flags, message",
    [
        ("duplicate", [], "duplicate (id, date) row(s), e.g. series 'S1' on "),
        ("gap", [], "the dates of series 'S2' are not on one frequency"),
        ("empty id", [], "empty or missing id(s)"),
        (
            "static",
            ["--static-columns", "region"],
            "static column 'region' varies",
        ),
        ("no date column", [], "calendar features need --date-column"),
    ],
)
def test_bad_tables_are_one_line_and_exit_2(tmp_path, change, flags, message):
    frame = small_panel(shuffle=False)
    if change == "duplicate":
        frame = pd.concat([frame, frame[frame.series == "S1"].head(1)])
    elif change == "gap":
        frame = frame.drop(frame.index[frame.series == "S2"][5])
    elif change == "empty id":
        frame.loc[4, "series"] = ""
    elif change == "static":
        frame.loc[frame.index[frame.series == "S0"][3], "region"] = 5
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    table = TABLE
    if change == "no date column":
        table, flags = TABLE[:4], ["--calendar", "month"]
    argv = ["compare", "--csv", str(path), *table, *flags]
    argv += ["--out", str(tmp_path / "o")]
    status, stdout, stderr = run_main(argv)
    assert status == 2 and stdout == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("seqlab compare: ")
    assert message in lines[0]
    assert not (tmp_path / "o").exists()


def test_long_table_flags_without_an_id_column_are_refused(tmp_path):
    path = tmp_path / "one.csv"
    small_panel().query("series == 'S0'").to_csv(path, index=False)
    status, _, stderr = run_main(
        [
            "compare",
            "--csv",
            str(path),
            "--target",
            "value",
            "--calendar",
            "month",
        ]
    )
    assert status == 2
    assert (
        "--calendar apply to a long table of many series: pass --id-column"
        in stderr
    )
