"""`seqlab compare`: train every architecture on one data set and rank them.

Three data sets:

- `"synthetic"` (the default): 10,000 series of `datasets.synthetic_series`
  (window 50 plus the horizon), split 70/20/10 by series; three tasks:
  the next value (`many_to_one`), the next 10 values from the window
  (`seq_to_vector`) and the next 10 values at every step (`seq_to_seq`,
  scored on the last step's forecast, as the textbook does). MSE.
- `"weather"`: next-day BASEL sunshine from the 9 BASEL columns of the
  bundled weather data, 30-day windows, an 80/10/10 temporal split of
  the days, a standard scaler fit on the training days only; RMSE in
  hours (predictions brought back to the original units).
- `"csv"`: a user's file and target column, as for the weather data.

Every model is built by `keras_seqlab.models.build`, compiled with Adam
and the MSE loss, and trained with `EarlyStopping(restore_best_weights=
True)` on the validation loss, after `keras.utils.set_random_seed(seed)`
(each model starts from the same seed, whatever else runs). The
persistence baseline has no weights and is only evaluated. Models are
ranked by their validation score; the test score is reported beside it.

`run(...)` returns the results as a dict (what `results.json` holds);
`format_leaderboard(results)` prints it.
"""

import dataclasses
import json
import math
import numbers
import pathlib
import sys
import time

import numpy as np

from keras_seqlab import _interrupt
from keras_seqlab import datasets
from keras_seqlab import models as model_zoo
from keras_seqlab import windows

DATASETS = ("synthetic", "weather", "csv")
SYNTHETIC_SERIES = 10_000
SYNTHETIC_HORIZON = 10
WEATHER_LOCATION = "BASEL"
WEATHER_TARGET = "BASEL_sunshine"
DEFAULT_WINDOW = {"synthetic": 50, "weather": 30, "csv": 30}
DEFAULT_OUT = "seqlab-compare"
# Options that make a registry entry worth comparing with its neighbours:
# the default GRU variant ("reset_after") is `keras.layers.GRU` itself.
COMPARE_OPTIONS = {"gru_variant": {"variant": "mgu"}}
TASK_TEXT = {
    "many_to_one": "the next value",
    "seq_to_vector": "the next {h} values, one vector per window",
    "seq_to_seq": (
        "the next {h} values at every step; scored on the last step's forecast"
    ),
}


class CompareError(ValueError):
    """Bad settings or data for a comparison (the CLI prints one line)."""


# -- what to run ---------------------------------------------------------------


@dataclasses.dataclass
class Task:
    """One forecasting problem: a head, a horizon and its three splits."""

    head: str
    horizon: int
    train: tuple
    val: tuple
    test: tuple
    test_dates: np.ndarray | None = None

    @property
    def name(self):
        return "one_step" if self.head == "many_to_one" else self.head

    def describe(self):
        return TASK_TEXT[self.head].format(h=self.horizon)


@dataclasses.dataclass
class Plan:
    """Everything `run` needs: data, tasks, models and settings."""

    dataset: str
    description: str
    tasks: list
    models: list
    skipped: list
    features: int
    target_index: int
    target_name: str
    scaler: windows.Scaler | None
    unit: str | None
    settings: dict


def _positive(name, value):
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value <= 0
    ):
        raise CompareError(f"--{name} must be a positive integer, got {value}.")
    return int(value)


def _min_rnn_available():
    try:
        import keras_seqlab.min_rnn  # noqa: F401
    except ImportError:
        return False
    return True


def _choose_models(models):
    """(names to run, [(name, reason)] skipped) from a list or a CSV string."""
    known = model_zoo.names()
    if models is None:
        wanted, explicit = list(known), False
    else:
        if isinstance(models, str):
            models = models.split(",")
        wanted = [m.strip() for m in models if m.strip()]
        explicit = True
        if not wanted:
            raise CompareError("--models names no model.")
        unknown = [m for m in wanted if m not in known]
        if unknown:
            raise CompareError(
                f"unknown model(s) {', '.join(map(repr, unknown))}; the "
                f"models are {', '.join(known)}."
            )
        wanted = list(dict.fromkeys(wanted))
    skipped = []
    if not _min_rnn_available():
        missing = [m for m in wanted if m in ("min_gru", "min_lstm")]
        if missing and explicit:
            raise CompareError(
                f"{', '.join(missing)} need(s) keras_seqlab.min_rnn, which "
                "this installation lacks."
            )
        skipped = [(m, "keras_seqlab.min_rnn is missing") for m in missing]
        wanted = [m for m in wanted if m not in missing]
    return wanted, skipped


def _cap(split, limit, last=False):
    """At most `limit` samples of `(x, y)`; the last ones if `last`."""
    if limit is None or len(split[0]) <= limit:
        return split
    part = slice(-limit, None) if last else slice(0, limit)
    return tuple(a[part] for a in split)


def _horizons(horizon, defaults):
    """(head, horizon) pairs: one step, or seq-to-vector and seq-to-seq."""
    pairs = []
    for h in defaults if horizon is None else [horizon]:
        if h == 1:
            pairs.append(("many_to_one", 1))
        else:
            pairs += [("seq_to_vector", h), ("seq_to_seq", h)]
    return pairs


def _synthetic_tasks(window, horizon, limit, seed):
    pairs = _horizons(horizon, (1, SYNTHETIC_HORIZON))
    longest = max(h for _, h in pairs)
    series = datasets.synthetic_series(
        SYNTHETIC_SERIES, window + longest, seed=seed
    )[..., 0]
    # One column per series: make_windows gives each series' one window.
    columns = series.T
    tasks = []
    for head, h in pairs:
        x, y = windows.make_windows(
            columns[: window + h], window, h, seq2seq=head == "seq_to_seq"
        )
        x = np.ascontiguousarray(x[0].T[..., np.newaxis])
        y = np.ascontiguousarray(np.moveaxis(y[0], -1, 0))
        train, val, test = windows.temporal_split((x, y), val=0.2, test=0.1)
        tasks.append(
            Task(
                head, h, _cap(train, limit), _cap(val, limit), _cap(test, limit)
            )
        )
    description = (
        f"synthetic: {SYNTHETIC_SERIES} series of {window + longest} steps "
        f"(datasets.synthetic_series, seed {seed}), split 70/20/10 by "
        f"series, window {window}"
    )
    return tasks, description


def _load_table(dataset, csv, target, columns, date_column):
    if dataset == "weather":
        target = target or WEATHER_TARGET
        if columns is not None:
            return datasets.load_weather(columns=columns, target=target)
        return datasets.load_weather(WEATHER_LOCATION, target=target)
    return datasets.load_csv(
        csv, target=target, columns=columns, date_column=date_column
    )


def _table_tasks(data, window, horizon, limit):
    """Row-split, train-fit scaling and windows of a loaded table."""
    target = data.targets
    train, val, test = windows.temporal_split(data.values, val=0.1, test=0.1)
    scaler = windows.Scaler("standard").fit(train)
    test_start = len(data.values) - len(test)
    tasks = []
    for head, h in _horizons(horizon, (1,)):
        splits = []
        for rows in (train, val, test):
            try:
                splits.append(
                    windows.make_windows(
                        scaler.transform(rows),
                        window,
                        h,
                        targets=target,
                        seq2seq=head == "seq_to_seq",
                    )
                )
            except ValueError as error:
                raise CompareError(
                    f"the split of {len(rows)} rows is too short for "
                    f"window {window} and horizon {h}: {error}"
                ) from None
        dates = None
        if data.dates is not None:
            count = len(splits[2][0])
            first = test_start + window
            dates = data.dates[first : first + count]
            if limit is not None:
                dates = dates[:limit]
        tasks.append(
            Task(
                head,
                h,
                _cap(splits[0], limit, last=True),
                _cap(splits[1], limit),
                _cap(splits[2], limit),
                dates,
            )
        )
    rows = f"{len(train)}/{len(val)}/{len(test)} rows"
    return tasks, scaler, rows


def prepare(
    dataset=None,
    models=None,
    csv=None,
    target=None,
    columns=None,
    date_column=None,
    epochs=20,
    window=None,
    horizon=None,
    limit=None,
    seed=42,
    batch_size=32,
    patience=5,
    units=32,
):
    """Loads and windows the data and checks every setting; see `run`.

    Raises:
        CompareError: (a `ValueError`) for any bad setting or data, with a
            one-line message.
    """
    if csv is not None:
        if dataset not in (None, "csv"):
            raise CompareError("pass either --dataset or --csv, not both.")
        dataset = "csv"
    dataset = dataset or "synthetic"
    if dataset not in DATASETS:
        raise CompareError(
            f"unknown dataset {dataset!r}; expected one of "
            f"{', '.join(DATASETS)}."
        )
    if dataset == "csv" and csv is None:
        raise CompareError("the csv dataset needs --csv PATH.")
    if dataset == "csv" and not target:
        raise CompareError(
            "--csv needs --target COLUMN (the column to forecast)."
        )
    if dataset == "synthetic" and (target or columns or date_column):
        raise CompareError(
            "--target, --columns and --date-column apply to --csv and "
            "--dataset weather only."
        )
    if isinstance(target, (list, tuple)):
        raise CompareError("compare forecasts one target column.")
    epochs = _positive("epochs", epochs)
    window = _positive("window", window or DEFAULT_WINDOW[dataset])
    if horizon is not None:
        horizon = _positive("horizon", horizon)
    if limit is not None:
        limit = _positive("limit", limit)
    seed = int(seed)
    batch_size = _positive("batch-size", batch_size)
    patience = _positive("patience", patience)
    units = _positive("units", units)
    names, skipped = _choose_models(models)
    settings = dict(
        window=window,
        horizon=horizon,
        epochs=epochs,
        batch_size=batch_size,
        patience=patience,
        units=units,
        limit=limit,
        seed=seed,
        models=names,
    )
    if dataset == "synthetic":
        tasks, description = _synthetic_tasks(window, horizon, limit, seed)
        return Plan(
            dataset,
            description,
            tasks,
            names,
            skipped,
            1,
            0,
            "value",
            None,
            None,
            settings,
        )
    try:
        data = _load_table(dataset, csv, target, columns, date_column)
    except (ValueError, FileNotFoundError) as error:
        raise CompareError(str(error)) from None
    tasks, scaler, rows = _table_tasks(data, window, horizon, limit)
    target_name = data.columns[data.targets]
    unit = "h" if dataset == "weather" and "sunshine" in target_name else None
    source = data.source
    if dataset == "weather":
        source = "the bundled weather data (Huber et al., CC-BY 4.0)"
    description = (
        f"{dataset}: {target_name} from {len(data.columns)} column(s) of "
        f"{source}, split 80/10/10 in time ({rows}), scaler fit on the "
        f"training rows, window {window}"
    )
    return Plan(
        dataset,
        description,
        tasks,
        names,
        skipped,
        len(data.columns),
        data.targets,
        target_name,
        scaler,
        unit,
        settings,
    )


# -- training and scoring ------------------------------------------------------


def _progress_callback(keras, line, epochs, stream):
    class Progress(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            seconds = time.perf_counter() - self.start
            print(
                f"{line} epoch {epoch + 1}/{epochs}: loss "
                f"{logs.get('loss', math.nan):.5g}, val_loss "
                f"{logs.get('val_loss', math.nan):.5g} ({seconds:.1f} s)",
                file=stream,
                flush=True,
            )

    return Progress()


def _last_step(task, values):
    """The forecast after the window: the last step's for seq-to-seq."""
    return values[:, -1] if task.head == "seq_to_seq" else values


def _scores(plan, task, y, predictions):
    """{"mse": ..., ["rmse": ... in original units]} of the last step."""
    y, predictions = _last_step(task, y), _last_step(task, predictions)
    scores = {"mse": float(np.mean((predictions - y) ** 2))}
    if plan.scaler is not None:
        truth = plan.scaler.inverse_transform(y, columns=plan.target_index)
        guess = plan.scaler.inverse_transform(
            predictions, columns=plan.target_index
        )
        scores["rmse"] = float(np.sqrt(np.mean((guess - truth) ** 2)))
    return scores


def _label(name):
    options = COMPARE_OPTIONS.get(name)
    if not options:
        return name
    return f"{name}({','.join(str(v) for v in options.values())})"


def _fit_one(plan, task, name, line, stream):
    import keras

    settings = plan.settings
    keras.utils.set_random_seed(settings["seed"])
    options = dict(COMPARE_OPTIONS.get(name, {}))
    if name == "persistence":
        options["target_index"] = plan.target_index
    model = model_zoo.build(
        name,
        (settings["window"], plan.features),
        head=task.head,
        horizon=task.horizon,
        units=settings["units"],
        **options,
    )
    model.compile(optimizer=keras.optimizers.Adam(), loss="mse")
    history, seconds, best = {}, 0.0, 0
    if model.trainable_weights:
        callbacks = [
            keras.callbacks.EarlyStopping(
                monitor="val_loss",
                patience=settings["patience"],
                restore_best_weights=True,
            ),
            _interrupt.StopOnInterrupt(),
        ]
        if stream is not None:
            callbacks.append(
                _progress_callback(keras, line, settings["epochs"], stream)
            )
        start = time.perf_counter()
        fitted = model.fit(
            *task.train,
            validation_data=task.val,
            epochs=settings["epochs"],
            batch_size=settings["batch_size"],
            callbacks=callbacks,
            verbose=0,
        )
        seconds = time.perf_counter() - start
        history = {
            k: [float(v) for v in values]
            for k, values in fitted.history.items()
        }
        best = int(np.argmin(history["val_loss"])) + 1
    predict = dict(batch_size=256, verbose=0)
    val_pred = np.asarray(model.predict(task.val[0], **predict))
    test_pred = np.asarray(model.predict(task.test[0], **predict))
    val, test = (
        _scores(plan, task, task.val[1], val_pred),
        _scores(plan, task, task.test[1], test_pred),
    )
    result = {
        "model": name,
        "label": _label(name),
        "options": COMPARE_OPTIONS.get(name, {}),
        "params": int(model.count_params()),
        **{f"val_{k}": v for k, v in val.items()},
        **{f"test_{k}": v for k, v in test.items()},
        "epochs": len(history.get("loss", [])),
        "best_epoch": best,
        "train_seconds": round(seconds, 3),
        "history": history,
    }
    return result, _last_step(task, test_pred)


def _sort_key(score):
    return math.inf if math.isnan(score) else score


def _metric(plan):
    return "rmse" if plan.scaler is not None else "mse"


def run(
    dataset=None,
    models=None,
    *,
    csv=None,
    target=None,
    columns=None,
    date_column=None,
    epochs=20,
    window=None,
    horizon=None,
    limit=None,
    seed=42,
    batch_size=32,
    patience=5,
    units=32,
    out=None,
    plots=True,
    progress=sys.stderr,
):
    """Trains and ranks the models; returns the results (a dict).

    Args:
        dataset: `"synthetic"` (the default), `"weather"` or `"csv"`.
        models: names (a list or a comma-separated string) from
            `keras_seqlab.models.names()`; None for every one.
        csv: path of a CSV file (implies `dataset="csv"`).
        target: the column to forecast (required with `csv`; default
            `"BASEL_sunshine"` for the weather data).
        columns: the input columns of a CSV or weather table (default:
            every column but the date column; BASEL's for the weather).
        date_column: the date column of a CSV file.
        epochs: the most epochs per model (early stopping may stop sooner).
        window: input length (default 50 synthetic, 30 otherwise).
        horizon: steps forecast; None runs the default tasks (synthetic:
            1 and 10; tables: 1). Horizon 1 is the many-to-one task, H > 1
            the seq-to-vector and seq-to-seq tasks.
        limit: at most this many windows (series) per split, for quick runs.
        seed: the seed set before each model is built.
        batch_size, patience, units: training batch size, early-stopping
            patience, width of every model.
        out: folder to write `results.json`, `leaderboard.txt` and the
            PNG plots into (created); None writes nothing.
        plots: draw the plots (needs matplotlib; skipped with a message
            if it is missing).
        progress: stream for progress lines (None: silent).

    Returns:
        The `results.json` content: settings, per task the ranked results
        (`val_mse`, `test_mse`, `val_rmse`/`test_rmse` in original units
        for tables, `params`, `epochs`, `train_seconds`, `history`), the
        skipped models and the plot files.

    Raises:
        CompareError: bad settings or data (before anything trains).
    """
    plan = prepare(
        dataset=dataset,
        models=models,
        csv=csv,
        target=target,
        columns=columns,
        date_column=date_column,
        epochs=epochs,
        window=window,
        horizon=horizon,
        limit=limit,
        seed=seed,
        batch_size=batch_size,
        patience=patience,
        units=units,
    )
    return execute(plan, out=out, plots=plots, progress=progress)


def _run_task(plan, task, metric, counter, progress):
    """Trains and scores every model on one task, ranked by val metric.

    Returns the task's results entry, its test forecasts by model and the
    count of models done so far (`counter` is (done, total)).
    """
    done, total = counter
    entry = {
        "task": task.name,
        "head": task.head,
        "horizon": task.horizon,
        "description": task.describe(),
        "samples": {
            "train": len(task.train[0]),
            "val": len(task.val[0]),
            "test": len(task.test[0]),
        },
        "results": [],
        "skipped": [
            {"model": m, "reason": reason} for m, reason in plan.skipped
        ],
    }
    forecasts = {}
    for name in plan.models:
        if task.head not in model_zoo.supported_heads(name):
            entry["skipped"].append(
                {"model": name, "reason": f"no {task.head} head"}
            )
            continue
        done += 1
        line = f"[{done}/{total}] {task.name} {_label(name)}"
        if progress is not None:
            doing = "evaluating" if name == "persistence" else "training"
            print(f"{line}: {doing}", file=progress, flush=True)
        result, test_forecast = _fit_one(plan, task, name, line, progress)
        forecasts[name] = test_forecast
        entry["results"].append(result)
        if progress is not None:
            print(
                f"{line}: val {metric} {result['val_' + metric]:.5g}, "
                f"{result['params']:,} params, "
                f"{result['train_seconds']:.1f} s",
                file=progress,
                flush=True,
            )
    entry["results"].sort(key=lambda r: _sort_key(r["val_" + metric]))
    for rank, result in enumerate(entry["results"], 1):
        result["rank"] = rank
    return entry, forecasts, done


def execute(plan, out=None, plots=True, progress=sys.stderr):
    """Runs a `prepare`d plan; see `run`."""
    import keras

    start = time.perf_counter()
    metric = _metric(plan)
    total = sum(
        1
        for task in plan.tasks
        for name in plan.models
        if task.head in model_zoo.supported_heads(name)
    )
    results = {
        "dataset": plan.dataset,
        "description": plan.description,
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "metric": metric,
        "unit": plan.unit,
        "target": plan.target_name,
        "settings": plan.settings,
        "tasks": [],
        "plots": [],
        "notes": [],
    }
    if progress is not None:
        print(f"seqlab compare: {plan.description}", file=progress, flush=True)
    forecasts = {}
    done = 0
    with _interrupt.sticky():
        for task in plan.tasks:
            entry, forecasts[task.name], done = _run_task(
                plan, task, metric, (done, total), progress
            )
            results["tasks"].append(entry)
    results["total_seconds"] = round(time.perf_counter() - start, 1)
    if out is not None:
        folder = pathlib.Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        if plots:
            drawn = _plots(plan, results, forecasts, folder)
            if drawn is None:
                results["notes"].append(
                    "matplotlib is not installed: skipped the plots "
                    "(pip install matplotlib)."
                )
            else:
                results["plots"] = drawn
        (folder / "leaderboard.txt").write_text(
            format_leaderboard(results) + "\n", encoding="utf-8"
        )
        (folder / "results.json").write_text(
            json.dumps(results, indent=1) + "\n", encoding="utf-8"
        )
    return results


# -- the leaderboard -----------------------------------------------------------


def format_leaderboard(results):
    """The results as text: one ranked table per task."""
    metric = results["metric"]
    unit = f" ({results['unit']})" if results.get("unit") else ""
    score = metric.upper() + unit
    settings = results["settings"]
    lines = [
        f"seqlab compare: {results['description']}",
        (
            f"keras {results['keras']}, backend {results['backend']}, seed "
            f"{settings['seed']}, at most {_epochs(settings['epochs'])} "
            f"(early stopping on val loss, patience {settings['patience']}, "
            f"best weights restored), batch {settings['batch_size']}, "
            f"units {settings['units']}"
            + (f", limit {settings['limit']}" if settings["limit"] else "")
        ),
    ]
    header = (
        f"{'rank':>4}  {'model':<20} {'params':>9}  {'val ' + score:>14}  "
        f"{'test ' + score:>14}  {'epochs':>7}  {'train s':>8}"
    )
    for entry in results["tasks"]:
        samples = entry["samples"]
        lines += [
            "",
            (
                f"{entry['task']}: {entry['description']} ({entry['head']}, "
                f"horizon {entry['horizon']}; train/val/test "
                f"{samples['train']}/{samples['val']}/{samples['test']})"
            ),
            header,
        ]
        for r in entry["results"]:
            epochs = f"{r['best_epoch']}/{r['epochs']}" if r["epochs"] else "-"
            lines.append(
                f"{r['rank']:>4}  {r['label']:<20} {r['params']:>9,}  "
                f"{r['val_' + metric]:>14.5g}  {r['test_' + metric]:>14.5g}  "
                f"{epochs:>7}  {r['train_seconds']:>8.1f}"
            )
        for s in entry["skipped"]:
            lines.append(f"      skipped {s['model']}: {s['reason']}")
    lines += ["", "epochs: best/run. " + _ranking_note(results)]
    lines += results.get("notes", [])
    return "\n".join(lines)


def _epochs(count):
    return f"{count} epoch" + ("" if count == 1 else "s")


def _ranking_note(results):
    note = "Ranked by the validation score."
    if results["metric"] == "rmse":
        note += " RMSE in the target's original units (inverse-scaled)."
    return note


# -- plots ---------------------------------------------------------------------


def _figure():
    """A matplotlib Figure on the Agg canvas, or None without matplotlib.

    No pyplot: the global backend of an interactive session stays as is.
    """
    try:
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


def _plots(plan, results, forecasts, folder):
    """Writes the PNGs; returns their names, or None without matplotlib."""
    make = _figure()
    if make is None:
        return None
    names = []
    for task, entry in zip(plan.tasks, results["tasks"]):
        path = folder / f"learning_curves_{task.name}.png"
        if _learning_curves(make, entry, path):
            names.append(path.name)
        path = folder / f"forecast_{task.name}.png"
        _forecast_plot(make, plan, task, entry, forecasts[task.name], path)
        names.append(path.name)
    return names


def _learning_curves(make, entry, path):
    from matplotlib import colormaps
    from matplotlib.ticker import MaxNLocator

    trained = [r for r in entry["results"] if r["history"]]
    if not trained:
        return False
    figure = make(figsize=(9, 5), layout="constrained")
    axes = figure.subplots()
    colors = colormaps["tab20"]
    for i, r in enumerate(trained):
        epochs = range(1, len(r["history"]["val_loss"]) + 1)
        axes.plot(
            epochs,
            r["history"]["val_loss"],
            label=r["label"],
            color=colors(i % 20),
            linestyle=("-", "--", ":")[i // 20 % 3],
        )
    for r in entry["results"]:
        if r["model"] == "persistence":
            axes.axhline(
                r["val_mse"], color="black", linestyle="--", label="persistence"
            )
    axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("validation loss (MSE)")
    axes.set_title(f"{entry['task']}: {entry['description']}", fontsize=10)
    figure.legend(loc="outside right upper", fontsize="small")
    figure.savefig(path, dpi=100)
    return True


def _original(plan, values):
    if plan.scaler is None:
        return values
    return plan.scaler.inverse_transform(values, columns=plan.target_index)


def _forecast_plot(make, plan, task, entry, forecasts, path):
    best = _best_model(entry)
    shown = [m for m in ("persistence", best) if m in forecasts]
    truth = _original(plan, _last_step(task, task.test[1]))
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
            axes.plot(
                x, _original(plan, forecasts[name])[:count, 0], label=name
            )
        axes.set_ylabel(plan.target_name + unit)
        axes.set_title(f"test split: next-step forecast of {plan.target_name}")
        axes.legend(fontsize="small")
        figure.savefig(path, dpi=100)
        return
    samples = min(3, len(truth))
    figure = make(figsize=(10, 3 * samples), layout="constrained")
    grid = figure.subplots(samples, 1, squeeze=False)[:, 0]
    window = plan.settings["window"]
    for i, axes in enumerate(grid):
        history = _original(plan, task.test[0][i, :, plan.target_index])
        steps = np.arange(window)
        future = np.arange(window, window + task.horizon)
        axes.plot(steps, history, color="gray", label="input window")
        axes.plot(future, truth[i], "o-", color="black", label="truth")
        for name in shown:
            guess = _original(plan, forecasts[name])[i]
            axes.plot(future, guess, "x--", label=name)
        axes.set_ylabel(plan.target_name + unit)
        if i == 0:
            axes.set_title(
                f"{task.name}: test samples, {task.describe()}", fontsize=10
            )
            axes.legend(fontsize="small")
    grid[-1].set_xlabel("step")
    figure.savefig(path, dpi=100)
