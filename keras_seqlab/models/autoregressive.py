"""Multi-step forecasts from a model of a few steps, its forecasts fed back.

`feed_back` is the package's one such loop: `forecast_autoregressive`
(a one-step model on a batch of windows), `keras_seqlab.forecast` (a
forecaster beyond its horizon, on windows or stepped),
`forecast_panel` and `seqlab reproduce` run it, each with its own
`source` of forecasts.
"""

import numbers

import numpy as np

from keras_seqlab.utils.validation import check_units


def feed_back(source, steps, horizon, target_index=0):
    """The forecasts of the next `steps` steps, `horizon` at a time, each
    fed back to the model as the target column of the inputs it reads next.

    `source` runs the model and keeps its inputs:

    - `source.next()` gives the next `horizon` steps' forecasts as
      `(forecasts, point)`: `forecasts` what is returned, `point` the
      values fed back, shaped `(..., horizon)` (a batch axis, or none);
    - `source.rows(start)` gives a new float array `(..., horizon,
      features)`: the input rows of steps `start` to `start + horizon - 1`
      (0 is the first step forecast), the future values of the other
      input columns, or zeros;
    - `source.add(rows)` appends those rows, their column `target_index`
      replaced by the forecasts, to the inputs of the next `next()`.

    Returns the list of `forecasts`, one per `horizon` steps
    (`ceil(steps / horizon)` of them); nothing is fed back after the last.
    """
    forecasts, done = [], 0
    while True:
        values, point = source.next()
        forecasts.append(values)
        done += horizon
        if done >= steps:
            return forecasts
        rows = source.rows(done - horizon)
        rows[..., target_index] = point
        source.add(rows)


def _future_row(owner, future_inputs, step, window, batch, features):
    if callable(future_inputs):
        row = future_inputs(step, window)
    else:
        row = future_inputs[:, step]
    row = np.asarray(row, dtype=window.dtype)
    if row.shape != (batch, features):
        raise ValueError(
            f"{owner}: `future_inputs` gave shape {row.shape} for step "
            f"{step}, expected {(batch, features)}."
        )
    return row.copy()


class OneStep:
    """A `feed_back` source: a one-step model on a batch of windows `x`
    `(batch, T, features)`, each forecast appended as a new last row, the
    first row dropped (`slide=True`: every call sees T steps) or kept (the
    inputs grow a step a forecast).

    `predict(x)` gives the forecasts `(batch, 1)`; `future(step, x)` the
    input row of step `step`, `(batch, features)` (None: zeros).
    """

    def __init__(self, predict, x, future=None, slide=True):
        self.predict, self.x = predict, x
        self.future, self.slide = future, slide

    def next(self):
        point = self.predict(self.x)
        return point, point

    def rows(self, start):
        batch, _, features = self.x.shape
        if self.future is None:
            return np.zeros((batch, 1, features), self.x.dtype)
        return self.future(start, self.x)[:, np.newaxis]

    def add(self, rows):
        self.x = np.concatenate([self.x[:, int(self.slide) :], rows], axis=1)


def forecast_autoregressive(
    model, history, steps, target_index=0, future_inputs=None
):
    """Multi-step forecast from a one-step model, feeding predictions back.

    Starting from the window `history[:, -T:]`, predict the next value,
    append it as the target column of a new last row, drop the first row,
    and repeat `steps` times (the window slides, so every call has the
    same shape). For a univariate series that is all there is. With
    several input features the other columns' future values are unknown:
    pass them through `future_inputs` (the target column of what it gives
    is replaced by the prediction).

    Args:
        model: a one-step forecaster: one value per sample, output
            `(batch, 1)` or `(batch,)` (e.g. the `"many_to_one"` head).
        history: `(batch, T, features)` windows (or `(batch, T)` for one
            feature); the model's input length if it has a fixed one.
        steps: positive integer, the number of steps to forecast.
        target_index: the input column the model forecasts, an integer
            in [-features, features).
        future_inputs: for `features > 1`: an array `(batch, steps,
            features)` of the future input rows, or a callable
            `f(step, window) -> (batch, features)` with `window` the
            current `(batch, T, features)` input, called for the steps
            whose forecast is fed back (0 to `steps - 2`).

    Returns:
        float array `(batch, steps)`: the forecasts.

    Raises:
        ValueError: multivariate inputs without `future_inputs`, a model
            that does not output one value per sample, bad shapes, a
            `target_index` that is not an integer (a float, a bool, a
            string) or is out of range, a non-numeric `history`.

    Example:

    >>> model = keras_seqlab.build("persistence", (5, 1))
    >>> history = np.ones((2, 5, 1))
    >>> keras_seqlab.forecast_autoregressive(model, history, 3).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    owner = "forecast_autoregressive"
    steps = check_units(owner, steps, "steps")
    if isinstance(target_index, bool) or not isinstance(
        target_index, numbers.Integral
    ):
        raise ValueError(
            f"{owner}: `target_index` must be an integer column index, got "
            f"{target_index!r}."
        )
    try:
        window = np.array(history, dtype="float32")
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{owner}: `history` must be a numeric array (batch, "
            f"timesteps, features): {error}"
        ) from None
    if window.ndim == 2:
        window = window[..., np.newaxis]
    if window.ndim != 3:
        raise ValueError(
            f"{owner}: `history` must be (batch, timesteps, features), got "
            f"shape {np.shape(history)}."
        )
    batch, length, features = window.shape
    if not -features <= target_index < features:
        raise ValueError(
            f"{owner}: `target_index` {target_index!r} is out of range for "
            f"{features} feature(s) (valid: {-features} to {features - 1})."
        )
    target_index = int(target_index)
    wanted = tuple(model.inputs[0].shape)[1] if model.inputs else None
    if wanted is not None:
        if length < wanted:
            raise ValueError(
                f"{owner}: the model takes windows of {wanted} steps, "
                f"`history` has {length}."
            )
        window = window[:, length - wanted :].copy()
    if features > 1 and future_inputs is None:
        raise ValueError(
            f"{owner}: the inputs have {features} features; the forecasts "
            f"only supply the target column ({target_index}), the others' "
            "future values are unknown. Pass `future_inputs` (an array "
            "(batch, steps, features) or a callable) to supply them."
        )
    if future_inputs is not None and not callable(future_inputs):
        future_inputs = np.asarray(future_inputs, dtype="float32")
        if future_inputs.ndim != 3 or future_inputs.shape[1] < steps:
            raise ValueError(
                f"{owner}: `future_inputs` must be (batch, >= {steps}, "
                f"{features}), got shape {future_inputs.shape}."
            )

    def predict(x):
        prediction = np.asarray(model.predict_on_batch(x))
        if prediction.size != batch:
            raise ValueError(
                f"{owner}: needs a one-step model (one value per sample); "
                f"the model outputs shape {prediction.shape}."
            )
        return prediction.reshape(batch, 1).astype("float32")

    def future(step, x):
        return _future_row(owner, future_inputs, step, x, batch, features)

    source = OneStep(predict, window, None if future_inputs is None else future)
    return np.concatenate(feed_back(source, steps, 1, target_index), axis=1)
