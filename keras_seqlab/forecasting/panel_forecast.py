"""`forecast_panel`: the next values of every series of a long table.

Each series with at least `window` rows is continued from its own last
window, at its own frequency (a month-start series stays on month
starts; a daily one skips no day). Beyond the horizon the point forecasts
are fed back as the target, `horizon` steps at a time. The calendar
inputs of the forecast steps are generated from their dates; the table's
known-future columns (and, beyond the horizon, the past-only columns of
the fed-back rows) come from `future`, matched by (id, date): a missing
pair is an error that names the first ones and counts them.
"""

import numpy as np

from keras_seqlab.data.calendar import calendar_values
from keras_seqlab.data.panel import Panel
from keras_seqlab.data.panel import panel_from_frame
from keras_seqlab.data.panel import with_codes
from keras_seqlab.forecasting.forecaster import forecaster_spec
from keras_seqlab.layers.heads.quantiles import point_forecast
from keras_seqlab.models.autoregressive import feed_back
from keras_seqlab.models.training import predict
from keras_seqlab.utils.validation import check_units

OWNER = "forecast_panel"


def panel_for(data, spec, owner):
    """`data` (a long DataFrame or a `Panel`) as the `Panel` a panel
    forecaster of `spec` reads: its roles, and its id codes if it has an
    id embedding."""
    roles = spec["panel"]
    if not isinstance(data, Panel):
        data = _read(data, spec, owner)
    if roles.get("ids") is not None:
        data = with_codes(data, roles["ids"])
    return data


def _read(data, spec, owner):
    roles = spec["panel"]
    return panel_from_frame(
        data,
        roles["id_column"],
        spec["target"],
        spec["date_column"],
        past_columns=roles["past_columns"],
        future_columns=roles["future_columns"],
        static_columns=roles["static_columns"],
        calendar=roles["calendar"],
        owner=owner,
    )


def _future_dates(panel, chosen, steps):
    """`(S, steps)` datetime64[ns]: each series continued at its frequency."""
    import pandas as pd

    out = np.empty((len(chosen), steps), dtype="datetime64[ns]")
    for row, i in enumerate(chosen):
        last = panel.dates[panel.offsets[i + 1] - 1]
        freq = panel.freqs[i]
        if freq is None:
            raise ValueError(
                f"{OWNER}: series {str(panel.ids[i])!r} has one date; its "
                "frequency (and so its next dates) is unknown."
            )
        dates = pd.date_range(last, periods=steps + 1, freq=freq)[1:]
        out[row] = dates.to_numpy(dtype="datetime64[ns]")
    return out


def _future_rows(future, spec, ids, dates, columns, known_ids, owner=OWNER):
    """`(S, steps, len(columns))` values of `columns` from `future` at each
    (id, date); a missing pair or an unknown id is an error."""
    import pandas as pd

    roles = spec["panel"]
    id_column, date_column = roles["id_column"], spec["date_column"]
    if future is None:
        raise ValueError(
            f"{owner}: the model needs the future values of "
            f"{', '.join(map(repr, columns))} at the forecast dates: pass "
            f"`future`, a table of {id_column}, {date_column} and those "
            "columns."
        )
    if date_column is None:
        raise ValueError(
            f"{owner}: future rows are matched by date, and the model has "
            "no date column."
        )
    missing = [c for c in (id_column, date_column, *columns) if c not in future]
    if missing:
        raise ValueError(
            f"{owner}: `future` lacks the column(s) {missing}; it has "
            f"{[str(c) for c in future.columns]}."
        )
    table = future[[id_column, date_column, *columns]].copy()
    table[id_column] = table[id_column].astype(str).str.strip()
    table[date_column] = pd.to_datetime(table[date_column])
    unknown = sorted(set(table[id_column]) - {str(i) for i in known_ids})
    if unknown:
        raise ValueError(
            f"{owner}: `future` has {len(unknown)} id(s) that are not series "
            f"of the data, e.g. {unknown[:3]}."
        )
    wanted = pd.DataFrame(
        {
            id_column: np.repeat(np.asarray(ids, dtype=object), dates.shape[1]),
            date_column: dates.reshape(-1),
        }
    )
    table = table.drop_duplicates([id_column, date_column], keep="first")
    merged = wanted.merge(table, on=[id_column, date_column], how="left")
    values = merged[list(columns)].to_numpy(dtype="float64", na_value=np.nan)
    holes = ~np.isfinite(values).all(axis=1)
    if holes.any():
        first = merged.loc[holes, [id_column, date_column]].head(3)
        pairs = ", ".join(
            f"({i!r}, {str(d)[:10]})" for i, d in first.itertuples(index=False)
        )
        raise ValueError(
            f"{owner}: `future` lacks {int(holes.sum())} (id, date) row(s) "
            f"(or has no value there) the forecast needs, first {pairs}; "
            f"it must hold {', '.join(columns)} for every series at each "
            "forecast date."
        )
    return values.reshape(len(ids), dates.shape[1], len(columns))


class _Source:
    """The model on every series' last window (the `source` of
    `feed_back`, the target in column 0): the known-future inputs of the
    horizon it forecasts, the past-only inputs of the rows fed back."""

    def __init__(self, model, spec, history, extra, known, fed_back):
        self.model, self.spec, self.history = model, spec, history
        self.extra, self.known, self.fed_back = extra, known, fed_back
        self.start = 0  # the first step of the next forecast

    def _ahead(self, start):
        return slice(start, start + self.spec["horizon"])

    def next(self):
        inputs = {"past": self.history}
        if self.known is not None:
            ahead = self._ahead(self.start)
            inputs["future"] = self.known[:, ahead].astype("float32")
        inputs.update(self.extra)
        if len(inputs) == 1:
            inputs = self.history
        y = predict(self.model, inputs)
        return y, point_forecast(y, self.spec["quantiles"])

    def rows(self, start):
        n, _, features = self.history.shape
        new = np.zeros((n, self.spec["horizon"], features), "float32")
        ahead = self._ahead(start)
        past = 0
        if self.fed_back is not None:
            past = self.fed_back.shape[-1]
            new[..., 1 : 1 + past] = self.fed_back[:, ahead]
        if self.known is not None:
            new[..., 1 + past :] = self.known[:, ahead]
        return new

    def add(self, rows):
        window = self.spec["window"]
        self.history = np.concatenate([self.history, rows], axis=1)
        self.history = self.history[:, -window:]
        self.start += self.spec["horizon"]


def forecast_panel(model, data, steps=None, future=None):
    """The next `steps` values of every series of a long table.

    Args:
        model: a panel forecaster (`fit_panel`, or its `.keras` file
            loaded with `load_forecaster`).
        data: the long table so far (a pandas DataFrame with the model's
            id, date, target and input columns; extra columns are
            ignored), or a `Panel`. Series the model never saw are
            forecast like the others (scaled by their own window).
        steps: steps per series (default: the horizon).
        future: a long table of the known-future columns (and, beyond the
            horizon, the past-only columns) at the forecast dates.

    Returns:
        A long DataFrame: the id, the date (or `step` without dates), the
        point forecast under the target's name (the median of a quantile
        model) and one `TARGET_qLEVEL` column per quantile. Its `attrs`
        hold `"skipped"`: the ids of the series shorter than the window.

    Raises:
        ValueError: a table the model cannot read (see `panel_from_frame`),
            no series as long as the window, missing future rows.
    """

    spec = forecaster_spec(model)
    if spec.get("panel") is None:
        raise ValueError(
            f"{OWNER}: the model forecasts one series; use "
            "keras_seqlab.forecast."
        )
    window, horizon = spec["window"], spec["horizon"]
    steps = check_units(OWNER, horizon if steps is None else steps, "steps")
    panel = panel_for(data, spec, OWNER)
    roles = spec["panel"]
    long_enough = panel.lengths >= window
    chosen = np.flatnonzero(long_enough)
    skipped = [str(i) for i in panel.ids[~long_enough]]
    if not len(chosen):
        raise ValueError(
            f"{OWNER}: no series has the {window} rows of a window (the "
            f"longest has {int(panel.lengths.max())})."
        )
    ids = panel.ids[chosen]
    chunks = -(-steps // horizon)
    reach = chunks * horizon  # the model reads whole horizons
    dates = None
    if panel.dates is not None:
        dates = _future_dates(panel, chosen, reach)
    future_columns = list(roles["future_columns"])
    past_columns = list(roles["past_columns"])
    fed_back = None  # the past-only inputs of the rows fed back
    if past_columns and chunks > 1:
        fed_back = _future_rows(
            future,
            spec,
            ids,
            dates[:, : reach - horizon],
            past_columns,
            panel.ids,
        )
    known = []
    if future_columns:
        known.append(
            _future_rows(future, spec, ids, dates, future_columns, panel.ids)
        )
    if roles["calendar"]:
        flat = calendar_values(dates.reshape(-1), roles["calendar"])
        known.append(flat.reshape(len(ids), reach, -1))
    known = np.concatenate(known, axis=-1) if known else None
    ends = panel.offsets[chosen + 1]
    history = panel.values[ends[:, None] - window + np.arange(window)]
    if panel.known is not None:
        past_known = panel.known[ends[:, None] - window + np.arange(window)]
        history = np.concatenate([history, past_known], axis=-1)
    history = history.astype("float32")
    extra = {}
    if panel.static is not None:
        extra["static"] = panel.static[chosen]
    if panel.codes is not None:
        extra["series"] = panel.codes[chosen][:, None]
    source = _Source(model, spec, history, extra, known, fed_back)
    result = np.concatenate(feed_back(source, steps, horizon), axis=1)
    result = result[:, :steps]
    return _frame(result, spec, ids, dates, steps, skipped)


def _frame(result, spec, ids, dates, steps, skipped):
    import pandas as pd

    roles = spec["panel"]
    target = spec["target"]
    columns = {roles["id_column"]: np.repeat(ids.astype(object), steps)}
    if dates is not None:
        columns[spec["date_column"]] = dates[:, :steps].reshape(-1)
    else:
        columns["step"] = np.tile(np.arange(1, steps + 1), len(ids))
    quantiles = spec["quantiles"]
    columns[target] = point_forecast(result, quantiles).reshape(-1)
    for k, q in enumerate(quantiles or ()):
        columns[f"{target}_q{q:g}"] = result[..., k].reshape(-1)
    frame = pd.DataFrame(columns)
    frame.attrs["skipped"] = skipped
    return frame
