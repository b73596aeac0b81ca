"""The data functions take what the loaders return, and pandas objects.

`make_windows`, `WindowedSeries`, `temporal_split` and `Scaler` given a
`SeriesData` (from `load_weather` and from `load_csv`) or a pandas
DataFrame / Series must give exactly the numbers of the plain-array path,
with names resolved to the right columns. pandas is optional: the tests
that need it skip without it.
"""

import ast
import dataclasses
import json
import pathlib
import pickle
import subprocess
import sys

import keras
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from keras_seqlab.data import series
from keras_seqlab.data.datasets import SeriesData
from keras_seqlab.data.datasets import load_csv
from keras_seqlab.data.datasets import load_weather
from keras_seqlab.data.pydataset import WindowedSeries
from keras_seqlab.data.scaling import Scaler
from keras_seqlab.data.series import pandas_kind
from keras_seqlab.data.splits import temporal_split
from keras_seqlab.data.windows import make_windows

# pandas and numpy inputs: no backend computes anything here.
pytestmark = pytest.mark.backend_free

CSV_TEXT = "date,load,temp,wind\n" + "".join(
    f"2024-01-{day:02d},{100 + 3 * day},{day % 7 - 2.5},{(day * 13) % 5}\n"
    for day in range(1, 31)
)


@pytest.fixture(scope="module")
def weather():
    return load_weather("BASEL", target="BASEL_temp_mean")


@pytest.fixture
def small_csv(tmp_path):
    path = tmp_path / "small.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    return load_csv(path, target="load", date_column="date")


@pytest.fixture(params=["weather", "csv"])
def series_data(request, weather, small_csv):
    return weather if request.param == "weather" else small_csv


def _frame(data, date_column=False):
    """The `SeriesData` as a DataFrame: dates as index, or as a column."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        data.values, columns=list(data.columns), index=pd.Index(data.dates)
    )
    if date_column:
        frame = frame.reset_index(names="date")
    return frame


def _target_name(data):
    return data.columns[data.targets]


# -- make_windows --------------------------------------------------------------


def test_series_data_windows_equal_the_array_path(series_data):
    data = series_data
    x, y = make_windows(data, 5, horizon=2, gap=1)
    ax, ay = make_windows(
        data.values, 5, horizon=2, gap=1, targets=data.targets
    )
    assert_array_equal(x, ax)
    assert_array_equal(y, ay)
    assert y.shape == (len(data) - 7, 2)  # one target column: (N, H)
    assert np.shares_memory(x, data.values) and not x.flags.writeable


def test_series_data_names_select_the_right_columns(series_data):
    data = series_data
    first, last = data.columns[0], data.columns[-1]
    x, y = make_windows(data, 4, targets=[last, first], inputs=last)
    assert_array_equal(
        x[:, :, 0], make_windows(data.values[:, -1], 4)[0][..., 0]
    )
    assert_array_equal(y[:, 0, 0], data.values[4:, -1])
    assert_array_equal(y[:, 0, 1], data.values[4:, 0])
    ax, ay = make_windows(data.values, 4, targets=[-1, 0], inputs=[-1])
    assert_array_equal(x, ax)
    assert_array_equal(y, ay)


def test_series_data_explicit_targets_override_its_own(weather):
    _, y = make_windows(weather, 3, targets="BASEL_humidity")
    assert_array_equal(y[:, 0], weather.column("BASEL_humidity")[3:])


def test_series_data_without_targets_uses_every_column(small_csv):
    data = dataclasses.replace(small_csv, targets=None)
    _, y = make_windows(data, 3)
    assert_array_equal(y, make_windows(data.values, 3)[1])
    assert y.shape == (len(data) - 3, 1, 3)


def test_series_data_several_targets(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    data = load_csv(path, target=["wind", "load"], date_column="date")
    _, y = make_windows(data, 3, horizon=2)
    assert y.shape == (len(data) - 4, 2, 2)
    assert_array_equal(y[:, :, 0], make_windows(data.column("wind"), 3, 2)[1])
    assert_array_equal(y[:, :, 1], make_windows(data.column("load"), 3, 2)[1])


def test_dataframe_windows_equal_the_array_path(series_data):
    data = series_data
    target = _target_name(data)
    for frame in (_frame(data), _frame(data, date_column=True)):
        x, y = make_windows(frame, 5, horizon=3, targets=target, seq2seq=True)
        ax, ay = make_windows(
            data.values, 5, horizon=3, targets=data.targets, seq2seq=True
        )
        assert_array_equal(x, ax)  # neither index nor date column an input
        assert_array_equal(y, ay)


def test_dataframe_of_ints_and_series(small_csv):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": np.arange(20), "b": np.arange(20) * 10})
    x, y = make_windows(frame, 4, targets="b", inputs=["a"])
    ax, ay = make_windows(frame.to_numpy(), 4, targets=1, inputs=[0])
    assert_array_equal(x, ax)
    assert_array_equal(y, ay)
    named = pd.Series(small_csv.column("load"), name="load")
    sx, sy = make_windows(named, 6, horizon=2)
    px, py = make_windows(small_csv.column("load"), 6, horizon=2)
    assert_array_equal(sx, px)
    assert_array_equal(sy, py)
    assert_array_equal(
        make_windows(named, 6, targets="load")[1],
        make_windows(small_csv.column("load"), 6)[1],
    )


def test_nullable_dataframe_missing_value_is_named():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": pd.array([1, None, 3, 4, 5], dtype="Int64")})
    with pytest.raises(ValueError, match=r"make_windows: `data` contains NaN"):
        make_windows(frame, 2)


# -- WindowedSeries ------------------------------------------------------------


def test_windowed_series_takes_series_data_and_frames(series_data):
    data = series_data
    kwargs = dict(horizon=2, batch_size=8, shuffle=True, seed=3)
    plain = WindowedSeries(data.values, 4, targets=data.targets, **kwargs)
    named = WindowedSeries(data, 4, **kwargs)
    framed = WindowedSeries(
        _frame(data, True), 4, targets=_target_name(data), **kwargs
    )
    assert len(plain) == len(named) == len(framed)
    for index in (0, len(plain) - 1):
        for other in (named, framed):
            assert_array_equal(other[index][0], plain[index][0])
            assert_array_equal(other[index][1], plain[index][1])
    again = pickle.loads(pickle.dumps(named))
    assert_array_equal(again[1][1], named[1][1])


def test_windowed_series_names_rejected_like_make_windows(weather):
    with pytest.raises(ValueError, match="WindowedSeries: unknown target"):
        WindowedSeries(weather, 4, targets="BASEL_nope")


# -- temporal_split ------------------------------------------------------------


def test_series_data_splits_into_series_data(series_data):
    data = series_data
    parts = temporal_split(data, val=0.2, test=0.1, gap=2)
    plain = temporal_split(data.values, val=0.2, test=0.1, gap=2)
    dates = temporal_split(data.dates, val=0.2, test=0.1, gap=2)
    for part, values, when in zip(parts, plain, dates):
        assert isinstance(part, SeriesData)
        assert_array_equal(part.values, values)
        assert_array_equal(part.dates, when)
        assert part.columns == data.columns and part.targets == data.targets
        assert np.shares_memory(part.values, data.values)
    x, y = make_windows(parts[0], 3)
    assert_array_equal(y, make_windows(plain[0], 3, targets=data.targets)[1])


def test_dataframe_splits_into_dataframes(series_data):
    frame = _frame(series_data, date_column=True)
    parts = temporal_split(frame, val=0.2, test=0.1, gap=1)
    plain = temporal_split(frame.to_numpy(), val=0.2, test=0.1, gap=1)
    for part, rows in zip(parts, plain):
        assert pandas_kind(part) == "DataFrame"
        assert list(part.columns) == list(frame.columns)
        assert_array_equal(part.to_numpy(), rows)
    assert parts[2].index[0] == len(frame) - len(parts[2])


def test_split_of_a_tuple_with_a_series_data(small_csv):
    x = np.arange(len(small_csv))
    (train_d, train_x), _, (test_d, test_x) = temporal_split((small_csv, x))
    assert_array_equal(train_d.values, small_csv.values[: len(train_x)])
    assert_array_equal(test_x, x[-len(test_d) :])


def test_split_lengths_must_agree(small_csv):
    with pytest.raises(ValueError, match="temporal_split: the arrays differ"):
        temporal_split((small_csv, np.arange(3)))


# -- Scaler --------------------------------------------------------------------


def test_scaler_on_series_data_equals_the_array_path(series_data):
    data = series_data
    train, _, test = temporal_split(data)
    for kind in ("standard", "minmax"):
        named = Scaler(kind).fit(train)
        plain = Scaler(kind).fit(train.values)
        assert named.names == data.columns and plain.names is None
        assert_array_equal(named.center, plain.center)
        scaled = named.transform(test)
        assert isinstance(scaled, SeriesData)
        assert scaled.columns == data.columns
        assert_array_equal(scaled.dates, test.dates)
        assert_array_equal(scaled.values, plain.transform(test.values))
        back = named.inverse_transform(scaled)
        assert_array_equal(back.values, plain.inverse_transform(scaled.values))


def test_scaler_inverse_transform_by_name(series_data):
    data = series_data
    scaler = Scaler().fit(data)
    target = _target_name(data)
    predictions = np.linspace(-1.0, 1.0, 12, dtype="float32").reshape(4, 3)
    assert_array_equal(
        scaler.inverse_transform(predictions, columns=target),
        scaler.inverse_transform(predictions, columns=data.targets),
    )
    pair = [data.columns[-1], data.columns[0]]
    assert_array_equal(
        scaler.transform(data.values[:, [-1, 0]], columns=pair),
        scaler.transform(data.values[:, [-1, 0]], columns=[-1, 0]),
    )


def test_scaler_on_dataframes(series_data):
    data = series_data
    frame = _frame(data, date_column=True)
    scaler = Scaler("minmax").fit(frame)
    plain = Scaler("minmax").fit(data.values)
    assert scaler.names == data.columns
    out = scaler.transform(frame)
    assert pandas_kind(out) == "DataFrame"
    assert out.index.equals(frame.index) and out.columns.equals(frame.columns)
    assert out["date"].equals(frame["date"])  # the date column untouched
    assert_array_equal(
        out[list(data.columns)].to_numpy(), plain.transform(data.values)
    )
    back = scaler.inverse_transform(out)
    assert_array_equal(
        back[list(data.columns)].to_numpy(),
        plain.inverse_transform(plain.transform(data.values)),
    )
    # A frame of some of the fitted columns: its names select them.
    target = _target_name(data)
    one = scaler.transform(frame[[target]])
    assert_array_equal(
        one[target].to_numpy(),
        plain.transform(data.values[:, [data.targets]], columns=[data.targets])[
            :, 0
        ],
    )
    series = scaler.transform(frame[target])
    assert pandas_kind(series) == "Series" and series.name == target
    assert_array_equal(series.to_numpy(), one[target].to_numpy())


def test_scaler_names_survive_serialization(weather):
    scaler = Scaler("minmax", (-1, 1)).fit(weather)
    config = json.loads(json.dumps(scaler.get_config()))
    assert config["names"] == list(weather.columns)
    again = Scaler.from_config(config)
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(scaler)
    )
    values = np.ones((2, 3), "float32")
    for other in (again, restored):
        assert other.names == weather.columns
        assert_array_equal(
            other.inverse_transform(values, columns="BASEL_temp_mean"),
            scaler.inverse_transform(values, columns=6),
        )
    assert Scaler.from_config(Scaler().get_config()).names is None


# -- bad input -----------------------------------------------------------------


def _bad_frames():
    pd = pytest.importorskip("pandas")
    text = pd.DataFrame({"x": [1.0, 2.0, 3.0], "city": ["a", "b", "c"]})
    dates = pd.DataFrame({"day": ["2024-01-01"] * 3, "x": [1.0, 2.0, 3.0]})
    return text, dates


def test_non_numeric_dataframe_columns_are_named():
    text, dates = _bad_frames()
    calls = [
        (lambda: make_windows(text, 1), "make_windows"),
        (lambda: WindowedSeries(dates, 1), "WindowedSeries"),
        (lambda: Scaler().fit(text), "Scaler.fit"),
        (lambda: Scaler().fit([[1.0]]).transform(text), "Scaler.transform"),
    ]
    for call, owner in calls:
        with pytest.raises(TypeError) as error:
            call()
        message = str(error.value)
        assert message.startswith(f"{owner}: `data` must have numeric")
        assert "'city' (" in message or "'day' (" in message
        assert "'x'" not in message


def test_non_numeric_series_is_rejected():
    pd = pytest.importorskip("pandas")
    with pytest.raises(TypeError, match=r"make_windows: `data` must be a "):
        make_windows(pd.Series(["a", "b", "c"], name="label"), 1)


def test_a_date_column_is_not_a_target(small_csv):
    frame = _frame(small_csv, date_column=True)
    with pytest.raises(
        ValueError, match=r"make_windows: target column 'date' is a date"
    ):
        make_windows(frame, 3, targets="date")
    with pytest.raises(ValueError, match=r"input column 'date' is a date"):
        make_windows(frame, 3, inputs=["load", "date"])


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda d: make_windows(d, 3, targets="nope"),
            "make_windows: unknown target column 'nope'; the columns are "
            "'load', 'temp', 'wind'.",
        ),
        (
            lambda d: make_windows(d, 3, inputs=[0, "Load"]),
            "make_windows: unknown input column 'Load'",
        ),
        (
            lambda d: make_windows(d, 3, columns=["a", "b", "c"]),
            "make_windows: `columns` ['a', 'b', 'c'] differs from the names",
        ),
        (
            lambda d: make_windows(d, 3, targets=1.5),
            "make_windows: a target column must be an integer index or a name",
        ),
        (
            lambda d: Scaler().fit(d).inverse_transform([1.0], columns="nope"),
            "Scaler.inverse_transform: unknown column 'nope'; the scaler was "
            "fit on 'load', 'temp', 'wind'.",
        ),
        (
            lambda d: Scaler().fit(d.values).transform([1.0], columns="load"),
            "Scaler.transform: column 'load' is a name, but the scaler was "
            "fit on an array without column names",
        ),
        (
            lambda d: Scaler().fit(d).transform(d.values[:, :2], ["load", 9]),
            "Scaler.transform: column 9 is out of range",
        ),
        (
            lambda d: Scaler(names=["a"]),
            "Scaler: `names` ['a'] must name the 1 fitted column(s)",
        ),
        (
            lambda d: Scaler(center=[0.0, 0.0], scale=[1.0, 1.0], names="ab"),
            "Scaler: `names` must be a list of column names (str)",
        ),
        (
            lambda d: temporal_split(3.0),
            "temporal_split: expected an array with a first axis",
        ),
    ],
)
def test_bad_names_and_types(small_csv, call, message):
    with pytest.raises(ValueError) as error:
        call(small_csv)
    assert message in str(error.value)


def test_scaler_checks_the_names_of_named_data(small_csv, weather):
    scaler = Scaler().fit(small_csv)
    with pytest.raises(
        ValueError, match="Scaler.transform: unknown column 'BASEL_cloud_cover'"
    ):
        scaler.transform(weather)
    renamed = dataclasses.replace(small_csv, columns=("wind", "temp", "load"))
    with pytest.raises(ValueError, match="`columns` selects"):
        scaler.transform(renamed, columns=[0, 1, 2])


@pytest.mark.slow
def test_the_package_works_without_pandas(tmp_path):
    """With pandas unimportable, arrays and `SeriesData` still work."""
    code = (
        "import sys; sys.modules['pandas'] = None\n"
        "import numpy as np, keras_seqlab as ks\n"
        "data = ks.load_weather('BASEL', target='BASEL_temp_mean')\n"
        "train, _, _ = ks.temporal_split(data)\n"
        "scaled = ks.Scaler().fit(train).transform(data)\n"
        "x, y = ks.make_windows(scaled, 5)\n"
        "batches = ks.WindowedSeries(scaled, 5, batch_size=4)\n"
        "print(x.shape, y.shape, len(batches))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "(3649, 5, 9) (3649, 1) 913"


def test_the_data_modules_do_not_import_pandas_at_module_level():
    for path in pathlib.Path(series.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.split(".")[0] == "pandas" for n in names), path
