"""The synthetic generator, the bundled weather data and `load_csv`."""

import csv
import hashlib
import importlib.resources

import numpy as np
import pytest

from keras_seqlab import datasets
from keras_seqlab.data.datasets import load_csv
from keras_seqlab.data.datasets import load_weather
from keras_seqlab.data.datasets import synthetic_series
from keras_seqlab.data.scaling import Scaler
from keras_seqlab.data.splits import temporal_split
from keras_seqlab.data.windows import make_windows

# Files and numpy arrays: no backend computes anything here.
pytestmark = pytest.mark.backend_free

WEATHER_SHA256 = (
    "d10b70448e6848a66958a18667f4dbf8a4ef13b166f6803a7ab2057c6ec9d438"
)
BASEL = [
    "BASEL_cloud_cover",
    "BASEL_humidity",
    "BASEL_pressure",
    "BASEL_global_radiation",
    "BASEL_precipitation",
    "BASEL_sunshine",
    "BASEL_temp_mean",
    "BASEL_temp_min",
    "BASEL_temp_max",
]
COLUMNS_PER_LOCATION = {
    "BASEL": 9,
    "DE_BILT": 9,
    "DRESDEN": 8,
    "DUSSELDORF": 9,
    "HEATHROW": 9,
    "KASSEL": 8,
    "MAASTRICHT": 9,
    "MALMO": 4,
    "MUENCHEN": 9,
    "SONNBLICK": 8,
    "TOURS": 7,
}


def _bundled():
    """The bundled CSV, found through the installed package."""
    return (
        importlib.resources.files("keras_seqlab")
        / "data"
        / "weather_prediction_dataset_light.csv"
    )


# -- synthetic_series ----------------------------------------------------------


def _geron(n_series, n_steps, rng):
    """`generate_time_series` of Hands-On ML ch. 15, with a Generator."""
    freq1, freq2, offsets1, offsets2 = rng.random((4, n_series, 1))
    time = np.linspace(0, 1, n_steps)
    series = 0.5 * np.sin((time - offsets1) * (freq1 * 10 + 10))
    series += 0.2 * np.sin((time - offsets2) * (freq2 * 20 + 20))
    series += 0.1 * (rng.random((n_series, n_steps)) - 0.5)
    return series[..., np.newaxis].astype(np.float32)


def test_synthetic_series_is_the_textbook_generator():
    # The modern stream (default_rng); the book's own arrays
    # (legacy_seed=True, the default) are in test_textbook_data.py.
    series = synthetic_series(64, 51, seed=7, legacy_seed=False)
    assert series.shape == (64, 51, 1) and series.dtype == np.float32
    expected = _geron(64, 51, np.random.default_rng(7))
    np.testing.assert_array_equal(series, expected)
    assert np.abs(series).max() <= 0.5 + 0.2 + 0.05


def test_synthetic_series_is_reproducible():
    np.testing.assert_array_equal(
        synthetic_series(8, 20), synthetic_series(8, 20, seed=42)
    )
    assert not np.array_equal(
        synthetic_series(8, 20, seed=1), synthetic_series(8, 20, seed=2)
    )
    rng = np.random.default_rng(3)
    np.testing.assert_array_equal(
        synthetic_series(4, 10, seed=rng),
        _geron(4, 10, np.random.default_rng(3)),
    )


@pytest.mark.parametrize(
    "args, fragment",
    [
        ((0, 10), "`n_series` must be a positive integer, got 0"),
        ((4, -1), "`n_steps` must be a positive integer, got -1"),
        ((4, 10, -5), "`seed` must be a non-negative integer"),
        ((4, 10, 1.5), "got 1.5"),
    ],
)
def test_synthetic_series_errors(args, fragment):
    with pytest.raises(ValueError) as info:
        synthetic_series(*args)
    assert str(info.value).startswith("synthetic_series: ")
    assert fragment in str(info.value)


# -- the bundled file ----------------------------------------------------------


def test_bundled_weather_file_is_the_published_one():
    data = _bundled().read_bytes()
    assert len(data) == 1_536_155
    assert hashlib.sha256(data).hexdigest() == WEATHER_SHA256
    with _bundled().open("r", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    assert (len(body), len(header)) == (3654, 91)
    assert header[:2] == ["DATE", "MONTH"] and header[2:11] == BASEL


def test_bundled_file_equals_the_shared_copy(data_dir):
    shared = (data_dir / "weather_prediction_dataset_light.csv").read_bytes()
    assert _bundled().read_bytes() == shared


def test_bundled_data_comes_with_its_attribution():
    text = (
        importlib.resources.files("keras_seqlab") / "data" / "ATTRIBUTION.md"
    ).read_text(encoding="utf-8")
    for fragment in (
        "Huber",
        "10.5281/zenodo.4770936",
        "5071376",
        "Klein Tank",
        "CC-BY 4.0",
        WEATHER_SHA256,
    ):
        assert fragment in text


# -- load_weather --------------------------------------------------------------


def test_load_weather_everything():
    weather = load_weather()
    assert weather.values.shape == (3654, 89)
    assert weather.values.dtype == np.float32
    assert len(weather.columns) == 89 and "MONTH" not in weather.columns
    assert weather.dates.dtype == np.dtype("datetime64[D]")
    assert str(weather.dates[0]) == "2000-01-01"
    assert str(weather.dates[-1]) == "2010-01-01"
    assert (np.diff(weather.dates) == np.timedelta64(1, "D")).all()
    assert weather.targets is None and len(weather) == 3654


def test_every_weather_column_is_a_location_and_a_feature():
    columns = load_weather().columns
    parts = [datasets._split_name(name) for name in columns]
    assert None not in parts
    counts = {loc: 0 for loc in datasets.WEATHER_LOCATIONS}
    for location, _ in parts:
        counts[location] += 1
    assert counts == COLUMNS_PER_LOCATION


def test_load_weather_basel_matches_the_lesson():
    basel = load_weather("BASEL", target="BASEL_temp_mean")
    assert list(basel.columns) == BASEL
    assert basel.targets == 6
    head = basel.values[:5]
    np.testing.assert_allclose(head[:, 0], [8, 8, 5, 7, 5])
    np.testing.assert_allclose(
        head[:, 1], [0.89, 0.87, 0.81, 0.79, 0.90], rtol=1e-6
    )
    np.testing.assert_allclose(head[:, 5], [0.0, 0.0, 3.7, 6.9, 3.7], rtol=1e-6)
    assert basel.values[0, 2] == np.float32(1.0286)
    np.testing.assert_array_equal(
        basel.column("BASEL_temp_mean"), basel.values[:, 6]
    )


def test_load_weather_by_feature_and_location():
    temps = load_weather(features="temp_mean")
    assert len(temps.columns) == 11
    assert all(name.endswith("_temp_mean") for name in temps.columns)
    two = load_weather(["basel", "Malmo"], ["temp_min", "temp_max"])
    assert two.columns == (
        "BASEL_temp_min",
        "BASEL_temp_max",
        "MALMO_temp_min",
        "MALMO_temp_max",
    )
    humid = load_weather(features="humidity")
    assert len(humid.columns) == 10  # MALMO has no humidity
    picked = load_weather(
        columns=["MONTH", "TOURS_pressure"], target="DE_BILT_sunshine"
    )
    assert picked.columns == ("MONTH", "TOURS_pressure", "DE_BILT_sunshine")
    assert picked.targets == 2
    assert picked.values[:3, 0].tolist() == [1.0, 1.0, 1.0]


def test_load_weather_returns_fresh_arrays():
    first = load_weather("BASEL")
    first.values[:] = 0
    assert load_weather("BASEL").values[0, 0] == 8


@pytest.mark.parametrize(
    "kwargs, fragments",
    [
        (dict(locations="PARIS"), ["unknown location 'PARIS'", "'BASEL'"]),
        (dict(features="wind"), ["unknown feature 'wind'", "'cloud_cover'"]),
        (
            dict(locations=["BASEL", "MALMO"], features="humidity"),
            ["no column for location 'MALMO'"],
        ),
        (
            dict(columns=["BASEL_wind"]),
            ["column 'BASEL_wind' not found", "'DATE', 'MONTH'"],
        ),
        (dict(columns=["MONTH"], locations="BASEL"), ["either `columns`"]),
        (dict(target="BASEL_wind"), ["'BASEL_wind' not found"]),
    ],
)
def test_load_weather_errors(kwargs, fragments):
    with pytest.raises(ValueError) as info:
        load_weather(**kwargs)
    message = str(info.value)
    assert message.startswith("load_weather: ")
    for fragment in fragments:
        assert fragment in message


def test_weather_end_to_end_without_leaks():
    basel = load_weather("BASEL", target="BASEL_temp_mean")
    train, val, test = temporal_split(basel.values, val=0.15, test=0.15)
    scaler = Scaler().fit(train)
    x, y = make_windows(
        scaler.transform(val), 30, horizon=7, targets=basel.targets
    )
    assert x.shape == (548 - 36, 30, 9) and y.shape == (548 - 36, 7)
    back = scaler.inverse_transform(y, columns=basel.targets)
    np.testing.assert_allclose(back[0], val[30:37, 6], rtol=1e-5, atol=1e-5)


# -- load_csv ------------------------------------------------------------------


def test_load_csv_on_the_melbourne_temperatures(data_dir):
    path = data_dir / "daily-min-temperatures.csv"
    raw = path.read_bytes()
    assert b"\r\n" in raw and not raw.endswith(b"\n")  # as documented
    temps = load_csv(path, target="Temp", date_column="Date")
    assert temps.values.shape == (3650, 1) and temps.columns == ("Temp",)
    assert temps.targets == 0
    assert temps.values.min() == 0.0
    assert temps.values.max() == np.float32(26.3)
    assert abs(float(temps.values.mean()) - 11.18) < 0.01
    assert temps.values[0, 0] == np.float32(20.7)
    assert temps.values[-1, 0] == np.float32(13.0)
    dates = temps.dates
    assert str(dates[0]) == "1981-01-01" and str(dates[-1]) == "1990-12-31"
    steps = np.diff(dates).astype(int)
    skipped = dates[1:][steps == 2] - np.timedelta64(1, "D")
    assert sorted(str(d) for d in skipped) == ["1984-12-31", "1988-12-31"]
    assert set(steps.tolist()) == {1, 2}


def test_load_csv_melbourne_without_date_column_names_the_problem(data_dir):
    with pytest.raises(ValueError) as info:
        load_csv(data_dir / "daily-min-temperatures.csv")
    message = str(info.value)
    assert "non-numeric value '1981-01-01'" in message
    assert "line 2 of" in message and "daily-min-temperatures.csv" in message
    assert "(data row 0), column 'Date'" in message


def _write(tmp_path, text, name="series.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_load_csv_columns_targets_and_dates(tmp_path):
    path = _write(
        tmp_path,
        "\ufeffday,a,b,c\r\n"
        '"2020-01-01",1,2,3\r\n'
        "20200102, 4 ,5,6\r\n"
        "\r\n"
        "2020-01-03,7,8,9",
    )
    data = load_csv(path, target=["c", "a"], columns=["b"], date_column="day")
    assert data.columns == ("b", "c", "a")
    assert data.targets == (1, 2)
    assert data.values.tolist() == [[2, 3, 1], [5, 6, 4], [8, 9, 7]]
    assert [str(d) for d in data.dates] == [
        "2020-01-01",
        "2020-01-02",
        "2020-01-03",
    ]
    plain = load_csv(str(path), date_column="day", dtype="float64")
    assert plain.columns == ("a", "b", "c") and plain.targets is None
    assert plain.values.dtype == np.float64 and plain.source == str(path)
    x, y = make_windows(data.values, 2, targets=data.targets)
    assert x.shape == (1, 2, 3) and y.tolist() == [[[9.0, 7.0]]]


@pytest.mark.parametrize(
    "text, kwargs, fragments",
    [
        (
            "a,b\n1,2\n",
            dict(target="c"),
            ["target 'c' not found in", "its columns are 'a', 'b'"],
        ),
        ("a,b\n1,2\n", dict(columns=["a", "x"]), ["column 'x' not found"]),
        ("a,b\n1,2\n", dict(date_column="d"), ["date_column 'd' not found"]),
        (
            "a,b\n1,2\n3,x\n",
            dict(),
            ["non-numeric value 'x' at line 3 of", "(data row 1), column 'b'"],
        ),
        ("a,b\n1,2\n3,\n", dict(), ["an empty cell at line 3", "column 'b'"]),
        (
            "a,b\n1,2\n\n3,nan\n",
            dict(),
            ["NaN ('nan') at line 4", "(data row 1), column 'b'"],
        ),
        ("a,b\n1,2\n3,-inf\n", dict(), ["an infinite value ('-inf')"]),
        (
            "a,b\n1,2\n3\n",
            dict(),
            ["line 3 of", "has 1 fields, the header has 2"],
        ),
        ("", dict(), ["is empty (no header row)"]),
        ("a,b\n1,2\n,\n3,4\n", dict(), ["an empty cell at line 3"]),
        ('a,b\n1,"2"x\n', dict(), ["cannot read line 2", "as CSV"]),
        ("a,b\n", dict(), ["has a header but no data"]),
        ("a,a\n1,2\n", dict(), ["has 2 columns named 'a'"]),
        (
            "d,a\n2020-01-01,1\n2020-13-01,2\n",
            dict(date_column="d"),
            ["'2020-13-01' is not a date", "line 3 of", "column 'd'"],
        ),
        (
            "d,a\n2020-01-01,1\n,2\n",
            dict(date_column="d"),
            ["an empty cell is not a date", "line 3 of"],
        ),
    ],
)
def test_load_csv_errors(tmp_path, text, kwargs, fragments):
    path = _write(tmp_path, text)
    with pytest.raises(ValueError) as info:
        load_csv(path, **kwargs)
    message = str(info.value)
    assert message.startswith("load_csv: ")
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_load_csv_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="load_csv: no such file"):
        load_csv(tmp_path / "nope.csv")
