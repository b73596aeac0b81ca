"""The textbook's series: the sum-of-two-sines generator of Géron's
*Hands-On Machine Learning* (2nd ed., chapter 15, `generate_time_series`).

By default (`legacy_seed=True`) an integer seed gives the book's own
arrays, bit for bit: the book calls `np.random.seed(42)` and then
`np.random.rand`, and `numpy.random.RandomState(42).rand` draws the same
stream without touching numpy's global state.
"""

import numbers

import numpy as np

from keras_seqlab.utils.validation import check_units

_OWNER = "synthetic_series"


def synthetic_series(n_series, n_steps, seed=42, legacy_seed=True):
    """Noisy sums of two sine waves (Géron, *Hands-On ML*, chapter 15).

    Each series is, with freq1, freq2, offsets1, offsets2 uniform in
    [0, 1) per series and time = linspace(0, 1, n_steps):

        0.5 sin((time - offsets1) (10 freq1 + 10))
        + 0.2 sin((time - offsets2) (20 freq2 + 20))
        + 0.1 (noise - 0.5),  noise uniform in [0, 1)

    drawn in the book's order: first the `(4, n_series, 1)` array
    `freq1, freq2, offsets1, offsets2`, then the `(n_series, n_steps)`
    noise.

    With the default `legacy_seed=True`, an integer seed draws from
    `numpy.random.RandomState(seed)` (`rand`): the stream of
    `np.random.seed(seed); np.random.rand(...)`, so
    `synthetic_series(10000, 51, seed=42)` is the book's `series` (its
    naive forecast, `y_pred = X_valid[:, -1]`, has validation MSE
    0.020211). numpy's global random state is neither read nor changed.
    With `legacy_seed=False`, an integer seed draws from
    `numpy.random.default_rng(seed)` (`random`), the modern stream
    (other numbers than the book's for the same seed).

    Args:
        n_series: positive integer, the number of series (the batch).
        n_steps: positive integer, the length of each series.
        seed: a non-negative integer (below 2**32 with `legacy_seed`), a
            `numpy.random.RandomState` (its `rand`: the legacy stream) or
            a `numpy.random.Generator` (its `random`: the modern stream).
            A RandomState or Generator is used as it is, whatever
            `legacy_seed` says, and advances; the same integer seed
            always gives the same series.
        legacy_seed: bool; how an integer `seed` becomes a stream:
            `RandomState(seed)` (True, the book's arrays) or
            `default_rng(seed)` (False).

    Returns:
        float32 array of shape `(n_series, n_steps, 1)`.

    Raises:
        ValueError: naming `synthetic_series`, for a non-positive
            `n_series` or `n_steps`, or a negative, non-integer or (with
            `legacy_seed`) too large seed.
        TypeError: naming `synthetic_series`, for a `legacy_seed` that is
            not a bool.

    Example:

    >>> series = synthetic_series(1000, 51, seed=42)
    >>> series.shape, series.dtype
    ((1000, 51, 1), dtype('float32'))
    >>> x, y = series[:, :50], series[:, -1]  # next-value forecasting
    """
    n_series = check_units(_OWNER, n_series, "n_series")
    n_steps = check_units(_OWNER, n_steps, "n_steps")
    draw = _uniform(seed, _check_legacy(legacy_seed))
    freq1, freq2, offsets1, offsets2 = draw((4, n_series, 1))
    time = np.linspace(0, 1, n_steps)
    series = 0.5 * np.sin((time - offsets1) * (freq1 * 10 + 10))
    series += 0.2 * np.sin((time - offsets2) * (freq2 * 20 + 20))
    series += 0.1 * (draw((n_series, n_steps)) - 0.5)
    return series[..., np.newaxis].astype(np.float32)


def _check_legacy(legacy_seed):
    if not isinstance(legacy_seed, (bool, np.bool_)):
        raise TypeError(
            f"{_OWNER}: `legacy_seed` must be True (numpy.random."
            "RandomState(seed), the book's arrays) or False (numpy.random."
            f"default_rng(seed)), got {legacy_seed!r}."
        )
    return bool(legacy_seed)


def _uniform(seed, legacy):
    """A function `shape -> uniform [0, 1) float64 array` for `seed`."""
    if isinstance(seed, np.random.RandomState):
        return lambda shape: seed.rand(*shape)
    if isinstance(seed, np.random.Generator):
        return seed.random
    if (
        isinstance(seed, (bool, np.bool_))
        or not isinstance(seed, numbers.Integral)
        or seed < 0
    ):
        raise ValueError(
            f"{_OWNER}: `seed` must be a non-negative integer, a numpy."
            "random.RandomState or a numpy.random.Generator, got "
            f"{seed!r}."
        )
    if legacy:
        if seed >= 2**32:
            raise ValueError(
                f"{_OWNER}: with legacy_seed=True `seed` must be below "
                f"2**32 (numpy.random.RandomState's range), got {seed!r}."
            )
        state = np.random.RandomState(int(seed))
        return lambda shape: state.rand(*shape)
    return np.random.default_rng(int(seed)).random
