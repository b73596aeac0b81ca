"""Forecasts as a CSV table and as a plot (history, forecast, band)."""

import numpy as np

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
        middle = int(np.argmin(np.abs(np.asarray(quantiles) - 0.5)))
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
