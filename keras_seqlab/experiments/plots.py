"""The PNG plots of a comparison: learning curves and test forecasts.

matplotlib is optional: `draw` returns None without it. No pyplot: an
interactive session's global backend stays as it is.
"""

import numpy as np

from keras_seqlab.experiments.training import last_step
from keras_seqlab.experiments.training import original
from keras_seqlab.layers.heads.quantiles import median_index
from keras_seqlab.utils import files


def _figure():
    """A matplotlib Figure on the Agg canvas, or None without matplotlib.

    No pyplot: the global backend of an interactive session stays as is.
    """
    try:
        # The package first: a submodule imported earlier would be found
        # even where matplotlib itself cannot be imported.
        import matplotlib  # noqa: F401
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None

    def make(**kwargs):
        figure = Figure(**kwargs)
        FigureCanvasAgg(figure)
        return figure

    return make


def _best_model(entry):
    for result in entry["results"]:
        if result["model"] != "persistence":
            return result["model"]
    return None


def draw(plan, results, forecasts, folder):
    """Writes the PNGs; returns their names, or None without matplotlib."""
    make = _figure()
    if make is None:
        return None
    names = []
    for task, entry in zip(plan.tasks, results["tasks"]):
        path = folder / f"learning_curves_{task.name}.png"
        if _learning_curves(make, plan, entry, path):
            names.append(path.name)
        path = folder / f"forecast_{task.name}.png"
        _forecast_plot(make, plan, task, entry, forecasts[task.name], path)
        names.append(path.name)
    return names


def metric_title(plan):
    """The leaderboard's validation score, named with its units."""
    name = plan.metric.upper()
    if plan.metric == "rmse":
        return f"validation {name} ({plan.unit or 'original units'})"
    unit = f" ({plan.unit}²)" if plan.unit else ""
    return f"validation {name}{unit}, last step"


# 10 colours by 4 line styles tell 40 curves apart; markers where a curve
# has few points (a single epoch would draw nothing without one).
_STYLES = ("-", "--", "-.", ":")
_MARKERS = "os^Dv<>pXP"
FEW_POINTS = 15


def _learning_curves(make, plan, entry, path):
    from matplotlib import colormaps
    from matplotlib.ticker import MaxNLocator

    key = "val_" + plan.metric
    trained = [r for r in entry["results"] if r["history"].get(key)]
    if not trained:
        return False
    figure = make(figsize=(10, 5.5), layout="constrained")
    axes = figure.subplots()
    colors = colormaps["tab10"]
    for i, r in enumerate(trained):
        curve = r["history"][key]
        epochs = range(1, len(curve) + 1)
        (line,) = axes.plot(
            epochs,
            curve,
            label=r["label"],
            color=colors(i % 10),
            linestyle=_STYLES[i // 10 % len(_STYLES)],
            marker=_MARKERS[i % len(_MARKERS)]
            if len(curve) <= FEW_POINTS
            else None,
            markersize=4,
        )
        # The epoch whose weights were kept: the leaderboard's value.
        best = r["best_epoch"]
        axes.plot(
            [best],
            [curve[best - 1]],
            marker="*",
            markersize=11,
            color=line.get_color(),
            markeredgecolor="black",
            linestyle="none",
        )
    for r in entry["results"]:
        if r["model"] == "persistence":
            axes.axhline(
                r[key], color="black", linestyle="--", label="persistence"
            )
    values = [v for r in trained for v in r["history"][key] if v > 0]
    if values and max(values) > 10 * min(values):
        axes.set_yscale("log")  # else a linear axis reads better
    longest = max(len(r["history"][key]) for r in trained)
    axes.set_xlim(0.5, longest + 0.5)
    axes.set_xlabel("epoch (★: the kept epoch, as in the leaderboard)")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel(metric_title(plan))
    axes.set_title(
        f"{entry['task']}: {metric_title(plan)} by epoch\n"
        f"{entry['description']}",
        fontsize=10,
    )
    figure.legend(loc="outside right upper", fontsize="small")
    with files.replacing(path) as partial:
        figure.savefig(partial, dpi=100)
    return True


def _draw(axes, plan, x, values, name, style="-"):
    """A forecast line; for a quantile model its median and outer band."""
    values = np.asarray(values)
    quantiles = plan.settings.quantiles
    if quantiles is None:
        axes.plot(x, values, style, label=name)
        return
    (line,) = axes.plot(
        x, values[..., median_index(quantiles)], style, label=f"{name} median"
    )
    axes.fill_between(
        x,
        values[..., 0],
        values[..., -1],
        color=line.get_color(),
        alpha=0.2,
        label=f"{name} {quantiles[0]:g}-{quantiles[-1]:g}",
    )


def _forecast_plot(make, plan, task, entry, forecasts, path):
    best = _best_model(entry)
    shown = [m for m in ("persistence", best) if m in forecasts]
    truth = original(plan, last_step(task, task.test[1]))
    unit = f" ({plan.unit})" if plan.unit else ""
    if plan.dataset != "synthetic" and task.horizon == 1:
        figure = make(figsize=(10, 4), layout="constrained")
        axes = figure.subplots()
        count = min(120, len(truth))
        x = (
            task.test_dates[:count]
            if task.test_dates is not None
            else np.arange(count)
        )
        axes.plot(x, truth[:count, 0], color="black", label="truth")
        for name in shown:
            _draw(
                axes, plan, x, original(plan, forecasts[name])[:count, 0], name
            )
        axes.set_ylabel(plan.target_name + unit)
        axes.set_title(
            f"{task.name}: next-step forecasts of {plan.target_name}{unit} "
            "on the test split"
        )
        axes.legend(fontsize="small")
        with files.replacing(path) as partial:
            figure.savefig(partial, dpi=100)
        return
    samples = min(3, len(truth))
    figure = make(figsize=(10, 3 * samples), layout="constrained")
    grid = figure.subplots(samples, 1, squeeze=False)[:, 0]
    window = plan.settings.window
    for i, axes in enumerate(grid):
        history = original(plan, task.test[0][i, :, plan.target_index])
        steps = np.arange(window)
        future = np.arange(window, window + task.horizon)
        axes.plot(steps, history, color="gray", label="input window")
        axes.plot(future, truth[i], "o-", color="black", label="truth")
        for name in shown:
            guess = original(plan, forecasts[name])[i]
            _draw(axes, plan, future, guess, name, "x--")
        axes.set_ylabel(plan.target_name + unit)
        if i == 0:
            axes.set_title(
                f"{task.name}: test samples, {task.describe()}", fontsize=10
            )
            axes.legend(fontsize="small")
    grid[-1].set_xlabel("step")
    with files.replacing(path) as partial:
        figure.savefig(partial, dpi=100)
