"""Many series in one long table: parsing, checks, windows, splits.

numpy and pandas only (backend-free): what a model does with the windows
is in test_panel_models.py, on every backend.
"""

import pickle
import tracemalloc

import numpy as np
import pytest
from panel_testing import roles
from panel_testing import small_panel

from keras_seqlab.data.calendar import CYCLES
from keras_seqlab.data.calendar import calendar_values
from keras_seqlab.data.datasets import weather_cities
from keras_seqlab.data.panel import drop_last
from keras_seqlab.data.panel import panel_from_frame
from keras_seqlab.data.panel_windows import panel_splits
from keras_seqlab.data.panel_windows import panel_windows
from keras_seqlab.data.panel_windows import shuffled
from keras_seqlab.data.panel_windows import training_rows
from keras_seqlab.data.pydataset import WindowedSeries
from keras_seqlab.data.windows import make_windows

pd = pytest.importorskip("pandas")
pytestmark = pytest.mark.backend_free


def _panel(frame=None, **more):
    frame = small_panel() if frame is None else frame
    return panel_from_frame(frame, **roles(**more))


def test_rows_in_any_order_become_series_sorted_by_id_and_date():
    frame = small_panel()
    p = _panel(frame)
    assert list(p.ids) == ["S0", "S1", "S2", "S3"]
    assert p.lengths.tolist() == [60, 48, 72, 10]
    for i, sid in enumerate(p.ids):
        rows = frame[frame.series == sid].sort_values("date")
        part = p.rows(i)
        np.testing.assert_array_equal(
            p.dates[part], pd.to_datetime(rows.date).to_numpy()
        )
        np.testing.assert_allclose(
            p.values[part], rows[["value", "noise"]].to_numpy(), rtol=1e-6
        )
        assert p.static[i, 0] == rows.region.iloc[0]
    assert p.freqs == ("MS",) * 4
    assert p.columns == ("value", "noise")
    assert p.known_columns == ("promo", "month_sin", "month_cos")


def test_calendar_codes_are_positions_on_their_cycles():
    dates = pd.DatetimeIndex(
        [
            pd.Timestamp(2021, 1, 1),
            pd.Timestamp(2021, 7, 15, 6),
            pd.Timestamp(2021, 12, 31),
        ]
    )
    features = ("month", "dayofweek", "hour", "dayofyear")
    codes = calendar_values(dates, features)
    index = pd.DatetimeIndex(dates)
    positions = {
        "month": index.month - 1,
        "dayofweek": index.dayofweek,
        "hour": index.hour,
        "dayofyear": index.dayofyear - 1,
    }
    for k, f in enumerate(features):
        angle = 2 * np.pi * np.asarray(positions[f]) / CYCLES[f]
        np.testing.assert_allclose(codes[:, 2 * k], np.sin(angle), atol=1e-6)
        np.testing.assert_allclose(
            codes[:, 2 * k + 1], np.cos(angle), atol=1e-6
        )
    # January: angle 0.
    assert codes[0, 0] == pytest.approx(0.0, abs=1e-7)
    assert codes[0, 1] == pytest.approx(1.0)


def test_windows_never_cross_series_and_equal_each_series_windows():
    p = _panel(future_columns=None, static_columns=None, calendar=None)
    x, y = make_windows(p, 12, horizon=3)
    parts = [
        make_windows(p.values[p.rows(i)], 12, horizon=3, targets=0)
        for i in range(len(p))
        if p.lengths[i] >= 15
    ]
    np.testing.assert_array_equal(x, np.concatenate([a for a, _ in parts]))
    np.testing.assert_array_equal(y, np.concatenate([b for _, b in parts]))


def test_make_windows_on_a_long_dataframe_with_known_and_static_inputs():
    frame = small_panel()
    windows = make_windows(frame, 12, horizon=2, **roles())
    inputs, y = windows
    assert inputs["past"].shape == (len(windows), 12, 5)
    assert inputs["future"].shape == (len(windows), 2, 3)
    assert inputs["static"].shape == (len(windows), 1)
    p = windows.panel
    # The future inputs are the known columns at the target rows; the
    # past window holds them at its own rows.
    series, origin = windows.locate(np.arange(len(windows)))
    np.testing.assert_array_equal(inputs["future"][:, 0], p.known[origin])
    np.testing.assert_array_equal(
        inputs["past"][:, -1, 2:], p.known[origin - 1]
    )
    np.testing.assert_array_equal(y[:, 1], p.values[origin + 1, 0])
    assert windows.skipped == 1  # S3 has 10 rows


def test_a_120_month_panel_splits_12_12_per_series_without_leakage():
    frame = small_panel(lengths=(120, 120, 96), shuffle=False)
    p = _panel(frame)
    for horizon in (1, 3):
        train, val, test = panel_splits(p, 24, horizon, 12, 12)
        assert test.counts.tolist() == [12 - horizon + 1] * 3
        assert val.counts.tolist() == [12 - horizon + 1] * 3
        # Every test target is in the last 12 steps; together they are
        # exactly those steps.
        for i in range(3):
            n = int(p.lengths[i])
            _, origin = test.locate(
                test.cumulative[i] + np.arange(test.counts[i])
            )
            rows = (origin[:, None] - p.offsets[i] + np.arange(horizon)).ravel()
            assert set(rows.tolist()) == set(range(n - 12, n))
        for split, end in ((train, 24), (val, 12)):
            series, origin = split.locate(np.arange(len(split)))
            last_target = origin - p.offsets[series] + horizon - 1
            assert (last_target < p.lengths[series] - end).all()
        # A test window's inputs reach back before the test split.
        series, origin = test.locate(np.array([0]))
        assert origin[0] - 24 - p.offsets[series[0]] == 120 - 12 - 24


def test_max_windows_keeps_the_latest_and_never_caps_test():
    p = _panel()
    train, val, test = panel_splits(p, 12, 1, 6, 6, max_windows=5)
    full = panel_splits(p, 12, 1, 6, 6)
    assert train.counts.tolist() == [5, 5, 5, 0]
    np.testing.assert_array_equal(train.last, full[0].last)
    np.testing.assert_array_equal(test.counts, full[2].counts)


def test_training_rows_end_before_the_first_validation_target():
    p = _panel()
    train, _, _ = panel_splits(p, 12, 2, 6, 6)
    mask = training_rows(train)
    for i in range(len(p)):
        n = int(p.lengths[i])
        expected = n - 12 if n - 12 >= 14 else 0
        assert mask[p.rows(i)].sum() == expected


def test_shuffled_is_a_permutation_that_changes_with_the_seed():
    for n in (1, 2, 7, 1000, 4097):
        order = shuffled(np.arange(n), n, [3, 0])
        assert sorted(order.tolist()) == list(range(n))
    a = shuffled(np.arange(1000), 1000, [3, 0])
    b = shuffled(np.arange(1000), 1000, [3, 1])
    assert not np.array_equal(a, b)
    # Batch by batch is the same permutation.
    halves = np.concatenate(
        [
            shuffled(np.arange(500), 1000, [3, 0]),
            shuffled(np.arange(500, 1000), 1000, [3, 0]),
        ]
    )
    np.testing.assert_array_equal(halves, a)


def test_windowed_series_batches_every_panel_window_once_an_epoch():
    frame = small_panel()
    batches = WindowedSeries(
        frame,
        12,
        horizon=2,
        batch_size=16,
        shuffle=True,
        seed=1,
        split="train",
        val_size=6,
        test_size=6,
        dtype="float32",
        **roles(),
    )
    windows = batches.windows
    seen = []
    for k in range(len(batches)):
        inputs, y = batches[k]
        assert inputs["past"].dtype == np.float32
        seen.append(y)
    everything = np.concatenate(seen)
    assert len(everything) == len(windows)
    expected = windows.targets()
    order = np.lexsort(everything.T)
    np.testing.assert_allclose(
        everything[order], expected[np.lexsort(expected.T)]
    )
    first = batches[0][1]
    batches.on_epoch_end()
    assert not np.array_equal(batches[0][1], first)
    pickled = pickle.dumps(batches)
    copy = pickle.loads(pickled)
    np.testing.assert_array_equal(copy[0][1], batches[0][1])
    # The panel's arrays travel, not its windows (12 rows each).
    p = windows.panel
    arrays = p.values.nbytes + p.known.nbytes + p.dates.nbytes
    assert len(pickled) < 3 * arrays


def test_panel_windows_cost_memory_per_series_not_per_window():
    rng = np.random.default_rng(0)
    series, steps = 400, 500
    frame = pd.DataFrame(
        {
            "id": np.repeat(np.arange(series), steps),
            "t": np.tile(np.arange(steps), series),
            "y": rng.normal(size=series * steps).astype("float32"),
        }
    )
    p = panel_from_frame(frame, "id", "y", past_columns=())
    tracemalloc.start()
    windows = panel_windows(p, 30, 5)
    batch = windows.batch(np.arange(64))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(windows) == series * (steps - 34)
    # Per series counts and offsets, one batch: far below one int per window.
    assert peak < 0.2 * p.values.nbytes
    assert batch[0].shape == (64, 30, 1)


def test_drop_last_cuts_every_series_and_drops_emptied_ones():
    p = _panel()
    cut = drop_last(p, 10)
    assert list(cut.ids) == ["S0", "S1", "S2"]
    assert cut.lengths.tolist() == [50, 38, 62]
    np.testing.assert_array_equal(
        cut.values[cut.rows(1)], p.values[p.rows(1)][:38]
    )


def test_weather_cities_is_eleven_daily_series():
    frame = weather_cities()
    p = panel_from_frame(
        frame, "city", "temp_mean", "DATE", calendar="dayofyear"
    )
    assert len(p) == 11 and set(p.lengths.tolist()) == {3654}
    assert p.freqs == ("D",) * 11
    assert p.columns == ("temp_mean", "temp_min", "temp_max", "precipitation")


def test_weekly_and_daily_frequencies_per_series():
    frame = pd.DataFrame(
        {
            "id": ["w"] * 4 + ["d"] * 3,
            "date": list(pd.date_range("2020-01-05", periods=4, freq="7D"))
            + list(pd.date_range("2020-02-27", periods=3, freq="D")),
            "y": np.arange(7.0),
        }
    )
    p = panel_from_frame(frame, "id", "y", "date")
    assert dict(zip(p.ids, p.freqs)) == {"d": "D", "w": "7D"}


# -- bad tables: one clear error each ------------------------------------------


def _error(frame, match, **more):
    with pytest.raises(ValueError, match=match):
        panel_from_frame(frame, **roles(**more))


def test_a_duplicate_id_and_date_is_named():
    frame = small_panel()
    frame = pd.concat([frame, frame[frame.series == "S1"].head(1)])
    row = frame.iloc[-1]
    _error(frame, f"duplicate .*'S1' on {row.date}")


def test_a_gap_in_a_series_names_the_series_and_the_dates():
    frame = small_panel(shuffle=False)
    frame = frame.drop(frame.index[(frame.series == "S2")][5])
    _error(
        frame, r"series 'S2' are not on one frequency: 2014-10-01 .* 2014-12-01"
    )


def test_an_empty_or_missing_id_is_refused():
    for bad in ("", None, float("nan")):
        frame = small_panel()
        frame.loc[3, "series"] = bad
        _error(frame, "empty or missing id")


def test_a_static_column_that_varies_within_a_series_is_named():
    frame = small_panel()
    frame.loc[frame.index[frame.series == "S0"][2], "region"] = 7
    _error(frame, "static column 'region' varies within series 'S0'")


def test_calendar_without_a_date_column_is_refused():
    _error(small_panel(), "need a date column", date_column=None)


def test_missing_values_name_the_series_and_date():
    frame = small_panel(shuffle=False)
    frame.loc[5, "noise"] = np.nan
    _error(frame, r"'noise' has 1 missing .* series 'S0', date 2015-06-01")


def test_unknown_columns_and_double_roles_are_refused():
    _error(small_panel(), "'nope' is not a column", future_columns=["nope"])
    _error(
        small_panel(),
        "given as `future_columns` and as `static_columns`",
        static_columns=["promo"],
    )
    _error(small_panel(), "unknown|distinct features", calendar=["fortnight"])


def test_make_windows_refuses_one_series_arguments_with_an_id_column():
    with pytest.raises(ValueError, match="apply to one series"):
        make_windows(small_panel(), 12, targets=0, **roles())
    with pytest.raises(ValueError, match="pass `id_column`"):
        make_windows(np.arange(50.0), 12, calendar="month")


def test_load_csv_with_an_id_column_reads_a_long_table(tmp_path):
    from keras_seqlab.data.datasets import load_csv

    frame = small_panel()
    path = tmp_path / "panel.csv"
    frame.to_csv(path, index=False)
    loaded = load_csv(
        path,
        target="value",
        columns=["noise"],
        date_column="date",
        id_column="series",
        future_columns=["promo"],
        static_columns=["region"],
        calendar="month",
    )
    direct = _panel(frame)
    for name in ("ids", "offsets", "values", "known", "static", "dates"):
        np.testing.assert_array_equal(
            getattr(loaded, name), getattr(direct, name)
        )
    with pytest.raises(ValueError, match="pass `id_column`"):
        load_csv(path, target="value", calendar="month")


def test_with_codes_maps_ids_to_a_vocabulary_and_unknown_to_zero():
    from keras_seqlab.data.panel import with_codes

    coded = with_codes(_panel(), ["S2", "S0", "S9"])
    assert coded.codes.tolist() == [2, 0, 1, 0]  # S0, S1, S2, S3
    assert coded.vocabulary == ("S2", "S0", "S9")
    windows = panel_windows(coded, 12, 1)
    inputs, _ = windows.batch(np.arange(len(windows)))
    series = windows.series_ids()
    expected = np.array([{"S0": 2, "S2": 1}.get(s, 0) for s in series])
    np.testing.assert_array_equal(inputs["series"][:, 0], expected)
