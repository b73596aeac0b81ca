"""The textbook's series: the sum-of-two-sines generator of Géron's
*Hands-On Machine Learning* (chapter 15, `generate_time_series`)."""

import numbers

import numpy as np

from keras_seqlab.utils.validation import check_units


def synthetic_series(n_series, n_steps, seed=42):
    """Noisy sums of two sine waves (Géron, *Hands-On ML*, chapter 15).

    Each series is, with freq1, freq2, offsets1, offsets2 uniform in
    [0, 1) per series and time = linspace(0, 1, n_steps):

        0.5 sin((time - offsets1) (10 freq1 + 10))
        + 0.2 sin((time - offsets2) (20 freq2 + 20))
        + 0.1 (noise - 0.5),  noise uniform in [0, 1)

    Args:
        n_series: positive integer, the number of series (the batch).
        n_steps: positive integer, the length of each series.
        seed: integer seed or a `numpy.random.Generator`; the same seed
            gives the same series.

    Returns:
        float32 array of shape `(n_series, n_steps, 1)`.

    Example:

    >>> series = synthetic_series(1000, 51, seed=42)
    >>> series.shape, series.dtype
    ((1000, 51, 1), dtype('float32'))
    >>> x, y = series[:, :50], series[:, -1]  # next-value forecasting
    """
    n_series = check_units("synthetic_series", n_series, "n_series")
    n_steps = check_units("synthetic_series", n_steps, "n_steps")
    rng = _generator(seed)
    freq1, freq2, offsets1, offsets2 = rng.random((4, n_series, 1))
    time = np.linspace(0, 1, n_steps)
    series = 0.5 * np.sin((time - offsets1) * (freq1 * 10 + 10))
    series += 0.2 * np.sin((time - offsets2) * (freq2 * 20 + 20))
    series += 0.1 * (rng.random((n_series, n_steps)) - 0.5)
    return series[..., np.newaxis].astype(np.float32)


def _generator(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    if (
        isinstance(seed, bool)
        or not isinstance(seed, numbers.Integral)
        or seed < 0
    ):
        raise ValueError(
            "synthetic_series: `seed` must be a non-negative integer or a "
            f"numpy.random.Generator, got {seed!r}."
        )
    return np.random.default_rng(int(seed))
