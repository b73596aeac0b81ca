"""The field's backtest tables: forecasts and scores per origin, long.

The forecasts table has the columns of neuralforecast's and
statsforecast's `cross_validation`, one row per series, origin and
forecast step:

    unique_id, ds, cutoff, y, <model>[, <model>-lo-<L>, <model>-hi-<L>] ...

(`cutoff` is the last date, or row, the forecast saw; `ds` the date, or
row, forecast; one column per model, baselines included, and its
interval bounds at each level L, in percent). The metrics table has the shape of
utilsforecast's `evaluate` with a cutoff: one row per series, cutoff
and metric (`mae`, `rmse`, `mase`, `smape`), one column per model.

Both are pandas DataFrames when pandas is installed, else lists of row
dicts; `write_csv` writes either atomically.
"""

import csv
import io
import math

import numpy as np

from keras_seqlab.forecasting.metrics import mae
from keras_seqlab.forecasting.metrics import rmse
from keras_seqlab.forecasting.metrics import smape
from keras_seqlab.utils import files

METRICS = ("mae", "rmse", "mase", "smape")


def interval_levels(quantiles):
    """`[(level, lower index, upper index)]` of the symmetric pairs of
    `quantiles` (τ and 1 - τ give the level 100 (1 - 2τ), in percent):
    what `<model>-lo-<level>` columns a quantile model has."""
    if quantiles is None:
        return []
    q = [float(v) for v in quantiles]
    pairs = []
    for i, low in enumerate(q):
        for j in range(len(q) - 1, i, -1):
            if abs(q[j] - (1.0 - low)) < 1e-9:
                pairs.append((round(100 * (1 - 2 * low), 6), i, j))
    return pairs


def level_name(level):
    """`80` for 80.0, `95.5` for 95.5: the level as the columns spell it."""
    return f"{level:g}"


class CvRecords:
    """Forecasts of one backtest, an origin at a time; then its tables."""

    def __init__(self):
        self.records = []

    def add(self, unique_id, cutoff, dates, truth, columns, scale):
        """One origin of one series: `dates` and `truth` `(H,)`, `columns`
        the forecasts `(H,)` by column name (models and their bounds),
        `scale` MASE's scale (NaN: undefined)."""
        self.records.append(
            (
                str(unique_id),
                cutoff,
                list(dates),
                np.asarray(truth, "float64"),
                {k: np.asarray(v, "float64") for k, v in columns.items()},
                scale,
            )
        )

    def forecasts(self):
        """The forecasts table (see the module)."""
        rows = []
        for unique_id, cutoff, dates, truth, columns, _ in self.records:
            for step, (date, y) in enumerate(zip(dates, truth)):
                row = {
                    "unique_id": unique_id,
                    "ds": date,
                    "cutoff": cutoff,
                    "y": float(y),
                }
                row.update({k: float(v[step]) for k, v in columns.items()})
                rows.append(row)
        return _frame(rows)

    def metrics(self, models):
        """The metrics table of `models` (column names), see the module."""
        rows = []
        for unique_id, cutoff, _, truth, columns, scale in self.records:
            for metric in METRICS:
                row = {
                    "unique_id": unique_id,
                    "cutoff": cutoff,
                    "metric": metric,
                }
                for model in models:
                    row[model] = _score(metric, truth, columns[model], scale)
                rows.append(row)
        return _frame(rows)


def _score(metric, truth, forecast, scale):
    if metric == "mase":
        error = mae(truth, forecast)
        return error / scale if math.isfinite(scale) else math.nan
    return {"mae": mae, "rmse": rmse, "smape": smape}[metric](truth, forecast)


def _frame(rows):
    try:
        import pandas as pd
    except ImportError:
        return rows
    return pd.DataFrame(rows)


def records_of(table):
    """A table (DataFrame or rows) as a list of row dicts with JSON values."""
    rows = table.to_dict("records") if hasattr(table, "to_dict") else table
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


def _plain(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value if isinstance(value, (int, float, str)) else str(value)


def write_csv(path, table):
    """`table` (a DataFrame or rows) as a CSV file, written atomically."""
    if hasattr(table, "to_csv"):
        text = table.to_csv(index=False)
    else:
        out = io.StringIO()
        fields = list(table[0]) if table else []
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)
        text = out.getvalue()
    files.write_text(path, text)


def plain_dates(dates):
    """datetime64 values as whole days where they all are (`2020-01-01`
    in a table), else to the second; None stays None."""
    if dates is None:
        return None
    dates = np.asarray(dates, dtype="datetime64[s]")
    days = dates.astype("datetime64[D]")
    return days if np.all(days == dates) else dates
