"""Bad values of the newer options are one line and exit status 2.

The many-series options (ids, roles, calendar, future tables), the
baselines options (names, seasons) and dates (unparseable, repeated) of
`seqlab compare`, `forecast` and `backtest`, through `cli.main` in this
process on tiny CSV files: each case is refused before anything trains.
Every case: exit 2, stderr one line `seqlab CMD: ...` naming the flag
and the bad value, no traceback.
"""

import pytest
from panel_testing import roles
from panel_testing import small_panel
from tune_testing import run_main

pytest.importorskip("pandas")

TABLE = ["--id-column", "series", "--target", "value", "--date-column", "date"]
ONE = ["--target", "y", "--date-column", "day"]


def _tables(folder):
    """The CSV files of the cases, by name."""
    panel = small_panel(lengths=(30, 30), shuffle=False)
    frames = {"panel": panel}
    frames["empty_id"] = panel.copy()
    frames["empty_id"].loc[3, "series"] = ""
    frames["bad_date"] = panel.copy()
    frames["bad_date"].loc[3, "date"] = "not a date"
    frames["repeat"] = panel.copy()
    frames["repeat"].loc[5, "date"] = panel.loc[4, "date"]
    last = panel.groupby("series")["date"].max()
    frames["future_no_promo"] = last.reset_index()  # series, date only
    frames["future_early"] = panel[panel.date < "2015-03-01"][
        ["series", "date", "promo"]
    ]
    paths = {}
    for name, frame in frames.items():
        paths[name] = folder / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    one = ["day,y,x"] + [
        f"2022-01-{d:02d},{d % 7},{d % 3}" for d in range(1, 29)
    ]
    bad = list(one)
    bad[5] = "2022-13-45,1,1"
    repeat = list(one)
    repeat[5] = repeat[4].split(",")[0] + ",1,1"
    for name, lines in (("one", one), ("one_bad", bad), ("one_repeat", repeat)):
        paths[name] = folder / f"{name}.csv"
        paths[name].write_text("\n".join(lines) + "\n")
    return paths


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    return _tables(tmp_path_factory.mktemp("tables"))


def _compare(csv, *flags):
    return ["compare", "--csv", csv, *flags, "--out", "{tmp}/o"]


def _backtest(csv, *flags):
    return ["backtest", "linear", "--csv", csv, *flags]


# (case, argv, what the line names); {name} is the CSV file of that name.
OPTIONS = []
for make in (_compare, _backtest):
    cmd = make("")[0]
    OPTIONS += [
        (
            f"{cmd} --id-column missing",
            make("{panel}", "--id-column", "nope", *TABLE[2:]),
            ["--id-column", "'nope'"],
        ),
        (
            f"{cmd} --future-columns missing",
            make("{panel}", *TABLE, "--future-columns", "nope"),
            ["--future-columns", "'nope'"],
        ),
        (
            f"{cmd} --future-columns the target",
            make("{panel}", *TABLE, "--future-columns", "value"),
            ["--future-columns", "--target", "'value'"],
        ),
        (
            f"{cmd} --static-columns missing",
            make("{panel}", *TABLE, "--static-columns", "nope"),
            ["--static-columns", "'nope'"],
        ),
        (
            f"{cmd} --static-columns the target",
            make("{panel}", *TABLE, "--static-columns", "value"),
            ["--static-columns", "--target", "'value'"],
        ),
        (
            f"{cmd} --calendar unknown",
            make("{panel}", *TABLE, "--calendar", "month,fortnight"),
            ["--calendar", "fortnight"],
        ),
        (
            f"{cmd} an empty id",
            make("{empty_id}", *TABLE),
            ["--id-column", "'series'", "data row 4"],
        ),
        (
            f"{cmd} a date that is no date (many series)",
            make("{bad_date}", *TABLE),
            ["--date-column", "'not a date'", "data row 4"],
        ),
        (
            f"{cmd} a repeated date (many series)",
            make("{repeat}", *TABLE),
            ["duplicate", "'S0'", "2015-05-01"],
        ),
        (
            f"{cmd} a date that is no date (one series)",
            make("{one_bad}", *ONE),
            ["'day'", "'2022-13-45'"],
        ),
        (
            f"{cmd} a repeated date (one series)",
            make("{one_repeat}", *ONE),
            ["2022-01-04", "data rows 4 and 5"],
        ),
        (
            f"{cmd} --baselines unknown",
            make("{one}", *ONE, "--baselines", "arima"),
            ["--baselines", "'arima'"],
        ),
        (
            f"{cmd} --baselines repeated",
            make("{one}", *ONE, "--baselines", "auto_ets,auto_ets"),
            ["--baselines", "'auto_ets,auto_ets'"],
        ),
    ]
    for season in ("0", "-1", "x"):
        OPTIONS.append(
            (
                f"{cmd} --season {season}",
                make("{one}", *ONE, "--season", season),
                ["--season", season],
            )
        )


def _check_refused(argv, names):
    status, stdout, stderr = run_main(argv)
    lines = stderr.splitlines()
    assert (status, stdout) == (2, ""), stderr
    assert len(lines) == 1 and stderr.endswith("\n"), stderr
    assert lines[0].startswith(f"seqlab {argv[0]}: "), stderr
    assert "Traceback" not in stderr and "`" not in stderr, stderr
    for name in names:
        assert name in lines[0], (name, stderr)


@pytest.mark.backend_free
@pytest.mark.parametrize(
    "argv, names", [c[1:] for c in OPTIONS], ids=[c[0] for c in OPTIONS]
)
def test_a_bad_option_is_one_line(tables, tmp_path, argv, names):
    given = {k: str(v) for k, v in tables.items()} | {"tmp": str(tmp_path)}
    _check_refused([a.format(**given) for a in argv], names)
    assert not (tmp_path / "o").exists()


# -- seqlab forecast: saved models (untrained) --------------------------------


@pytest.fixture(scope="module")
def models(tables, tmp_path_factory):
    """A panel forecaster (future, static and calendar inputs) and a
    one-series one, saved untrained: the cases fail before they run."""
    import keras_seqlab
    from keras_seqlab.data import panel_from_frame
    from keras_seqlab.data.panel_windows import panel_splits
    from keras_seqlab.forecasting.panel import build_panel_forecaster

    folder = tmp_path_factory.mktemp("models")
    panel = panel_from_frame(
        small_panel(lengths=(30, 30), shuffle=False), **roles()
    )
    train, _, _ = panel_splits(panel, 5, 2, 6, 6)
    _, model = build_panel_forecaster("persistence", train)
    model.save(folder / "panel.keras")
    one = keras_seqlab.forecaster(
        keras_seqlab.build("linear", (5, 2)),
        ["y", "x"],
        "y",
        "many_to_one",
        1,
        date_column="day",
    )
    one.save(folder / "one.keras")
    return {
        "panel_model": folder / "panel.keras",
        "one_model": folder / "one.keras",
    }


FORECASTS = [
    (
        "--future missing a future column",
        ["{panel}", "--future", "{future_no_promo}"],
        ["--future", "'promo'"],
    ),
    (
        "--future dates that do not follow the data",
        ["{panel}", "--future", "{future_early}"],
        ["--future", "'S0'"],
    ),
    (
        "an empty id",
        ["{empty_id}"],
        ["'series'", "data row 4"],
    ),
    (
        "a date that is no date (many series)",
        ["{bad_date}"],
        ["'date'", "'not a date'", "data row 4"],
    ),
    (
        "a repeated date (many series)",
        ["{repeat}"],
        ["'S0'", "2015-05-01"],
    ),
]


@pytest.mark.parametrize(
    "argv, names", [c[1:] for c in FORECASTS], ids=[c[0] for c in FORECASTS]
)
def test_a_bad_forecast_input_is_one_line(tables, models, argv, names):
    given = {k: str(v) for k, v in tables.items()}
    argv = [a.format(**given) for a in argv]
    _check_refused(
        ["forecast", str(models["panel_model"]), "--csv", *argv], names
    )


@pytest.mark.parametrize(
    "csv, names",
    [
        ("one_bad", ["--csv", "'2022-13-45'", "'day'"]),
        ("one_repeat", ["--csv", "2022-01-04", "data rows 4 and 5"]),
    ],
)
def test_a_bad_date_of_one_series_is_one_line(tables, models, csv, names):
    argv = ["forecast", str(models["one_model"]), "--csv", str(tables[csv])]
    _check_refused(argv, names)
