"""`forecast(model, data, steps)`: the next values of a series.

The forecaster's last window of `data` gives the next `horizon` values in
original units; beyond the horizon the forecasts are fed back as the
target column (a model whose only input is the target), or the future
values of the other inputs come from `future`.
"""

import numpy as np

from keras_seqlab.data.series import pandas_kind
from keras_seqlab.data.series import select
from keras_seqlab.forecasting.forecaster import forecaster_spec
from keras_seqlab.utils.validation import check_units

OWNER = "forecast"


def _table(data, spec, role):
    """`(values (rows, k) in spec column order, dates or None)` of `data`."""
    return select(
        f"{OWNER} ({role})", data, spec["columns"], spec["date_column"]
    )


def _next(model, spec, window):
    """The next `horizon` forecasts from one window: (H,) or (H, Q)."""
    y = np.asarray(model.predict(window[None], verbose=0))[0]
    if spec["head"] == "seq_to_seq":
        y = y[-1]
    if spec["quantiles"] is None:
        return y.reshape(spec["horizon"])
    return y.reshape(spec["horizon"], len(spec["quantiles"]))


def _point(forecasts, spec):
    """The value fed back: the point forecast, or the median quantile."""
    if spec["quantiles"] is None:
        return forecasts
    quantiles = np.asarray(spec["quantiles"])
    return forecasts[:, int(np.argmin(np.abs(quantiles - 0.5)))]


def future_dates(dates, steps, freq=None):
    """The `steps` dates after `dates`, a constant step apart, or None."""
    if dates is None or len(dates) < 2:
        return None
    if freq is None:
        steps_seen = np.diff(dates[-min(len(dates), 8) :]).astype(int)
        if len(set(steps_seen.tolist())) != 1:
            return None
        freq = int(steps_seen[0])
    step = np.timedelta64(int(round(freq)), "D")
    return dates[-1] + step * np.arange(1, steps + 1)


def forecast(model, data, steps=None, future=None):
    """The next `steps` values of the series `data`, in original units.

    Args:
        model: a forecaster (`keras_seqlab.forecaster`, or a `.keras` file
            of one loaded with `load_forecaster`).
        data: the series so far: a `SeriesData`, a pandas DataFrame with
            the model's columns, or an array `(rows, columns)` in the
            model's column order; at least `window` rows.
        steps: how many steps to forecast (default: the model's horizon).
            Beyond the horizon the forecasts are fed back as the target,
            which needs the target to be the model's only input, or
            `future` values of the other inputs.
        future: the input rows after `data` (same form as `data`), at
            least `steps - horizon` of them, when the model has inputs
            other than the target; their target column is ignored.

    Returns:
        `(steps,)` forecasts, or `(steps, Q)` for a quantile model; a
        pandas DataFrame (indexed by date when the series has dates) when
        `data` was one.
    """
    spec = forecaster_spec(model)
    horizon, window = spec["horizon"], spec["window"]
    if steps is None:
        steps = horizon
    steps = check_units(OWNER, steps, "steps")
    values, dates = _table(data, spec, "data")
    if len(values) < window:
        raise ValueError(
            f"{OWNER}: the model needs a window of {window} rows, the series "
            f"has {len(values)}."
        )
    if not np.isfinite(values[-window:]).all():
        raise ValueError(
            f"{OWNER}: the last {window} rows hold NaN or infinite values."
        )
    target = spec["columns"].index(spec["target"])
    others = [c for c in spec["columns"] if c != spec["target"]]
    rows = None
    if steps > horizon and others:
        if future is None:
            raise ValueError(
                f"{OWNER}: {steps} steps go beyond the model's horizon "
                f"({horizon}); feeding forecasts back needs the future "
                f"values of the other input column(s) {others}: pass them "
                "as `future`."
            )
        rows, _ = _table(future, spec, "future")
        if len(rows) < steps - horizon:
            raise ValueError(
                f"{OWNER}: `future` has {len(rows)} row(s); {steps} steps "
                f"with horizon {horizon} need {steps - horizon}."
            )
    history = values[-window:].astype("float32")
    parts, done = [], 0
    while done < steps:
        step = _next(model, spec, history)
        parts.append(step)
        done += horizon
        if done >= steps:
            break
        new = np.zeros((horizon, history.shape[1]), "float32")
        if rows is not None:
            new[:] = rows[done - horizon : done]
        new[:, target] = _point(step, spec)
        history = np.concatenate([history, new])[-window:]
    result = np.concatenate(parts)[:steps]
    if pandas_kind(data) == "DataFrame":
        return _frame(result, spec, future_dates(dates, steps, spec["freq"]))
    return result


def _frame(result, spec, dates):
    import pandas as pd

    if spec["quantiles"] is None:
        names = [spec["target"]]
        result = result[:, None]
    else:
        names = [f"{spec['target']}_q{q:g}" for q in spec["quantiles"]]
    index = None
    if dates is not None:
        index = pd.DatetimeIndex(dates, name=spec["date_column"] or "date")
    return pd.DataFrame(result, columns=names, index=index)
