"""The teaching material, exactly (issue 14): Géron's series bit for bit,
windows over a batch of independent series, and the Carpentries lesson's
scikit-learn split sizes."""

import importlib.util

import keras
import numpy as np
import pytest

from keras_seqlab.data import make_windows
from keras_seqlab.data import synthetic_series
from keras_seqlab.data import temporal_split

# numpy arrays (the one Keras loss is elementwise arithmetic).
pytestmark = pytest.mark.backend_free

BOOK_NAIVE_MSE = 0.020211367  # printed in the book's notebook (ch. 15)

needs_sklearn = pytest.mark.skipif(
    importlib.util.find_spec("sklearn") is None,
    reason="scikit-learn is not installed (keras-tuner[bayesian] brings it)",
)


# -- synthetic_series: the book's arrays ---------------------------------------


def generate_time_series(batch_size, n_steps):
    """The book's generator, verbatim (numpy's global random state)."""
    freq1, freq2, offsets1, offsets2 = np.random.rand(4, batch_size, 1)
    time = np.linspace(0, 1, n_steps)
    series = 0.5 * np.sin((time - offsets1) * (freq1 * 10 + 10))  #   wave 1
    series += 0.2 * np.sin((time - offsets2) * (freq2 * 20 + 20))  # + wave 2
    series += 0.1 * (np.random.rand(batch_size, n_steps) - 0.5)  # + noise
    return series[..., np.newaxis].astype(np.float32)


@pytest.fixture
def book_series():
    """The book's `series`, drawn after `np.random.seed(42)`; numpy's
    global random state is restored afterwards."""
    saved = np.random.get_state()
    try:
        np.random.seed(42)
        n_steps = 50
        yield generate_time_series(10000, n_steps + 1)
    finally:
        np.random.set_state(saved)


def _naive_valid_mse(series):
    n_steps = 50
    x_valid, y_valid = series[7000:9000, :n_steps], series[7000:9000, -1]
    y_pred = x_valid[:, -1]
    mse = keras.losses.mean_squared_error(y_valid, y_pred)
    return float(np.mean(keras.ops.convert_to_numpy(mse)))


def test_synthetic_series_is_the_books_series_bit_for_bit(book_series):
    ours = synthetic_series(10000, 51, seed=42)
    assert ours.dtype == np.float32 and ours.shape == (10000, 51, 1)
    assert np.array_equal(ours, book_series)
    assert abs(_naive_valid_mse(book_series) - BOOK_NAIVE_MSE) < 1e-6
    assert abs(_naive_valid_mse(ours) - BOOK_NAIVE_MSE) < 1e-6
    # The book's splits, from our series.
    x_train, y_train = ours[:7000, :50], ours[:7000, -1]
    np.testing.assert_array_equal(x_train, book_series[:7000, :50])
    np.testing.assert_array_equal(y_train, book_series[:7000, -1])


def test_the_modern_stream_is_kept_and_is_not_the_books(book_series):
    modern = synthetic_series(10000, 51, seed=42, legacy_seed=False)
    assert not np.allclose(modern, book_series)
    assert abs(_naive_valid_mse(modern) - 0.019643428) < 1e-6
    rng = np.random.default_rng(42)
    freq1, freq2, offsets1, offsets2 = rng.random((4, 3, 1))
    time = np.linspace(0, 1, 5)
    expected = 0.5 * np.sin((time - offsets1) * (freq1 * 10 + 10))
    expected += 0.2 * np.sin((time - offsets2) * (freq2 * 20 + 20))
    expected += 0.1 * (rng.random((3, 5)) - 0.5)
    np.testing.assert_array_equal(
        synthetic_series(3, 5, seed=42, legacy_seed=False)[..., 0],
        expected.astype(np.float32),
    )


def test_synthetic_series_leaves_numpys_global_state_alone():
    saved = np.random.get_state()
    try:
        np.random.seed(123)
        synthetic_series(50, 20, seed=42)
        synthetic_series(50, 20, seed=7, legacy_seed=False)
        after = np.random.rand(3)
        np.testing.assert_array_equal(after, np.random.RandomState(123).rand(3))
        # ... and does not read it either: the same seed, the same series.
        np.random.seed(5)
        first = synthetic_series(4, 10)
        np.random.seed(6)
        np.testing.assert_array_equal(first, synthetic_series(4, 10))
    finally:
        np.random.set_state(saved)


def test_synthetic_series_takes_a_random_state_or_a_generator():
    state = np.random.RandomState(42)
    np.testing.assert_array_equal(
        synthetic_series(20, 30, seed=state),
        synthetic_series(20, 30, seed=42),
    )
    # The RandomState advances: the next call continues its stream.
    following = synthetic_series(20, 30, seed=state)
    assert not np.array_equal(following, synthetic_series(20, 30, seed=42))
    both = np.random.RandomState(42)
    np.testing.assert_array_equal(
        synthetic_series(40, 30, seed=both)[20:],
        synthetic_series(40, 30, seed=42)[20:],
    )
    # A Generator is the modern stream, whatever legacy_seed says.
    for legacy in (True, False):
        np.testing.assert_array_equal(
            synthetic_series(
                6, 9, seed=np.random.default_rng(3), legacy_seed=legacy
            ),
            synthetic_series(6, 9, seed=3, legacy_seed=False),
        )
    # ... and a RandomState the legacy one.
    np.testing.assert_array_equal(
        synthetic_series(
            6, 9, seed=np.random.RandomState(3), legacy_seed=False
        ),
        synthetic_series(6, 9, seed=3),
    )
    np.testing.assert_array_equal(
        synthetic_series(6, 9, seed=np.int64(3)), synthetic_series(6, 9, 3)
    )


@pytest.mark.parametrize(
    "kwargs, error, fragment",
    [
        (dict(seed=2**32), ValueError, "must be below 2**32"),
        (dict(seed=True), ValueError, "`seed` must be a non-negative"),
        (dict(seed=-1), ValueError, "got -1"),
        (dict(seed=1.0), ValueError, "RandomState or a numpy.random.Gen"),
        (dict(seed="42"), ValueError, "got '42'"),
        (dict(legacy_seed=1), TypeError, "`legacy_seed` must be True"),
        (dict(legacy_seed=None), TypeError, "got None"),
    ],
)
def test_synthetic_series_errors(kwargs, error, fragment):
    with pytest.raises(error) as info:
        synthetic_series(4, 10, **kwargs)
    assert str(info.value).startswith("synthetic_series: ")
    assert fragment in str(info.value)


def test_a_large_seed_is_fine_for_the_modern_stream():
    series = synthetic_series(2, 5, seed=2**40, legacy_seed=False)
    assert series.shape == (2, 5, 1)


# -- make_windows over a batch of series ---------------------------------------


def _oracle(data, window, horizon, gap, stride, targets, inputs, seq2seq):
    """Windows of each series, series by series, with Python loops."""
    xs, ys = [], []
    for series in data:
        steps = len(series)
        for s in range(0, steps - window - gap - horizon + 1, stride):
            xs.append(series[s : s + window][:, inputs])
            if seq2seq:
                ys.append(
                    [
                        series[s + t + 1 + gap : s + t + 1 + gap + horizon][
                            :, targets
                        ]
                        for t in range(window)
                    ]
                )
            else:
                first = s + window + gap
                ys.append(series[first : first + horizon][:, targets])
    return np.array(xs), np.array(ys)


CASES = [
    # n, steps, columns, window, horizon, gap, stride, targets, seq2seq
    (3, 12, 1, 4, 1, 0, 1, 0, False),
    (4, 20, 3, 5, 2, 1, 2, [0, 2], False),
    (2, 15, 2, 3, 3, 0, 1, 1, True),
    (5, 17, 4, 6, 2, 2, 3, [1, 2, 3], True),
    (1, 9, 2, 8, 1, 0, 1, None, False),
    (6, 11, 1, 10, 1, 0, 1, 0, False),
]


@pytest.mark.parametrize(
    "n, steps, columns, window, horizon, gap, stride, targets, seq2seq", CASES
)
def test_batch_windows_match_a_numpy_oracle(
    n, steps, columns, window, horizon, gap, stride, targets, seq2seq
):
    data = np.random.default_rng(n * steps).normal(size=(n, steps, columns))
    x, y = make_windows(
        data,
        window,
        horizon,
        gap,
        stride,
        targets=targets,
        seq2seq=seq2seq,
        batch=True,
    )
    picked = list(range(columns)) if targets is None else targets
    picked = [picked] if isinstance(picked, int) else picked
    ex, ey = _oracle(
        data, window, horizon, gap, stride, picked, slice(None), seq2seq
    )
    per_series = (steps - window - gap - horizon) // stride + 1
    assert len(x) == len(y) == n * per_series
    np.testing.assert_array_equal(x, ex)
    # One target column (an int) drops the column axis, as for one series.
    np.testing.assert_array_equal(
        y, ey[..., 0] if isinstance(targets, int) else ey
    )
    # The same as windowing each series on its own, one after the other.
    singles = [
        make_windows(
            s, window, horizon, gap, stride, targets=targets, seq2seq=seq2seq
        )
        for s in data
    ]
    np.testing.assert_array_equal(x, np.concatenate([a for a, _ in singles]))
    np.testing.assert_array_equal(y, np.concatenate([b for _, b in singles]))


def test_batch_windows_never_cross_two_series():
    n, steps = 7, 13
    # Each value tells its series (thousands) and its step (units).
    data = 1000.0 * np.arange(n)[:, None] + np.arange(steps)[None, :]
    for stride in (1, 2, 5):
        x, y = make_windows(data, 4, horizon=3, stride=stride, batch=True)
        series_of_x = x[..., 0] // 1000
        series_of_y = y // 1000
        assert (series_of_x == series_of_x[:, :1]).all()
        assert (series_of_y == series_of_x[:, :1]).all()
        # Series by series: window k of series s at s * W + k.
        per_series = (steps - 4 - 3) // stride + 1
        np.testing.assert_array_equal(
            series_of_x[:, 0], np.repeat(np.arange(n), per_series)
        )
        np.testing.assert_array_equal(
            x[:per_series, 0, 0] % 1000, stride * np.arange(per_series)
        )


def test_batch_of_2d_series_is_like_1d_data():
    data = np.arange(40.0).reshape(4, 10)
    x, y = make_windows(data, 3, horizon=2, batch=True)
    x3, y3 = make_windows(data[..., None], 3, horizon=2, targets=0, batch=True)
    assert x.shape == (4 * 6, 3, 1) and y.shape == (4 * 6, 2)
    np.testing.assert_array_equal(x, x3)
    np.testing.assert_array_equal(y, y3)


def test_the_books_windows_from_a_batch_are_views(book_series):
    # One window per series: the book's X_train, y_train, no copy.
    x, y = make_windows(book_series, 50, batch=True)
    assert x.shape == (10000, 50, 1) and y.shape == (10000, 1, 1)
    np.testing.assert_array_equal(x, book_series[:, :50])
    np.testing.assert_array_equal(y[:, 0], book_series[:, -1])
    assert np.shares_memory(x, book_series) and not x.flags.writeable
    x, y = make_windows(book_series[..., 0], 41, horizon=10, batch=True)
    np.testing.assert_array_equal(y[:, :, None], book_series[:, 41:])
    assert np.shares_memory(y, book_series)


@pytest.mark.parametrize(
    "data, kwargs, error, fragment",
    [
        (np.zeros((2, 9, 3)), {}, ValueError, "pass batch=True"),
        (np.zeros(9), dict(batch=True), ValueError, "with batch=True"),
        (np.zeros((2, 9, 3, 1)), dict(batch=True), ValueError, "got shape"),
        (np.zeros((0, 9)), dict(batch=True), ValueError, "is empty"),
        (np.zeros((2, 9)), dict(batch=1), TypeError, "`batch` must be True"),
        (np.zeros((2, 3)), dict(batch=True), ValueError, "longer than"),
    ],
)
def test_batch_window_errors(data, kwargs, error, fragment):
    with pytest.raises(error) as info:
        make_windows(data, 4, **kwargs)
    assert str(info.value).startswith("make_windows: ")
    assert fragment in str(info.value)


def test_batch_nan_is_located_by_series_row_and_column():
    data = np.zeros((3, 8, 2))
    data[2, 5, 1] = np.nan
    with pytest.raises(ValueError, match="NaN at series 2, row 5, column 1"):
        make_windows(data, 3, batch=True)
    with pytest.raises(ValueError, match="NaN at series 2, row 5, column 1"):
        make_windows(data, 3, targets=1, inputs=0, batch=True)


# -- temporal_split: counts and scikit-learn's rounding ------------------------


def _sizes(parts):
    return [len(part) for part in parts]


def test_the_lessons_sizes():
    rows = np.arange(3624)
    assert _sizes(temporal_split(rows, 0.1, 0.1)) == [2900, 362, 362]
    train, val, test = temporal_split(rows, 0.1, 0.1, rounding="sklearn")
    assert _sizes((train, val, test)) == [2899, 362, 363]
    np.testing.assert_array_equal(
        np.concatenate([train, val, test]), rows
    )  # contiguous, in time order
    # The lesson's 3 years (1096 rows), test_size=0.3 then 0.5, prints
    # X_train (767, 89), X_test (165, 89), X_val (164, 89).
    lesson = temporal_split(np.arange(1096), 0.15, 0.15, rounding="sklearn")
    assert _sizes(lesson) == [767, 164, 165]


@needs_sklearn
@pytest.mark.parametrize("n", [7, 10, 99, 100, 1096, 3624, 3653])
@pytest.mark.parametrize(
    "val, test, holdout, share",
    [
        (0.1, 0.1, 0.2, 0.5),
        (0.15, 0.15, 0.3, 0.5),
        (0.2, 0.1, 0.3, 1 / 3),
        (0.1, 0.2, 0.3, 2 / 3),
        (0.05, 0.15, 0.2, 0.75),
        (0.25, 0.25, 0.5, 0.5),
    ],
)
def test_sklearn_rounding_is_train_test_split_twice(
    n, val, test, holdout, share
):
    from sklearn.model_selection import train_test_split

    rows = np.arange(n)
    # The lesson: hold out val + test, then split the hold-out in two.
    train, rest = train_test_split(rows, test_size=holdout, shuffle=False)
    try:
        parts = train_test_split(rest, test_size=share, shuffle=False)
    except ValueError:  # an empty validation split: refused by both
        with pytest.raises(ValueError, match="of .* rows is 0 rows"):
            temporal_split(rows, val=val, test=test, rounding="sklearn")
        return
    expected = (train, *parts)
    ours = temporal_split(rows, val=val, test=test, rounding="sklearn")
    for part, reference in zip(ours, expected):
        np.testing.assert_array_equal(part, reference)


@needs_sklearn
def test_sklearn_rounding_with_a_count():
    from sklearn.model_selection import train_test_split

    rows = np.arange(3624)
    # A count is exact; a fraction is ceil(fraction * n), as one call.
    rest, test = train_test_split(rows, test_size=0.1, shuffle=False)
    train, val = train_test_split(rest, test_size=300, shuffle=False)
    ours = temporal_split(rows, val=300, test=0.1, rounding="sklearn")
    for part, reference in zip(ours, (train, val, test)):
        np.testing.assert_array_equal(part, reference)


def test_counts_and_fractions():
    rows = np.arange(100)
    assert _sizes(temporal_split(rows, val=15, test=10)) == [75, 15, 10]
    assert _sizes(temporal_split(rows, val=15, test=0.1)) == [75, 15, 10]
    assert _sizes(temporal_split(rows, val=0, test=np.int64(7))) == [93, 0, 7]
    train, val, test = temporal_split(rows, val=10, test=5, gap=3)
    assert _sizes((train, val, test)) == [79, 10, 5]
    assert val[0] == 82 and test[0] == 95
    # A count of 1 is one row, not a fraction of 100%.
    assert _sizes(temporal_split(np.arange(10), val=1, test=1)) == [8, 1, 1]
    # Counts that add up past the fraction limit are fine while rows remain.
    assert _sizes(temporal_split(rows, val=60, test=39)) == [1, 60, 39]
    for rounding in ("nearest", "sklearn"):
        parts = temporal_split(rows, val=20, test=30, rounding=rounding)
        assert _sizes(parts) == [50, 20, 30]


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(val=True), "`val` must be a fraction in [0, 1), got True"),
        (dict(test=False), "`test` must be a fraction in [0, 1), got False"),
        (dict(val=-3), "`val` must be a count of rows (an integer >= 0)"),
        (dict(test=1.0), "`test` must be a fraction in [0, 1), got 1.0"),
        (dict(test=2.5), "got 2.5"),
        (dict(val=60, test=40), "leave no training rows (val 60, test 40"),
        (dict(val=50, test=0.5), "leave no training rows"),
        (dict(rounding="floor"), "unknown rounding 'floor'"),
        (dict(rounding="sklearn", val=0.001), "`val`=0.001 of 100 rows"),
    ],
)
def test_split_size_errors(kwargs, fragment):
    with pytest.raises(ValueError) as info:
        temporal_split(np.arange(100), **kwargs)
    assert str(info.value).startswith("temporal_split: ")
    assert fragment in str(info.value)
