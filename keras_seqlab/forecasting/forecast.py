"""`forecast(model, data, steps)`: the next values of a series.

The forecaster's last window of `data` gives the next `horizon` values in
original units; beyond the horizon the forecasts are fed back as the
target column (a model whose only input is the target), or the future
values of the other inputs come from `future`.
"""

import numpy as np
from keras import ops

from keras_seqlab.data.series import pandas_kind
from keras_seqlab.data.series import select
from keras_seqlab.forecasting.forecaster import forecaster_spec
from keras_seqlab.forecasting.panel_forecast import forecast_panel
from keras_seqlab.layers.heads.quantiles import point_forecast
from keras_seqlab.models.autoregressive import feed_back
from keras_seqlab.streaming import stream
from keras_seqlab.utils.validation import check_choice
from keras_seqlab.utils.validation import check_units

OWNER = "forecast"
METHODS = ("auto", "stream", "window")


def _table(data, spec, role):
    """`(values (rows, k) in spec column order, dates or None)` of `data`."""
    return select(
        f"{OWNER} ({role})", data, spec["columns"], spec["date_column"]
    )


def _shaped(y, spec):
    """One step's forecasts as (H,) or (H, Q)."""
    if spec["quantiles"] is None:
        return y.reshape(spec["horizon"])
    return y.reshape(spec["horizon"], len(spec["quantiles"]))


class _Source:
    """What both methods share (the `source` of `feed_back`): a forecast's
    point values, and the rows fed back, zeros or the `future` rows."""

    def __init__(self, spec, history, future):
        self.spec, self.future = spec, future
        self.features = history.shape[1]

    def next(self):
        values = self.forecast()
        return values, point_forecast(values, self.spec["quantiles"])

    def rows(self, start):
        horizon = self.spec["horizon"]
        new = np.zeros((horizon, self.features), "float32")
        if self.future is not None:
            new[:] = self.future[start : start + horizon]
        return new


class _Window(_Source):
    """Each forecast from the last `window` rows, the model run on them."""

    def __init__(self, model, spec, history, future):
        super().__init__(spec, history, future)
        self.model, self.history = model, history

    def forecast(self):
        y = np.asarray(self.model.predict(self.history[None], verbose=0))[0]
        if self.spec["head"] == "seq_to_seq":
            y = y[-1]
        return _shaped(y, self.spec)

    def add(self, rows):
        window = self.spec["window"]
        self.history = np.concatenate([self.history, rows])[-window:]


class _Stream(_Source):
    """Each forecast one step on from the last (`keras_seqlab.stream`):
    the state carries on from the first window, so the model sees that
    window and every row fed back since, at one step's cost a row."""

    def __init__(self, stepper, spec, history, future):
        super().__init__(spec, history, future)
        self.stepper = stepper
        self.state = stepper.initial_state(1)
        self.add(history)

    def forecast(self):
        return _shaped(np.asarray(self.last)[0], self.spec)

    def add(self, rows):
        outputs, self.state = self.stepper.run(rows[None], state=self.state)
        self.last = ops.convert_to_numpy(outputs[:, -1])


def _method(model, spec, method, steps):
    """The stepper of `model` for method "stream" (or "auto" when the model
    steps), else None."""
    check_choice(OWNER, "method", method, METHODS)
    if method == "window" or steps <= spec["horizon"]:
        return None
    try:
        # A cache as long as the forecast never drops a step, and its
        # fixed shape lets the step compile once.
        return stream(model, max_length=spec["window"] + steps)
    except ValueError as error:
        if method == "stream":
            raise ValueError(
                f"{OWNER}: method='stream' needs a causal model: {error}"
            ) from None
        return None


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


def forecast(model, data, steps=None, future=None, method="auto"):
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
        method: how forecasts beyond the horizon are made. `"stream"`:
            the model steps on from the first window
            (`keras_seqlab.stream`), each fed-back row costing one step;
            the model sees the first window and every row since (for a
            WaveNet whose receptive field fits the window this is exactly
            `"window"`; a recurrent model keeps its state instead of
            restarting). `"window"`: the model is run on the last `window`
            rows for every forecast. `"auto"` (default): "stream" when
            the model is causal, else "window".
        future: the input rows after `data` (same form as `data`) when
            the model has inputs other than the target: those of the
            steps whose forecasts are fed back, `horizon · (⌈steps /
            horizon⌉ - 1)` of them; their target column is ignored.

    Returns:
        `(steps,)` forecasts, or `(steps, Q)` for a quantile model; a
        pandas DataFrame (indexed by date when the series has dates) when
        `data` was one. A panel model (`fit_panel`) forecasts every series
        of a long table: `forecast_panel`'s long DataFrame.
    """
    spec = forecaster_spec(model)
    if spec.get("panel") is not None:
        if method != "auto":
            raise ValueError(
                f"{OWNER}: method={method!r} applies to a one-series model; "
                "a panel model forecasts a horizon at a time."
            )
        return forecast_panel(model, data, steps=steps, future=future)
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
    # The rows fed back: those of every step before the last horizon.
    fed = (-(-steps // horizon) - 1) * horizon
    rows = None
    if fed and others:
        if future is None:
            raise ValueError(
                f"{OWNER}: {steps} steps go beyond the model's horizon "
                f"({horizon}); feeding forecasts back needs the future "
                f"values of the other input column(s) {others}: pass them "
                "as `future`."
            )
        rows, _ = _table(future, spec, "future")
        if len(rows) < fed:
            raise ValueError(
                f"{OWNER}: `future` has {len(rows)} row(s); {steps} steps "
                f"with horizon {horizon} need {fed} (the rows of the steps "
                "whose forecasts are fed back)."
            )
    history = values[-window:].astype("float32")
    stepper = _method(model, spec, method, steps)
    if stepper is None:
        source = _Window(model, spec, history, rows)
    else:
        source = _Stream(stepper, spec, history, rows)
    result = np.concatenate(feed_back(source, steps, horizon, target))
    result = result[:steps]
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
