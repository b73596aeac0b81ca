"""Is a model better than a baseline by more than noise?

`skill(error, baseline_error)`: 100 (1 - error / baseline_error), the
percentage by which a score is below the baseline's (negative: worse).

`origin_losses(truth, forecasts)`: the squared error of each forecast
origin, the losses the test compares.

`diebold_mariano(loss, baseline_loss, horizon)`: the Diebold–Mariano
(1995) test of equal expected loss, with the small-sample correction of
Harvey, Leybourne & Newbold (1997), as R's `forecast::dm.test` computes
it. For the loss differential d_t = loss_t - baseline_loss_t of n
forecast origins,

    d̄ = mean d_t,   γ_k = (1/n) Σ_{t>k} (d_t - d̄)(d_{t-k} - d̄),
    DM = d̄ / sqrt((γ_0 + 2 Σ_{k=1}^{h-1} γ_k) / n),
    DM* = DM · sqrt((n + 1 - 2h + h(h - 1)/n) / n),

and the two-sided p-value of DM* under Student's t with n - 1 degrees of
freedom. The autocovariances up to lag h - 1 account for the overlap of
h-step forecasts from consecutive origins; where their sum makes the
variance negative (small samples), the test proceeds with h = 1, as R's
does. Needs scipy (which the
baselines' extra brings) for the t distribution.
"""

import math

import numpy as np

from keras_seqlab.utils.validation import check_int


def skill(error, baseline_error):
    """`100 (1 - error / baseline_error)`; NaN if either is not a positive
    finite number."""
    if not (
        math.isfinite(error)
        and math.isfinite(baseline_error)
        and baseline_error > 0
    ):
        return math.nan
    return 100.0 * (1.0 - error / baseline_error)


def diebold_mariano(loss, baseline_loss, horizon=1):
    """`(statistic, p_value)` of the test that `loss` and `baseline_loss`
    (per forecast origin, in time order) have the same mean; see the
    module. Negative statistics: `loss` is the smaller. NaN for fewer
    than two origins, and when the differences do not vary (then they are
    all one value: no evidence either way, or identical forecasts).

    Raises:
        ValueError: for losses of different shapes or not 1-D, or a
            horizon that is not a positive integer.
    """
    a = np.asarray(loss, dtype="float64")
    b = np.asarray(baseline_loss, dtype="float64")
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(
            "diebold_mariano: expected two 1-D losses of one length, got "
            f"shapes {a.shape} and {b.shape}."
        )
    horizon = check_int("diebold_mariano", "horizon", horizon)
    d = a - b
    n = d.size
    if n < 2 or not np.all(np.isfinite(d)):
        return math.nan, math.nan
    centred = d - d.mean()
    gammas = [
        float(np.dot(centred[k:], centred[: n - k])) / n
        for k in range(min(horizon, n))
    ]
    variance = (gammas[0] + 2.0 * sum(gammas[1:])) / n
    if not variance > 0 and horizon > 1:
        # The autocovariance sum can be negative in small samples; R's
        # dm.test then proceeds with h = 1, and so does this.
        return diebold_mariano(a, b, 1)
    if not variance > 0:
        return math.nan, math.nan
    statistic = float(d.mean()) / math.sqrt(variance)
    correction = (n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n
    if correction <= 0:
        return math.nan, math.nan
    statistic *= math.sqrt(correction)
    from scipy import stats

    return statistic, float(2.0 * stats.t.sf(abs(statistic), n - 1))


def origin_losses(truth, forecasts, positions=None):
    """The squared error of each forecast origin (the mean over its
    steps); with `positions` (the origin's place among its series' test
    origins), the mean over the series at each place, in place order."""
    error = np.asarray(truth, "float64") - np.asarray(forecasts, "float64")
    loss = np.mean(error.reshape(len(error), -1) ** 2, axis=1)
    if positions is None:
        return loss
    index = np.unique(positions, return_inverse=True)[1]
    return np.bincount(index, loss) / np.bincount(index)


def format_p(value):
    """A p-value as tables print it: `<0.001`, `0.042`, or `-` (None, NaN)."""
    if value is None or math.isnan(value):
        return "-"
    return "<0.001" if value < 0.001 else f"{value:.3f}"
