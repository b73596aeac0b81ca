"""Rows in date order, a repeated date refused: one rule for one series
(`load_csv`, a DataFrame given to `forecast` / `backtest`) and for a long
table (`panel_from_frame`), and in every command that reads a date column
(a `note:` line when rows were sorted, one line and exit 2 for a repeat)."""

import warnings

import numpy as np
import pytest
from tune_testing import run_main

import keras_seqlab
from keras_seqlab.data import RowsSorted
from keras_seqlab.data import load_csv
from keras_seqlab.data.order import date_order
from keras_seqlab.forecasting import backtest
from keras_seqlab.forecasting import forecast

# Row order and messages: numpy and files, which no backend changes (the
# same model forecasts the sorted and the unsorted rows).
pytestmark = pytest.mark.backend_free

DAYS = np.arange("2000-01-01", "2000-04-10", dtype="datetime64[D]")
HEADER = "day,load,temp"
ROWS = [
    f"{d},{10 + (i % 7) / 3 + i / 10:.4f},{5 + (i % 5) / 2:.4f}"
    for i, d in enumerate(DAYS)
]
MIXED = ROWS[:10] + ROWS[20:] + ROWS[10:20]


def _csv(path, rows):
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def _loaded(path):
    """`(data, [RowsSorted notes])` of `load_csv(path)`."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_csv(path, target="load", date_column="day")
    notes = [str(w.message) for w in caught if w.category is RowsSorted]
    return data, notes


def _forecaster(columns=("load",)):
    return keras_seqlab.forecaster(
        keras_seqlab.build("linear", (5, len(columns))),
        list(columns),
        "load",
        "many_to_one",
        1,
        date_column="day",
    )


# -- the rule ------------------------------------------------------------------


def test_dates_in_order_are_left_alone_and_give_no_warning(tmp_path):
    data, notes = _loaded(_csv(tmp_path / "a.csv", ROWS))
    assert notes == []
    np.testing.assert_array_equal(data.dates, DAYS)
    assert date_order("f", DAYS, "x") is None


@pytest.mark.parametrize(
    "rows, how",
    [(ROWS[::-1], "they ran newest-first"), (MIXED, "they were out of order")],
    ids=["newest-first", "shuffled"],
)
def test_load_csv_puts_rows_in_date_order_and_says_so_once(tmp_path, rows, how):
    want, _ = _loaded(_csv(tmp_path / "sorted.csv", ROWS))
    path = _csv(tmp_path / "other.csv", rows)
    data, notes = _loaded(path)
    assert notes == [f"load_csv: rows of {path} sorted by date ({how})"]
    np.testing.assert_array_equal(data.dates, DAYS)
    # Every column moves with its date (not the dates alone).
    np.testing.assert_array_equal(data.values, want.values)
    assert data.values.flags.c_contiguous


@pytest.mark.parametrize("newest_first", [False, True])
def test_a_repeated_date_is_refused_naming_it_and_its_rows(
    tmp_path, newest_first
):
    rows = ROWS[:5] + [ROWS[2].replace(",1", ",9")] + ROWS[5:]
    if newest_first:
        rows = rows[::-1]  # repeats are found whatever the order
    path = _csv(tmp_path / "twice.csv", rows)
    with pytest.raises(ValueError) as info:
        load_csv(path, target="load", date_column="day")
    rows_named = "(data rows 96 and 99)" if newest_first else "(data rows 3"
    assert str(info.value).startswith(
        f"load_csv: the date 2000-01-03 appears 2 times in {path} "
    ), info.value
    assert rows_named in str(info.value)
    assert "one row per date" in str(info.value)


def test_hourly_timestamps_of_one_day_are_not_repeats():
    hours = np.arange("2000-01-01T00", "2000-01-01T06", dtype="datetime64[h]")
    assert date_order("f", hours, "x") is None
    with pytest.warns(RowsSorted, match="newest-first"):
        order = date_order("f", hours[::-1], "x")
    np.testing.assert_array_equal(order, np.arange(5, -1, -1))
    with pytest.raises(ValueError, match="empty date"):
        date_order("f", np.array(["2000-01-01", "NaT"], "datetime64[D]"), "x")


# -- a DataFrame given to forecast and backtest ------------------------------


def _frame(order=None, by_index=False):
    pd = pytest.importorskip("pandas")
    values = [[float(r.split(",")[1]), float(r.split(",")[2])] for r in ROWS]
    frame = pd.DataFrame(values, columns=["load", "temp"])
    frame.insert(0, "day", pd.to_datetime(DAYS))
    if order is not None:
        frame = frame.iloc[order].reset_index(drop=True)
    return frame.set_index("day") if by_index else frame


@pytest.mark.parametrize("by_index", [False, True], ids=["column", "index"])
def test_forecast_of_an_unsorted_dataframe_is_that_of_the_sorted_one(by_index):
    model = _forecaster()
    want = forecast(model, _frame(by_index=by_index), steps=3)
    shuffled = np.random.default_rng(0).permutation(len(ROWS))
    with pytest.warns(RowsSorted, match="out of order"):
        got = forecast(model, _frame(shuffled, by_index), steps=3)
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
    # Dated after the last date, not after the last row.
    assert [str(d.date()) for d in got.index] == [
        "2000-04-10",
        "2000-04-11",
        "2000-04-12",
    ]


def test_backtest_of_a_newest_first_dataframe_is_that_of_the_sorted_one():
    model = _forecaster()
    want = backtest(model, _frame(), folds=2)
    with pytest.warns(RowsSorted, match="newest-first"):
        got = backtest(model, _frame(np.arange(len(ROWS))[::-1]), folds=2)
    assert [f["date"] for f in got["folds"]] == ["2000-04-08", "2000-04-09"]
    assert got["folds"] == want["folds"]


def test_a_dataframe_with_a_repeated_date_is_refused():
    frame = _frame([*range(len(ROWS)), 7])
    with pytest.raises(ValueError, match="the date 2000-01-08 appears 2 time"):
        forecast(_forecaster(), frame)
    with pytest.raises(ValueError, match="the date 2000-01-08 appears 2 time"):
        backtest(_forecaster(), frame, folds=2)


# -- a long table ------------------------------------------------------------


def _table(newest_first=False):
    pd = pytest.importorskip("pandas")
    parts = []
    for name, start in (("a", "2001-01-01"), ("b", "2001-02-01")):
        days = pd.date_range(start, periods=30, freq="D")
        part = pd.DataFrame(
            {"id": name, "date": days, "y": np.arange(30.0) + len(parts) * 9}
        )
        parts.append(part.iloc[::-1] if newest_first else part)
    return pd.concat(parts, ignore_index=True)


def test_a_long_table_follows_the_same_rule():
    from keras_seqlab.data import panel_from_frame

    keys = dict(id_column="id", target="y", date_column="date")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # in order: no note
        want = panel_from_frame(_table(), **keys)
        # Rows of different series interleaved, each in date order.
        panel_from_frame(_table().sort_values("date"), **keys)
    with pytest.warns(RowsSorted) as caught:
        got = panel_from_frame(_table(newest_first=True), **keys)
    assert [str(w.message) for w in caught] == [
        "panel_from_frame: rows of 2 of 2 series sorted by date (they ran "
        "newest-first)"
    ]
    np.testing.assert_array_equal(got.values, want.values)
    np.testing.assert_array_equal(got.dates, want.dates)
    twice = _table()
    twice.loc[35, "date"] = twice.loc[34, "date"]
    with pytest.raises(ValueError) as info:
        panel_from_frame(twice, **keys)
    assert "series 'b' on 2001-02-05" in str(info.value)


# -- the commands ------------------------------------------------------------


@pytest.fixture
def files(tmp_path):
    model = tmp_path / "one.keras"
    _forecaster().save(model)
    paths = {"model": str(model)}
    for name, rows in (
        ("sorted", ROWS),
        ("newest", ROWS[::-1]),
        ("twice", ROWS[:5] + [ROWS[2]] + ROWS[5:]),
    ):
        paths[name] = str(_csv(tmp_path / f"{name}.csv", rows))
    return paths


def test_forecast_of_a_newest_first_file_is_that_of_the_sorted_file(files):
    argv = ["forecast", files["model"], "--steps", "3", "--csv"]
    status, want, err = run_main([*argv, files["sorted"]])
    assert status == 0 and err == "", err
    status, got, err = run_main([*argv, files["newest"]])
    assert status == 0
    assert got == want
    assert [row.split(",")[0] for row in got.splitlines()] == [
        "day",
        "2000-04-10",
        "2000-04-11",
        "2000-04-12",
    ]
    assert err == (
        f"seqlab forecast: note: rows of {files['newest']} sorted by date "
        "(they ran newest-first)\n"
    )


def test_backtest_of_a_newest_first_file_is_that_of_the_sorted_file(files):
    argv = ["backtest", files["model"], "--folds", "2", "--csv"]
    status, want, err = run_main([*argv, files["sorted"]])
    assert status == 0, err
    status, got, err = run_main([*argv, files["newest"]])
    assert status == 0 and got == want
    assert err.count("seqlab backtest: note: rows of ") == 1, err


@pytest.mark.parametrize(
    "argv",
    [
        ["forecast", "{model}", "--csv", "{twice}"],
        ["backtest", "{model}", "--csv", "{twice}", "--folds", "2"],
        ["backtest", "linear", "--csv", "{twice}", "--target", "load"]
        + ["--date-column", "day"],
        ["compare", "--csv", "{twice}", "--target", "load"]
        + ["--date-column", "day", "--out", "{out}"],
        ["tune", "dense", "--csv", "{twice}", "--target", "load"]
        + ["--date-column", "day", "--out", "{out}"],
    ],
    ids=["forecast", "backtest", "backtest-arch", "compare", "tune"],
)
def test_a_repeated_date_is_one_line_and_exit_2(files, tmp_path, argv):
    if argv[0] == "tune":
        pytest.importorskip("keras_tuner")
    out = tmp_path / "out"
    argv = [a.format(out=out, **files) for a in argv]
    status, stdout, err = run_main(argv)
    assert status == 2 and stdout == ""
    assert err.count("\n") == 1 and err.startswith(f"seqlab {argv[0]}: "), err
    assert "the date 2000-01-03 appears 2 times in " in err
    assert "twice.csv (data rows 3 and 6)" in err
    assert not out.exists()


def test_a_newest_first_file_through_compare_says_so_once(files, tmp_path):
    argv = ["compare", "--csv", files["newest"], "--target", "load"]
    argv += ["--date-column", "day", "--window", "5", "--models", "linear"]
    argv += ["--epochs", "1", "--out", str(tmp_path / "o")]
    status, _, err = run_main(argv)
    assert status == 0, err
    assert err.count("note: rows of") == 1
    assert err.startswith(
        f"seqlab compare: note: rows of {files['newest']} sorted by date "
        "(they ran newest-first)\n"
    )


def _panel_model(path):
    from keras_seqlab.data import panel_from_frame
    from keras_seqlab.data.panel_windows import panel_splits
    from keras_seqlab.forecasting.panel import build_panel_forecaster

    panel = panel_from_frame(_table(), "id", "y", "date", past_columns=())
    train, _, _ = panel_splits(panel, 5, 2, 6, 6)
    _, model = build_panel_forecaster("persistence", train)
    model.save(path)
    return path


def test_a_long_table_through_seqlab_forecast(tmp_path):
    model = str(_panel_model(tmp_path / "panel.keras"))
    for name, table in (
        ("sorted", _table()),
        ("newest", _table(newest_first=True)),
    ):
        table.to_csv(tmp_path / f"{name}.csv", index=False)
    argv = ["forecast", model, "--csv"]
    status, want, err = run_main([*argv, str(tmp_path / "sorted.csv")])
    assert status == 0 and err == "", err
    status, got, err = run_main([*argv, str(tmp_path / "newest.csv")])
    assert status == 0 and got == want
    assert "2001-01-31" in got and "2001-03-03" in got  # after the last
    assert err == (
        "seqlab forecast: note: rows of 2 of 2 series sorted by date (they "
        "ran newest-first)\n"
    )
    twice = _table()
    twice.loc[35, "date"] = twice.loc[34, "date"]
    twice.to_csv(tmp_path / "twice.csv", index=False)
    status, stdout, err = run_main([*argv, str(tmp_path / "twice.csv")])
    assert status == 2 and stdout == "" and err.count("\n") == 1, err
    assert "series 'b' on 2001-02-05" in err
