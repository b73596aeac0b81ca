"""Bad inputs of the data utilities, the builders and forecasting (issue 11).

Each is refused with a message that names the function, what it expected
and what it got, before numpy or Keras does anything with it; `load_csv`
refuses a dtype that loses values and reads a file in bounded memory; the
models whose architecture depends on the window length refuse another one
on every backend, and the others accept any length.
"""

import gc
import tracemalloc
import warnings

import keras
import numpy as np
import pytest

from keras_seqlab import models
from keras_seqlab.data import csvfile
from keras_seqlab.data.datasets import load_csv
from keras_seqlab.data.pydataset import WindowedSeries
from keras_seqlab.data.scaling import Scaler
from keras_seqlab.data.splits import temporal_split
from keras_seqlab.data.windows import make_windows
from keras_seqlab.data.windows import split_gap
from keras_seqlab.data.windows import window_count
from keras_seqlab.experiments.settings import Settings

# -- window arguments: one check for every function of windows.py --------------

VALID = dict(window=10, horizon=1, gap=0, stride=1)
BAD_COUNTS = [
    (dict(window=0), "`window` must be a positive integer, got 0."),
    (dict(window=-3), "`window` must be a positive integer, got -3."),
    (dict(window=2.5), "`window` must be a positive integer, got 2.5."),
    (dict(window=True), "`window` must be a positive integer, got True."),
    (dict(window="10"), "`window` must be a positive integer, got '10'."),
    (dict(horizon=0), "`horizon` must be a positive integer, got 0."),
    (dict(horizon=-1), "`horizon` must be a positive integer, got -1."),
    (dict(horizon=1.0), "`horizon` must be a positive integer, got 1.0."),
    (dict(stride=0), "`stride` must be a positive integer, got 0."),
    (dict(stride=None), "`stride` must be a positive integer, got None."),
    (dict(gap=-1), "`gap` must be a non-negative integer, got -1."),
    (dict(gap=0.5), "`gap` must be a non-negative integer, got 0.5."),
    (dict(gap=False), "`gap` must be a non-negative integer, got False."),
]
SERIES = np.arange(100.0)
CALLS = {
    "window_count": lambda args: window_count(100, **args),
    "make_windows": lambda args: make_windows(SERIES, **args),
    "split_gap": lambda args: split_gap(**args),
    "WindowedSeries": lambda args: WindowedSeries(SERIES, **args),
}


@pytest.mark.parametrize("bad, message", BAD_COUNTS)
@pytest.mark.parametrize("function", list(CALLS))
def test_window_arguments_are_checked_alike(function, bad, message):
    with pytest.raises(ValueError) as info:
        CALLS[function]({**VALID, **bad})
    assert str(info.value) == f"{function}: {message}"


@pytest.mark.parametrize("n_steps", [-1, 2.5, "100", None, True])
def test_window_count_n_steps_must_be_a_non_negative_integer(n_steps):
    with pytest.raises(ValueError) as info:
        window_count(n_steps, 3)
    assert str(info.value) == (
        f"window_count: `n_steps` must be a non-negative integer, got "
        f"{n_steps!r}."
    )


@pytest.mark.parametrize(
    "n_steps, kwargs",
    [
        (100, dict(window=10, horizon=5, gap=2, stride=3)),
        (np.int64(50), dict(window=np.int64(7), horizon=2, stride=4)),
        (17, dict(window=17)),  # one step short of a window
        (18, dict(window=17)),
        (0, dict(window=1)),
    ],
)
def test_window_count_counts_the_windows_make_windows_makes(n_steps, kwargs):
    count = window_count(n_steps, **kwargs)
    assert isinstance(count, int)
    if count:
        x, _ = make_windows(np.arange(float(n_steps)), **kwargs)
        assert len(x) == count
    else:
        assert n_steps < kwargs["window"] + kwargs.get("horizon", 1)


# -- temporal_split ------------------------------------------------------------


@pytest.mark.parametrize("scalar", [5, 2.5, np.float32(1.5), np.array(7), "ab"])
def test_temporal_split_refuses_a_scalar(scalar):
    with pytest.raises(ValueError) as info:
        temporal_split(scalar)
    message = str(info.value)
    assert message.startswith(
        "temporal_split: expected an array with a first axis, a SeriesData "
        "or a pandas object, got the scalar "
    )
    assert f"got the scalar {scalar!r} (type {type(scalar).__name__})" in (
        message
    )


def test_temporal_split_refuses_a_scalar_in_a_tuple_and_an_empty_tuple():
    with pytest.raises(ValueError, match=r"got the scalar None \(type"):
        temporal_split((np.arange(10), None))
    with pytest.raises(ValueError) as info:
        temporal_split(())
    assert str(info.value).startswith("temporal_split: `data` is an empty ")


# -- Scaler feature_range ------------------------------------------------------


@pytest.mark.parametrize(
    "feature_range",
    [
        (0.0, np.inf),
        (-np.inf, 1.0),
        (np.nan, 1.0),
        (0.0, np.nan),
        (1.0, 0.0),
        (2.0, 2.0),
        (-1e308, 1e308),  # finite ends, infinite width
        (True, 2),
        ("0", "1"),
        (0.0,),
        5,
    ],
)
def test_scaler_refuses_a_bad_feature_range(feature_range):
    with pytest.raises(ValueError) as info:
        Scaler("minmax", feature_range=feature_range)
    assert str(info.value) == (
        "Scaler: `feature_range` must be a pair of finite numbers (low, "
        f"high) with low < high, got {feature_range!r}."
    )


def test_scaler_takes_numpy_numbers_as_the_range():
    scaler = Scaler("minmax", (np.float32(-1.0), np.int64(3)))
    assert scaler.feature_range == (-1.0, 3.0)
    scaled = scaler.fit_transform(np.array([[0.0], [1.0], [2.0]]))
    np.testing.assert_allclose(scaled[:, 0], [-1.0, 1.0, 3.0])


# -- load_csv: arguments -------------------------------------------------------


def _write(tmp_path, text, name="series.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_load_csv_refuses_a_directory(tmp_path):
    with pytest.raises(ValueError) as info:
        load_csv(tmp_path)
    assert str(info.value) == (
        f"load_csv: {tmp_path} is a directory; expected a CSV file."
    )


@pytest.mark.parametrize("path", [3, None, b"series.csv"])
def test_load_csv_path_must_be_a_path(path):
    with pytest.raises(TypeError) as info:
        load_csv(path)
    assert str(info.value) == (
        "load_csv: `path` must be a file path (str or path-like), got "
        f"{path!r}."
    )


@pytest.mark.parametrize(
    "role, value",
    [
        ("target", 3),
        ("target", 2.5),
        ("target", ["a", 1]),
        ("target", [None]),
        ("columns", 5),
        ("columns", ["a", 0]),
    ],
)
def test_load_csv_names_must_be_strings(tmp_path, role, value):
    # Checked before the file is opened: the file does not even exist.
    with pytest.raises(ValueError) as info:
        load_csv(tmp_path / "missing.csv", **{role: value})
    assert str(info.value) == (
        f"load_csv: `{role}` must be a column name (str) or a list of them, "
        f"got {value!r}."
    )


def test_load_csv_date_column_must_be_a_name(tmp_path):
    with pytest.raises(ValueError) as info:
        load_csv(tmp_path / "missing.csv", date_column=0)
    assert str(info.value) == (
        "load_csv: `date_column` must be a column name (str) or None, got 0."
    )


def test_load_csv_target_none_means_no_target(tmp_path):
    data = load_csv(_write(tmp_path, "a,b\n1,2\n"), target=None)
    assert data.targets is None and data.columns == ("a", "b")


@pytest.mark.parametrize("dtype", ["foo", "U5", "complex64", object])
def test_load_csv_dtype_must_be_numeric(tmp_path, dtype):
    with pytest.raises(TypeError) as info:
        load_csv(tmp_path / "missing.csv", dtype=dtype)
    assert str(info.value) == (
        "load_csv: `dtype` must be a numeric dtype (float, int, uint or "
        f"bool), got {dtype!r}."
    )


# -- load_csv: a dtype must hold every value -----------------------------------


@pytest.mark.parametrize(
    "dtype, text, value, line, row, column",
    [
        ("float16", "a\n1\n70000\n", "70000.0", 3, 1, "a"),
        ("float16", "a,b\n1,65504\n2,65520\n", "65520.0", 3, 1, "b"),
        ("int8", "a\n300\n", "300.0", 2, 0, "a"),
        ("int8", "a\n1\n2.5\n", "2.5", 3, 1, "a"),
        ("uint8", "a,b\n1,2\n3,-1\n", "-1.0", 3, 1, "b"),
        ("int32", "a\n2147483648\n", "2147483648.0", 2, 0, "a"),
        ("int64", "a\n1e19\n", "1e+19", 2, 0, "a"),
        ("bool", "a\n0\n1\n2\n", "2.0", 4, 2, "a"),
    ],
)
def test_load_csv_refuses_a_lossy_dtype(
    tmp_path, dtype, text, value, line, row, column
):
    path = _write(tmp_path, text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy cast warning either
        with pytest.raises(ValueError) as info:
            load_csv(path, dtype=dtype)
    message = str(info.value)
    assert message.startswith(
        f"load_csv: `dtype` {dtype} cannot hold the value {value} at line "
        f"{line} of {path} (data row {row}), column {column!r} (it becomes "
    )
    if dtype == "float16":
        assert "(it becomes inf)" in message


def test_load_csv_dtypes_that_hold_every_value(tmp_path):
    path = _write(tmp_path, "a,b\n1,-5\n300,65504\n0,1e-3\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ints = load_csv(path, columns=["a"], dtype="int16")
        halves = load_csv(path, columns=["b"], dtype="float16")
        flags = load_csv(_write(tmp_path, "f\n0\n1\n", "f.csv"), dtype=bool)
    assert ints.values.dtype == np.int16
    assert ints.values[:, 0].tolist() == [1, 300, 0]
    assert halves.values.dtype == np.float16
    np.testing.assert_array_equal(
        halves.values[:, 0], np.array([-5, 65504, 1e-3], np.float16)
    )
    assert flags.values[:, 0].tolist() == [False, True]


# -- load_csv: chunked reading keeps values and errors -------------------------

MIXED = (
    "\ufeffday,a,b\r\n"
    '"2020-01-01",1,"2"\r\n'
    "20200102, 4 ,5.5\r\n"
    "\r\n"
    + "".join(f"2020-02-{d:02d},{d * 3},{-d / 4}\r\n" for d in range(1, 29))
    + "2020-03-01,7,8"
)


@pytest.mark.parametrize("chunk", [1, 2, 5, 1 << 14])
def test_chunked_reading_gives_the_same_numbers(tmp_path, monkeypatch, chunk):
    path = _write(tmp_path, MIXED)
    whole = load_csv(path, target="a", date_column="day", dtype="float64")
    monkeypatch.setattr(csvfile, "CHUNK_FIELDS", chunk)
    data = load_csv(path, target="a", date_column="day", dtype="float64")
    assert data.columns == ("a", "b") and data.targets == 0
    assert data.values.shape == (31, 2) and data.values.flags.c_contiguous
    np.testing.assert_array_equal(data.values, whole.values)
    np.testing.assert_array_equal(data.dates, whole.dates)
    assert data.values[:3].tolist() == [[1, 2], [4, 5.5], [3, -0.25]]
    assert str(data.dates[1]) == "2020-01-02"
    assert str(data.dates[-1]) == "2020-03-01"


@pytest.mark.parametrize(
    "text, kwargs, fragment",
    [
        # Within a column, a non-numeric cell anywhere beats an earlier NaN.
        (
            "a,b\nnan,1\n2,2\n3,3\n4,4\nx,5\n",
            {},
            "non-numeric value 'x' at line 6",
        ),
        # Columns are checked in the selected order, rows first to last.
        (
            "a,b\n1,x\nnan,2\n",
            {},
            "NaN ('nan') at line 3",
        ),
        (
            "a,b\n1,x\nnan,2\n",
            dict(columns=["b", "a"]),
            "non-numeric value 'x' at line 2",
        ),
        # An unreadable last line beats everything before it.
        ('a,b\n1,2\nx,3\n4,"5"y\n', {}, "cannot read line 4"),
        # A row of the wrong width beats a missing target.
        ("a,b\n1,2\n3,4\n5\n", dict(target="zz"), "line 4 of"),
        # A bad value beats a lossy dtype, a bad date comes between.
        (
            "d,a\n2020-01-01,300\n2020-01-02,1\nnope,2\n",
            dict(date_column="d", dtype="int8"),
            "'nope' is not a date",
        ),
        (
            "d,a\n2020-01-01,1\n2020-01-02,2\n2020-01-03,300\n",
            dict(date_column="d", dtype="int8"),
            "cannot hold the value 300.0 at line 4",
        ),
    ],
)
@pytest.mark.parametrize("chunk", [1, 2, 1 << 14])
def test_chunked_reading_reports_the_same_first_error(
    tmp_path, monkeypatch, chunk, text, kwargs, fragment
):
    monkeypatch.setattr(csvfile, "CHUNK_FIELDS", chunk)
    path = _write(tmp_path, text)
    with pytest.raises(ValueError) as info:
        load_csv(path, **kwargs)
    assert str(info.value).startswith("load_csv: ")
    assert fragment in str(info.value)


def _numeric_csv(path, rows):
    """A date and ten 4-decimal columns, like a sensor log (~86 bytes/row)."""
    rng = np.random.default_rng(0)
    values = rng.normal(10.0, 5.0, size=(rows, 10))
    dates = (np.datetime64("1990-01-01") + np.arange(rows)).astype(str)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("date," + ",".join(f"c{i}" for i in range(10)) + "\n")
        for date, row in zip(dates, values.tolist()):
            handle.write(date + "," + ",".join(f"{v:.4f}" for v in row) + "\n")
    return values


def test_load_csv_peak_memory_is_under_three_times_the_file(tmp_path):
    # It held about 12x the file as Python strings and floats (13x in RSS
    # for a 103 MB file); now about its arrays twice plus one chunk of
    # strings (~1.05x here). 2.6 MB keeps tracemalloc's slowdown short.
    path = tmp_path / "log.csv"
    values = _numeric_csv(path, 30_000)
    size = path.stat().st_size
    gc.collect()
    tracemalloc.start()
    try:
        data = load_csv(path, target="c3", date_column="date")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert data.values.shape == (30_000, 10)
    np.testing.assert_allclose(data.values, values, atol=5e-5 + 1e-6)
    assert peak < 3 * size, f"peak {peak} bytes for a {size}-byte file"


# -- forecast_autoregressive ---------------------------------------------------


class _NeverCalled:
    """A model stand-in: the argument checks must come first."""

    inputs = ()

    def predict_on_batch(self, x):
        raise AssertionError("the model was called")


@pytest.mark.parametrize("target_index", [1.0, True, "0", None, np.float64(0)])
def test_autoregressive_target_index_must_be_an_integer(target_index):
    with pytest.raises(ValueError) as info:
        models.forecast_autoregressive(
            _NeverCalled(), np.ones((1, 3, 1)), 2, target_index=target_index
        )
    assert str(info.value) == (
        "forecast_autoregressive: `target_index` must be an integer column "
        f"index, got {target_index!r}."
    )


@pytest.mark.parametrize("target_index", [2, -3, 10])
def test_autoregressive_target_index_must_be_in_range(target_index):
    with pytest.raises(ValueError) as info:
        models.forecast_autoregressive(
            _NeverCalled(),
            np.ones((1, 3, 2)),
            2,
            target_index=target_index,
            future_inputs=np.zeros((1, 2, 2)),
        )
    assert str(info.value) == (
        f"forecast_autoregressive: `target_index` {target_index!r} is out of "
        "range for 2 feature(s) (valid: -2 to 1)."
    )


def test_autoregressive_history_must_be_numeric():
    with pytest.raises(ValueError, match="`history` must be a numeric array"):
        models.forecast_autoregressive(_NeverCalled(), [["a", "b"]], 1)


@pytest.mark.parametrize("target_index", [1, -1, np.int64(1)])
def test_autoregressive_integer_target_indices_agree(target_index):
    model = models.build("persistence", (3, 2), target_index=1)
    history = np.array([[[0.0, 1.0], [0.0, 2.0], [0.0, 5.0]]])
    future = np.full((1, 3, 2), 7.0)
    got = models.forecast_autoregressive(
        model, history, 3, target_index=target_index, future_inputs=future
    )
    # Persistence repeats the last target value, which is fed back.
    np.testing.assert_array_equal(got, [[5.0, 5.0, 5.0]])


# -- builder options that default when None, not when 0 ------------------------


@pytest.mark.parametrize(
    "name, option",
    [("conv_gru", "filters"), ("wavenet", "filters"), ("attention", "key_dim")],
)
def test_builder_options_zero_is_refused_not_defaulted(name, option):
    with pytest.raises(ValueError) as info:
        models.build(name, (8, 2), units=4, **{option: 0})
    assert str(info.value) == (
        f"build_{name}: `{option}` must be a positive integer, got 0."
    )


def test_builder_options_none_is_the_default():
    conv = models.build("conv_gru", (8, 2), units=4).get_layer("conv")
    assert conv.filters == 4
    wavenet = models.build("wavenet", (8, 2), units=4).get_layer("wavenet")
    assert wavenet.filters == 4


def test_window_zero_is_refused_by_the_settings():
    # `seqlab compare/tune --window 0` reach this check (None is the
    # default window, 0 is an error).
    assert Settings(window=None).validated().window == 50
    with pytest.raises(ValueError, match="`window` must be a positive integer"):
        Settings(window=0).validated()


# -- models: a fixed window where the architecture needs one -------------------

WINDOW, FEATURES = 12, 2
WINDOW_DEPENDENT = [
    ("linear", {}),
    ("linear", dict(head="seq_to_vector", horizon=3)),
    ("linear", dict(head="seq_to_seq", horizon=2)),
    ("linear", dict(head="seq_to_seq", horizon=2, quantiles=(0.1, 0.9))),
    ("dense", {}),
    ("dense", dict(head="seq_to_seq", horizon=2)),
    ("attention", dict(pooling="last")),
]
ANY_LENGTH = [
    "persistence",
    "simple_rnn",
    "stacked_rnn",
    "lstm",
    "stacked_lstm",
    "gru",
    "stacked_gru",
    "ln_simple_rnn",
    "peephole_lstm",
    "ln_lstm",
    "nas",
    "esn",
    "gru_variant",
    "min_gru",
    "min_lstm",
    "conv_gru",
    "wavenet",
    "tcn",
    "attention",
    "bidirectional",
]


def test_every_architecture_is_classified():
    dependent = {name for name, _ in WINDOW_DEPENDENT}
    assert dependent | set(ANY_LENGTH) == set(models.names())


def _refused(error, name):
    """Our message (`FixedWindow`) or Keras's input check: both name the
    model and the window it was built for."""
    message = str(error)
    ours = f"model '{name}': built for windows of exactly {WINDOW} steps"
    keras_check = (
        f"of layer '{name}' is incompatible with the layer: expected "
        f"shape=(None, {WINDOW}, {FEATURES})"
    )
    return ours in message or keras_check in message


def _build(name, kwargs):
    units = {} if name == "persistence" else {"units": 3}
    return models.build(name, (WINDOW, FEATURES), **units, **kwargs)


@pytest.mark.parametrize("steps", [WINDOW + 5, WINDOW - 5])
@pytest.mark.parametrize(
    "name, kwargs", WINDOW_DEPENDENT, ids=lambda v: str(v).replace(" ", "")
)
def test_window_dependent_models_refuse_another_length(name, kwargs, steps):
    model = _build(name, kwargs)
    rng = np.random.default_rng(0)
    right = rng.normal(size=(2, WINDOW, FEATURES)).astype("float32")
    wrong = np.ones((2, steps, FEATURES), "float32")
    expected = keras.ops.convert_to_numpy(model(right))
    np.testing.assert_allclose(
        model.predict_on_batch(right), expected, rtol=1e-5, atol=1e-6
    )
    # A second length: TensorFlow retraces with the length unknown, where
    # only the `fixed_window` layer's broadcast of the doubled window to
    # 2 * WINDOW steps refuses it, with TensorFlow's error.
    with pytest.raises(Exception) as info:
        model.predict_on_batch(wrong)
    message = str(info.value)
    broadcast = (
        f"Incompatible shapes: [2,{2 * steps},{FEATURES}] vs. "
        f"[2,{2 * WINDOW},{FEATURES}]"
    )
    assert _refused(info.value, name) or (
        keras.backend.backend() == "tensorflow" and broadcast in message
    ), message
    with pytest.raises(ValueError) as info:
        model(wrong)
    assert _refused(info.value, name), str(info.value)
    # The model is unharmed by the refusals: it still forecasts.
    np.testing.assert_allclose(
        model.predict_on_batch(right), expected, rtol=1e-5, atol=1e-6
    )
    # `predict` is refused too (a fresh model: on JAX, Keras leaves the
    # model's variables purged after any error inside `predict`).
    model = _build(name, kwargs)
    with pytest.raises(ValueError) as info:
        model.predict(wrong, verbose=0)
    assert _refused(info.value, name), str(info.value)


def test_window_dependent_models_need_a_fixed_window():
    for name, kwargs in WINDOW_DEPENDENT:
        with pytest.raises(ValueError, match="needs a fixed window length"):
            models.build(name, (None, FEATURES), units=3, **kwargs)


def test_the_window_check_survives_saving(tmp_path):
    model = _build("dense", dict(head="seq_to_vector", horizon=2))
    path = tmp_path / "dense.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    layer = loaded.get_layer("fixed_window")
    assert (layer.window, layer.model_name) == (WINDOW, "dense")
    with pytest.raises(ValueError) as info:
        loaded.predict_on_batch(np.ones((1, WINDOW + 1, FEATURES)))
    assert _refused(info.value, "dense"), str(info.value)


@pytest.mark.parametrize("name", ANY_LENGTH)
def test_the_other_models_accept_any_window_length(name):
    units = {} if name == "persistence" else {"units": 3}
    model = models.build(
        name, (None, FEATURES), head="seq_to_vector", horizon=2, **units
    )
    for steps in (WINDOW + 5, WINDOW - 5):
        x = np.random.default_rng(steps).normal(size=(2, steps, FEATURES))
        y = model.predict_on_batch(x.astype("float32"))
        assert y.shape == (2, 2) and np.isfinite(y).all()
