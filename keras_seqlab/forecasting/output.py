"""Forecasts as a CSV table and as a plot (history, forecast, band)."""

import numpy as np

from keras_seqlab.layers.heads.quantiles import median_index
from keras_seqlab.utils import files


def column_names(spec):
    """The forecast columns: the target, or one per quantile."""
    if spec["quantiles"] is None:
        return [spec["target"]]
    return [f"{spec['target']}_q{q:g}" for q in spec["quantiles"]]


def to_csv(forecasts, spec, dates=None):
    """The forecasts as CSV text: `date` (or `step`) and the value columns."""
    values = np.asarray(forecasts).reshape(len(forecasts), -1)
    first = spec["date_column"] or "date" if dates is not None else "step"
    lines = [",".join([first, *column_names(spec)])]
    for i, row in enumerate(values):
        key = str(dates[i]) if dates is not None else str(i + 1)
        lines.append(",".join([key, *(f"{v:.6g}" for v in row)]))
    return "\n".join(lines) + "\n"


def _figure():
    """A 10x4 matplotlib Figure (no pyplot), or None without matplotlib."""
    try:
        # The package first: a submodule imported earlier would be found
        # even where matplotlib itself cannot be imported.
        import matplotlib  # noqa: F401
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    figure = Figure(figsize=(10, 4), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _save(figure, path):
    with files.replacing(path) as partial:
        figure.savefig(partial, dpi=100)
    return True


def plot(path, history, forecasts, spec, dates=None, future=None):
    """Draws the history, the forecast and the interval band to `path`.

    Returns False without matplotlib (nothing written), else True.
    """
    figure = _figure()
    if figure is None:
        return False
    axes = figure.subplots()
    shown = min(len(history), 4 * spec["window"])
    past = dates[-shown:] if dates is not None else np.arange(-shown + 1, 1)
    ahead = future if future is not None else np.arange(1, len(forecasts) + 1)
    axes.plot(past, history[-shown:], color="black", label="history")
    values = np.asarray(forecasts).reshape(len(forecasts), -1)
    if values.shape[1] == 1:
        axes.plot(ahead, values[:, 0], "o-", color="C0", label="forecast")
    else:
        quantiles = spec["quantiles"]
        middle = median_index(quantiles)
        axes.fill_between(
            ahead,
            values[:, 0],
            values[:, -1],
            color="C0",
            alpha=0.25,
            label=f"{quantiles[0]:g}-{quantiles[-1]:g} quantiles",
        )
        axes.plot(
            ahead,
            values[:, middle],
            "o-",
            color="C0",
            label=f"forecast (q{quantiles[middle]:g})",
        )
    axes.set_ylabel(spec["target"])
    axes.set_xlabel(
        spec["date_column"] or "date" if dates is not None else "step"
    )
    axes.set_title(
        f"{spec['target']}: the next {len(values)} step(s) from the last "
        f"{spec['window']}-step window"
    )
    axes.legend(fontsize="small")
    return _save(figure, path)


def plot_backtest(path, history, result, dates=None):
    """The series' end with each origin's forecasts against the truth."""
    figure = _figure()
    if figure is None:
        return False
    axes = figure.subplots()
    folds = result["folds"]
    start = max(0, folds[0]["origin"] - 3 * result["horizon"])
    x = dates if dates is not None else np.arange(len(history))
    axes.plot(x[start:], history[start:], color="black", label="truth")
    for i, fold in enumerate(folds):
        ahead = x[fold["origin"] : fold["origin"] + len(fold["forecast"])]
        axes.plot(
            ahead,
            fold["forecast"],
            "o--",
            color=f"C{i % 10}",
            label=f"from {fold['date'] or fold['origin']}",
        )
        axes.axvline(x[fold["origin"]], color=f"C{i % 10}", alpha=0.3)
    mean = result["mean"]
    axes.set_title(
        f"backtest of {result['target']}: {len(folds)} origin(s); mean MAE "
        f"{mean['mae']:.4g}, RMSE {mean['rmse']:.4g}, MASE {mean['mase']:.3g}"
    )
    axes.set_ylabel(result["target"])
    axes.legend(fontsize="small")
    return _save(figure, path)


def panel_to_csv(frame):
    """A long forecast table (`forecast_panel`) as CSV text: dates as
    yyyy-mm-dd (with a time only where one is not midnight)."""
    return frame.to_csv(index=False, float_format="%.6g", date_format=None)


def plot_panel(path, history, forecasts, spec, series=3):
    """The history and forecast of the first `series` series of a long
    forecast table, one panel each, to `path`.

    Args:
        history, forecasts: long DataFrames (the table given to
            `forecast_panel`, its result).

    Returns False without matplotlib (nothing written), else True.
    """
    figure = _figure()
    if figure is None:
        return False
    roles = spec["panel"]
    id_column, date_column = roles["id_column"], spec["date_column"]
    target, window = spec["target"], spec["window"]
    ids = list(dict.fromkeys(forecasts[id_column]))[:series]
    figure.set_size_inches(10, 2.6 * len(ids))
    for axes, series_id in zip(
        figure.subplots(len(ids), 1, squeeze=False)[:, 0], ids
    ):
        past = history[history[id_column].astype(str) == series_id]
        ahead = forecasts[forecasts[id_column] == series_id]
        key = date_column or None
        if key:
            import pandas as pd

            past = past.assign(**{key: pd.to_datetime(past[key])})
            past = past.sort_values(key)
        past = past.tail(4 * window)
        x_past = past[key] if key else range(-len(past) + 1, 1)
        x_ahead = ahead[key] if key else ahead["step"]
        axes.plot(x_past, past[target], color="black", label="history")
        axes.plot(x_ahead, ahead[target], color="tab:blue", label="forecast")
        quantiles = spec["quantiles"]
        if quantiles:
            low = ahead[f"{target}_q{quantiles[0]:g}"]
            high = ahead[f"{target}_q{quantiles[-1]:g}"]
            axes.fill_between(x_ahead, low, high, alpha=0.25, color="tab:blue")
        axes.set_title(f"{series_id}: {target}", loc="left")
        axes.legend(loc="upper left")
    return _save(figure, path)
