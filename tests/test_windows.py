"""Windows, splits, scaling and streamed batches (numpy; backend-free).

`make_windows` is checked against the pure-Python double loop of
`keras_seqlab.reference.windows` for random shapes, and every window it
returns must be a read-only view of the series (no copy).
"""

import json
import pickle
import tracemalloc

import keras
import numpy as np
import pytest
from hypothesis import assume
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

from keras_seqlab import windows
from keras_seqlab.data.pydataset import WindowedSeries
from keras_seqlab.data.scaling import Scaler
from keras_seqlab.data.splits import temporal_split
from keras_seqlab.data.windows import make_windows
from keras_seqlab.data.windows import split_gap
from keras_seqlab.data.windows import window_count
from keras_seqlab.reference import windows as ref

PROPERTY = settings(max_examples=50, deadline=None)

# numpy views and arithmetic; what Keras does with the windows is in
# test_windowed_training.py, on every backend.
pytestmark = pytest.mark.backend_free


def _series(steps, columns=None, dtype="float64"):
    """Distinct values: row r, column c holds 100 r + c (1-D: r)."""
    rows = np.arange(steps, dtype=dtype)
    if columns is None:
        return rows
    return 100 * rows[:, None] + np.arange(columns, dtype=dtype)


def _reaches(view, array):
    """True if `array` is on the `.base` chain of `view`."""
    base = view.base
    while base is not None:
        if base is array:
            return True
        base = getattr(base, "base", None)
    return False


# -- values and shapes ---------------------------------------------------------


def test_window_and_target_values():
    x, y = make_windows(np.arange(10.0), window=3, horizon=2, gap=1)
    assert x.shape == (5, 3, 1) and y.shape == (5, 2)
    assert x[0, :, 0].tolist() == [0.0, 1.0, 2.0]
    assert y[0].tolist() == [4.0, 5.0]
    assert x[-1, :, 0].tolist() == [4.0, 5.0, 6.0]
    assert y[-1].tolist() == [8.0, 9.0]


@pytest.mark.parametrize(
    "shape, kwargs, x_shape, y_shape",
    [
        ((20,), dict(window=5), (15, 5, 1), (15, 1)),
        ((20,), dict(window=5, horizon=3), (13, 5, 1), (13, 3)),
        ((20,), dict(window=5, targets=[0]), (15, 5, 1), (15, 1, 1)),
        ((20, 3), dict(window=5, targets=1), (15, 5, 3), (15, 1)),
        ((20, 3), dict(window=5), (15, 5, 3), (15, 1, 3)),
        (
            (20, 3),
            dict(window=5, horizon=2, targets=[0, 2]),
            (14, 5, 3),
            (14, 2, 2),
        ),
        (
            (20, 3),
            dict(window=5, horizon=2, targets=0, seq2seq=True),
            (14, 5, 3),
            (14, 5, 2),
        ),
        (
            (20, 3),
            dict(window=5, horizon=2, targets=[0, 1], seq2seq=True),
            (14, 5, 3),
            (14, 5, 2, 2),
        ),
        (
            (20, 3),
            dict(window=4, gap=2, stride=3, targets=0, inputs=[1, 2]),
            (5, 4, 2),
            (5, 1),
        ),
        ((20, 3), dict(window=4, inputs=2), (16, 4, 1), (16, 1, 3)),
        (
            (20, 3),
            dict(window=4, targets=slice(1, None)),
            (16, 4, 3),
            (16, 1, 2),
        ),
        ((7,), dict(window=7 - 1), (1, 6, 1), (1, 1)),
    ],
)
def test_shapes(shape, kwargs, x_shape, y_shape):
    data = _series(shape[0], *shape[1:])
    x, y = make_windows(data, **kwargs)
    assert x.shape == x_shape
    assert y.shape == y_shape
    assert len(x) == window_count(
        shape[0],
        kwargs["window"],
        kwargs.get("horizon", 1),
        kwargs.get("gap", 0),
        kwargs.get("stride", 1),
    )


def test_seq2seq_targets_are_the_textbook_ones():
    # Géron, ch. 15: Y[:, t, k - 1] = series[:, t + k] for k = 1 ... 10.
    steps, ahead = 50, 10
    series = np.random.default_rng(0).normal(size=steps + ahead)
    x, y = make_windows(series, window=steps, horizon=ahead, seq2seq=True)
    expected = np.stack(
        [series[k : k + steps] for k in range(1, ahead + 1)], axis=-1
    )
    np.testing.assert_array_equal(x[0, :, 0], series[:steps])
    np.testing.assert_array_equal(y[0], expected)


@pytest.mark.parametrize("targets", [0, [0, 2]])
def test_seq2seq_last_step_is_the_many_to_one_target(targets):
    data = _series(30, 3)
    kwargs = dict(window=6, horizon=3, gap=2, stride=2, targets=targets)
    _, y = make_windows(data, **kwargs)
    _, y_seq = make_windows(data, seq2seq=True, **kwargs)
    np.testing.assert_array_equal(y_seq[:, -1], y)


def test_columns_by_name():
    data = _series(12, 3)
    names = ("a", "b", "c")
    x, y = make_windows(data, 4, targets="b", inputs=["a", "c"], columns=names)
    x_i, y_i = make_windows(data, 4, targets=1, inputs=[0, 2])
    np.testing.assert_array_equal(x, x_i)
    np.testing.assert_array_equal(y, y_i)


def test_negative_column_indices_count_from_the_end():
    data = _series(12, 3)
    np.testing.assert_array_equal(
        make_windows(data, 4, targets=-1)[1],
        make_windows(data, 4, targets=2)[1],
    )


# -- against the reference, and never a leak -----------------------------------


def _draw_columns(draw, n_columns, role):
    form = draw(st.sampled_from(["all", "one", "list"]))
    if form == "all":
        return None
    if form == "one":
        return draw(st.integers(-n_columns, n_columns - 1))
    return draw(st.lists(st.integers(0, n_columns - 1), min_size=1, max_size=4))


@PROPERTY
@given(st.data())
def test_matches_the_reference(data):
    draw = data.draw
    steps = draw(st.integers(1, 30), "steps")
    n_columns = draw(st.integers(1, 4), "columns")
    one_d = n_columns == 1 and draw(st.booleans(), "1-D")
    kwargs = dict(
        window=draw(st.integers(1, 12), "window"),
        horizon=draw(st.integers(1, 5), "horizon"),
        gap=draw(st.integers(0, 4), "gap"),
        stride=draw(st.integers(1, 4), "stride"),
        seq2seq=draw(st.booleans(), "seq2seq"),
    )
    targets = None if one_d else _draw_columns(draw, n_columns, "target")
    inputs = None if one_d else _draw_columns(draw, n_columns, "input")
    values = _series(steps, n_columns)
    ref_targets = 0 if one_d else targets
    if targets is None and not one_d:
        ref_targets = list(range(n_columns))
    ref_inputs = [inputs] if isinstance(inputs, int) else inputs
    xs, ys = ref.make_windows(
        values.tolist(), targets=ref_targets, inputs=ref_inputs, **kwargs
    )
    series = values[:, 0] if one_d else values
    if not xs:
        with pytest.raises(ValueError, match="make_windows: "):
            make_windows(series, targets=targets, inputs=inputs, **kwargs)
        return
    x, y = make_windows(series, targets=targets, inputs=inputs, **kwargs)
    np.testing.assert_array_equal(x, np.array(xs))
    np.testing.assert_array_equal(y, np.array(ys))
    assert not x.flags.writeable and not y.flags.writeable
    for view, columns in ((x, inputs), (y, targets)):
        if _evenly_spaced(columns):
            assert np.shares_memory(view, series)


def _evenly_spaced(columns):
    """A selection that `make_windows` can serve as a view (a slice)."""
    if columns is None or isinstance(columns, int) or len(columns) == 1:
        return True
    steps = {b - a for a, b in zip(columns, columns[1:])}
    return len(steps) == 1 and 0 not in steps


@PROPERTY
@given(
    steps=st.integers(10, 60),
    window=st.integers(1, 8),
    horizon=st.integers(1, 4),
    gap=st.integers(0, 3),
    stride=st.integers(1, 3),
    seq2seq=st.booleans(),
)
def test_every_target_comes_after_its_inputs(
    steps, window, horizon, gap, stride, seq2seq
):
    assume(steps >= window + gap + horizon)
    rows = _series(steps)  # each value is its row number
    x, y = make_windows(rows, window, horizon, gap, stride, seq2seq=seq2seq)
    x = x[..., 0]
    if seq2seq:  # at step t: inputs up to t, targets from t + 1 + gap
        assert (y.min(axis=-1) == x + 1 + gap).all()
    else:
        assert (y.min(axis=-1) == x.max(axis=-1) + 1 + gap).all()
    assert (x[:, 0] == stride * np.arange(len(x))).all()


@pytest.mark.parametrize("seq2seq", [False, True])
def test_the_leak_check_reads_the_views_it_returns(monkeypatch, seq2seq):
    # Simulate an off-by-one in the index arithmetic: targets one row early.
    build = windows._target_windows

    def one_row_early(target, window, horizon, gap, stride, count, seq2seq):
        if seq2seq:
            early = sliding_window_view(
                windows._horizons(target, gap, horizon), window, axis=0
            )
            return np.moveaxis(early, -1, 1)[: (count - 1) * stride + 1]
        return build(target, window - 1, horizon, gap, stride, count, False)

    monkeypatch.setattr(windows, "_target_windows", one_row_early)
    with pytest.raises(ValueError, match="window 0 would see its own target"):
        make_windows(_series(20, 2), 4, targets=0, seq2seq=seq2seq)


def test_reversed_and_strided_series_are_windowed_in_their_own_order():
    data = _series(30, 4)[::-1, ::2]
    x, y = make_windows(data, 3, horizon=2, targets=1)
    np.testing.assert_array_equal(x[0], data[:3])
    np.testing.assert_array_equal(y[0], data[3:5, 1])
    assert np.shares_memory(x, data) and np.shares_memory(y, data)


# -- views, not copies ---------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),
        dict(targets=1, horizon=3),
        dict(targets=[0, 2], inputs=[0, 2], stride=2),
        dict(targets=2, inputs=slice(0, 2), seq2seq=True, horizon=2),
        dict(targets=[2, 1, 0], inputs=[3, 1], gap=3, seq2seq=True),
    ],
)
def test_windows_are_read_only_views_of_the_data(kwargs):
    data = _series(40, 4, dtype="float32")
    x, y = make_windows(data, 5, **kwargs)
    for view in (x, y):
        assert np.shares_memory(view, data)
        assert _reaches(view, data)
        assert not view.flags.owndata
        assert not view.flags.writeable
        assert view.dtype == np.float32
        with pytest.raises(ValueError, match="read-only"):
            view[0] = 0.0


def test_an_irregular_column_selection_copies_columns_not_windows():
    data = _series(40, 5)
    x, _ = make_windows(data, 10, inputs=[0, 1, 4])
    assert not np.shares_memory(x, data)
    base = x.base
    while getattr(base, "base", None) is not None:
        base = base.base
    assert base.shape == (40, 3)  # the columns, once
    assert x.shape == (30, 10, 3) and not x.flags.writeable


def test_windows_of_a_large_series_allocate_nothing():
    data = np.random.default_rng(0).random((200_000, 9), dtype=np.float32)
    tracemalloc.start()
    try:
        x, y = make_windows(data, 90, horizon=5, targets=[0, 3])
        make_windows(data, 90, horizon=5, targets=0, seq2seq=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert x.shape == (199_906, 90, 9) and y.shape == (199_906, 5, 2)
    assert peak < 64 * 1024, peak  # windows: 648 MB if copied


def test_a_list_is_converted_once():
    x, y = make_windows([1.0, 2.0, 3.0, 4.0], 2)
    assert x[:, :, 0].tolist() == [[1.0, 2.0], [2.0, 3.0]]
    assert y.tolist() == [[3.0], [4.0]]


# -- bad input -----------------------------------------------------------------


@pytest.mark.parametrize(
    "data, kwargs, fragments",
    [
        (np.zeros(10), dict(window=11), ["`window` 11 is longer", "10 steps"]),
        (np.zeros(10), dict(window=8, horizon=2, gap=1), ["needs at least 11"]),
        (np.zeros(10), dict(window=0), ["`window` must be a positive", "0"]),
        (np.zeros(10), dict(window=-2), ["`window`", "-2"]),
        (np.zeros(10), dict(window=2.5), ["`window`", "2.5"]),
        (np.zeros(10), dict(window=True), ["`window`", "True"]),
        (np.zeros(10), dict(window=3, horizon=0), ["`horizon`", "0"]),
        (np.zeros(10), dict(window=3, stride=0), ["`stride`", "0"]),
        (
            np.zeros(10),
            dict(window=3, gap=-1),
            ["`gap` must be a non-neg", "-1"],
        ),
        (
            np.zeros((10, 2)),
            dict(window=3, targets=2),
            ["target column 2", "2 column"],
        ),
        (
            np.zeros((10, 2)),
            dict(window=3, inputs=[0, -3]),
            ["input column -3"],
        ),
        (np.zeros((10, 2)), dict(window=3, inputs=[]), ["selects no column"]),
        (
            np.zeros((10, 2)),
            dict(window=3, targets=1.0),
            ["integer index", "1.0"],
        ),
        (
            np.zeros((10, 2)),
            dict(window=3, targets="t"),
            ["'t' is a name", "columns="],
        ),
        (
            np.zeros((10, 2)),
            dict(window=3, targets="t", columns=["a", "b"]),
            ["unknown target column 't'", "'a', 'b'"],
        ),
        (
            np.zeros((10, 2)),
            dict(window=3, columns=["a"]),
            ["`columns` names 1 column(s), the data has 2"],
        ),
        (np.array(["a", "b", "c"]), dict(window=1), ["numeric", "<U1"]),
        (np.array([1, None, 3]), dict(window=1), ["numeric", "object"]),
        (np.zeros((4, 3, 2)), dict(window=1), ["1-D", "(4, 3, 2)"]),
        ([[1.0, 2.0], [3.0]], dict(window=1), ["not a rectangular array"]),
        (np.zeros(0), dict(window=1), ["empty"]),
        (np.array([1.0, np.nan, 3.0, 4.0]), dict(window=1), ["NaN at row 1"]),
        (
            np.array([[1.0, 2], [3, np.inf]]),
            dict(window=1),
            ["infinite", "row 1, column 1"],
        ),
    ],
)
def test_bad_input_is_a_clear_value_error(data, kwargs, fragments):
    with pytest.raises(ValueError) as info:
        make_windows(data, **kwargs)
    message = str(info.value)
    assert message.startswith("make_windows: ")
    for fragment in fragments:
        assert fragment in message


def test_nan_in_an_unused_column_is_fine_and_named_columns_are_reported():
    data = _series(10, 3)
    data[4, 2] = np.nan
    make_windows(data, 3, targets=0, inputs=[0, 1])
    with pytest.raises(ValueError, match="NaN at row 4, column 'c'"):
        make_windows(data, 3, targets=0, columns=["a", "b", "c"])


# -- temporal splits -----------------------------------------------------------


def test_temporal_split_sizes_order_and_gap():
    data = np.arange(100)
    train, val, test = temporal_split(data, val=0.2, test=0.1, gap=5)
    assert (len(train), len(val), len(test)) == (60, 20, 10)
    assert train[-1] == 59 and val[0] == 65 and val[-1] == 84 and test[0] == 90
    for part in (train, val, test):
        assert np.shares_memory(part, data)


def test_temporal_split_of_windows_keeps_them_aligned():
    x, y = make_windows(np.arange(200.0), 10)
    (tx, ty), (vx, vy), (sx, sy) = temporal_split((x, y), gap=split_gap(10))
    for xs, ys in ((tx, ty), (vx, vy), (sx, sy)):
        np.testing.assert_array_equal(ys[:, 0], xs[:, -1, 0] + 1)
        assert np.shares_memory(xs, x) and not xs.flags.writeable
    assert len(tx) + len(vx) + len(sx) == len(x) - 2 * split_gap(10)


def test_temporal_split_without_val():
    data = np.zeros((50, 3))
    train, val, test = temporal_split(data, val=0, test=0.2, gap=2)
    assert train.shape == (38, 3) and val.shape == (0, 3)
    assert test.shape == (10, 3)


@PROPERTY
@given(
    window=st.integers(1, 10),
    horizon=st.integers(1, 4),
    gap=st.integers(0, 3),
    stride=st.integers(1, 4),
    seq2seq=st.booleans(),
    extra=st.integers(0, 40),
)
def test_split_gap_is_the_smallest_gap_without_leaks(
    window, horizon, gap, stride, seq2seq, extra
):
    spacing = split_gap(window, horizon, gap, stride)
    n_windows = 10 * (spacing + 2) + extra
    steps = window + gap + horizon + stride * (n_windows - 1)
    pair = make_windows(
        np.arange(float(steps)), window, horizon, gap, stride, seq2seq=seq2seq
    )
    splits = temporal_split(pair, val=0.2, test=0.2, gap=spacing)
    for (_, early_y), (late_x, _) in [
        (splits[0], splits[1]),
        (splits[1], splits[2]),
        (splits[0], splits[2]),
    ]:
        assert early_y.max() < late_x.min()
    if spacing:
        (_, train_y), (val_x, _), _ = temporal_split(
            pair, val=0.2, test=0.2, gap=spacing - 1
        )
        assert train_y.max() >= val_x.min()


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(val=0.5, test=0.5), "`val` + `test` must be < 1"),
        (dict(val=-0.1), "`val` must be a fraction in [0, 1), got -0.1"),
        (dict(test=1.0), "`test` must be a fraction in [0, 1), got 1.0"),
        (dict(val="0.1"), "`val` must be a fraction"),
        (dict(gap=-1), "`gap` must be a non-negative integer, got -1"),
        (dict(gap=40), "leave no training rows"),
        (dict(val=0.01), "`val`=0.01 of 20 rows is 0 rows"),
    ],
)
def test_temporal_split_errors(kwargs, fragment):
    with pytest.raises(ValueError) as info:
        temporal_split(np.zeros(20), **kwargs)
    assert str(info.value).startswith("temporal_split: ")
    assert fragment in str(info.value)


def test_temporal_split_of_unequal_arrays():
    with pytest.raises(ValueError, match="differ in length: \\[5, 4\\]"):
        temporal_split((np.zeros(5), np.zeros(4)))


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(window=0), "split_gap: `window` must be a positive integer"),
        (dict(window=3, gap=-2), "split_gap: `gap` must be a non-negative"),
    ],
)
def test_split_gap_errors(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment.replace("`", ".")):
        split_gap(**kwargs)


# -- scaling -------------------------------------------------------------------


def _train_test(seed=0):
    rng = np.random.default_rng(seed)
    data = rng.normal([5.0, -3.0, 100.0], [2.0, 0.5, 10.0], (300, 3))
    return temporal_split(data, val=0, test=0.3)[::2]


def test_standard_scaler_uses_the_training_split_only():
    train, test = _train_test()
    scaler = Scaler().fit(train)
    np.testing.assert_allclose(scaler.center, train.mean(axis=0))
    np.testing.assert_allclose(scaler.scale, train.std(axis=0))
    scaled = scaler.transform(train)
    np.testing.assert_allclose(scaled.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(scaled.std(axis=0), 1.0)
    assert not np.allclose(scaler.transform(test).mean(axis=0), 0.0)


@pytest.mark.parametrize("feature_range", [(0.0, 1.0), (-1.0, 1.0)])
def test_min_max_scaler(feature_range):
    train, _ = _train_test()
    scaled = Scaler("minmax", feature_range).fit_transform(train)
    np.testing.assert_allclose(scaled.min(axis=0), feature_range[0])
    np.testing.assert_allclose(scaled.max(axis=0), feature_range[1])


@pytest.mark.parametrize("kind", ["standard", "minmax"])
def test_inverse_transform_of_windows_and_of_target_predictions(kind):
    train, test = _train_test()
    scaler = Scaler(kind).fit(train)
    x, y = make_windows(scaler.transform(test), 8, horizon=3, targets=2)
    expected_x, expected_y = make_windows(test, 8, horizon=3, targets=2)
    np.testing.assert_allclose(scaler.inverse_transform(x), expected_x)
    np.testing.assert_allclose(
        scaler.inverse_transform(y, columns=2), expected_y
    )
    both = scaler.inverse_transform(
        scaler.transform(test[:, 1:], [1, 2]), [1, 2]
    )
    np.testing.assert_allclose(both, test[:, 1:])


def test_scaler_constant_column_dtypes_and_one_d_series():
    data = np.array([[1.0, 7.0], [3.0, 7.0]], dtype=np.float32)
    standard = Scaler().fit(data)
    assert standard.transform(data).dtype == np.float32
    assert standard.transform(data)[:, 1].tolist() == [0.0, 0.0]
    assert Scaler("minmax", (2, 3)).fit_transform(data)[:, 1].tolist() == [
        2.0,
        2.0,
    ]
    ints = Scaler("minmax").fit_transform(np.array([0, 5, 10]))
    assert ints.dtype == np.float64 and ints.tolist() == [0.0, 0.5, 1.0]


def test_scaler_config_round_trip():
    train, test = _train_test()
    scaler = Scaler("minmax", (-1, 1)).fit(train)
    config = json.loads(json.dumps(scaler.get_config()))
    again = Scaler.from_config(config)
    np.testing.assert_allclose(again.transform(test), scaler.transform(test))
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(scaler)
    )
    assert isinstance(restored, Scaler) and restored.kind == "minmax"
    np.testing.assert_allclose(restored.transform(test), scaler.transform(test))
    assert not Scaler.from_config(Scaler().get_config()).fitted


@pytest.mark.parametrize(
    "make, fragment",
    [
        (lambda: Scaler("robust"), "Scaler: unknown kind 'robust'"),
        (lambda: Scaler(feature_range=(1, 1)), "`feature_range` must be"),
        (lambda: Scaler(center=[0.0]), "both `center` and `scale`"),
        (lambda: Scaler(center=[0.0], scale=[0.0]), "positive scales"),
        (
            lambda: Scaler().fit(np.zeros((4, 3))).transform(np.zeros(2), [0]),
            "`columns` names 1 column(s), the data's last axis has shape (2,)",
        ),
        (lambda: Scaler().transform(np.zeros(3)), "not fitted; call fit"),
        (
            lambda: Scaler().fit(np.zeros((4, 3))).transform(np.zeros((4, 2))),
            "expected 3 column(s) on the last axis, got shape (4, 2)",
        ),
        (lambda: Scaler().fit(np.array([1.0, np.nan])), "NaN or infinite"),
        (lambda: Scaler().fit(np.array(["a"])), "numeric array"),
        (
            lambda: Scaler().fit(np.zeros((4, 3))).transform(np.zeros(2), 3),
            "column 3 is out of range",
        ),
    ],
)
def test_scaler_errors(make, fragment):
    with pytest.raises(ValueError) as info:
        make()
    assert fragment in str(info.value)


# -- streamed batches ----------------------------------------------------------


def _batches(dataset):
    return [dataset[i] for i in range(len(dataset))]


def test_windowed_series_batches_and_last_partial_batch():
    data = _series(1000, 3)
    dataset = WindowedSeries(data, 30, horizon=5, targets=0, batch_size=64)
    assert dataset.num_windows == 966 and len(dataset) == 16
    batches = _batches(dataset)
    assert all(x.shape == (64, 30, 3) for x, _ in batches[:-1])
    assert batches[-1][0].shape == (6, 30, 3)
    assert batches[-1][1].shape == (6, 5)
    x, y = make_windows(data, 30, horizon=5, targets=0)
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y)
    np.testing.assert_array_equal(dataset[-1][0], batches[-1][0])


def test_windowed_series_drop_remainder():
    dataset = WindowedSeries(
        _series(1000, 3), 30, 5, targets=0, batch_size=64, drop_remainder=True
    )
    assert len(dataset) == 15
    assert dataset[14][0].shape == (64, 30, 3)
    with pytest.raises(IndexError, match="batch 15 out of range"):
        dataset[15]


def _starts(dataset):
    """The first row of each window, in the order served (1-D row data)."""
    return np.concatenate([x[:, 0, 0] for x, _ in _batches(dataset)])


def test_windowed_series_shuffles_every_window_once_per_epoch():
    kwargs = dict(window=7, horizon=2, batch_size=16, shuffle=True, seed=3)
    dataset = WindowedSeries(_series(300), **kwargs)
    first = _starts(dataset)
    assert sorted(first.tolist()) == list(range(dataset.num_windows))
    assert first.tolist() != sorted(first.tolist())
    again = WindowedSeries(_series(300), **kwargs)
    np.testing.assert_array_equal(_starts(again), first)
    dataset.on_epoch_end()
    second = _starts(dataset)
    assert sorted(second.tolist()) == sorted(first.tolist())
    assert second.tolist() != first.tolist()
    again.on_epoch_end()
    np.testing.assert_array_equal(_starts(again), second)
    x, y = dataset[0]
    np.testing.assert_array_equal(y[:, 0], x[:, -1, 0] + 1)
    other = WindowedSeries(_series(300), **{**kwargs, "seed": 4})
    assert _starts(other).tolist() != first.tolist()
    assert len(_starts(WindowedSeries(_series(300), 7, shuffle=True))) == 293


def test_windowed_series_seq2seq_and_dtype():
    dataset = WindowedSeries(
        _series(100, 2),
        10,
        horizon=4,
        targets=1,
        seq2seq=True,
        batch_size=8,
        dtype="float32",
    )
    x, y = dataset[0]
    assert x.shape == (8, 10, 2) and y.shape == (8, 10, 4)
    assert x.dtype == np.float32 and y.dtype == np.float32
    np.testing.assert_array_equal(y[:, :, 0], x[:, :, 1] + 100)


def test_windowed_series_batches_are_fresh_contiguous_arrays():
    data = _series(200, 3, dtype="float32")
    for shuffle in (False, True):
        dataset = WindowedSeries(data, 1, targets=[0, 1, 2], shuffle=shuffle)
        for batch in dataset[0]:
            assert batch.flags.c_contiguous and batch.flags.writeable
            assert not np.shares_memory(batch, data)


def test_windowed_series_builds_no_window_array():
    data = np.random.default_rng(0).random((300_000, 9), dtype=np.float32)
    tracemalloc.start()
    try:
        dataset = WindowedSeries(data, 90, batch_size=32, targets=0)
        x, _ = dataset[len(dataset) // 2]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert x.nbytes == 32 * 90 * 9 * 4
    assert peak < 4 * x.nbytes, peak  # the windows would be 972 MB


def test_windowed_series_pickles_the_series_not_the_windows():
    data = _series(5000, 3)
    dataset = WindowedSeries(data, 100, batch_size=64, shuffle=True, seed=5)
    dataset.on_epoch_end()
    payload = pickle.dumps(dataset)
    assert len(payload) < data.nbytes + 100_000  # windows: 100x the series
    again = pickle.loads(payload)
    assert again.epoch == 1 and len(again) == len(dataset)
    for mine, theirs in zip(dataset[3], again[3]):
        np.testing.assert_array_equal(mine, theirs)
    assert not again.x.flags.writeable and again.x.shape == dataset.x.shape


@pytest.mark.parametrize(
    "kwargs, error, fragment",
    [
        (dict(batch_size=0), ValueError, "WindowedSeries: `batch_size`"),
        (dict(window=50), ValueError, "WindowedSeries: `window` 50 is longer"),
        (dict(seed=-1), ValueError, "WindowedSeries: `seed` must be a non-neg"),
        (
            dict(batch_size=64, drop_remainder=True),
            ValueError,
            "WindowedSeries: 37 windows make no full batch of 64",
        ),
    ],
)
def test_windowed_series_errors(kwargs, error, fragment):
    kwargs = {"window": 3, **kwargs}
    with pytest.raises(error) as info:
        WindowedSeries(np.zeros(40), **kwargs)
    assert fragment in str(info.value)


def test_windowed_series_index_must_be_an_integer():
    with pytest.raises(TypeError, match="must be an integer, got 'a'"):
        WindowedSeries(np.zeros(40), 3)["a"]
