"""The forecasting tasks of an experiment: data loaded, split and windowed.

Three data sets:

- `"synthetic"` (the default): 10,000 series of `synthetic_series`
  (window 50 plus the horizon, drawn per horizon with the same seed, as
  the textbook does), split 70/20/10 by series; three tasks:
  the next value (`many_to_one`), the next 10 values from the window
  (`seq_to_vector`) and the next 10 values at every step (`seq_to_seq`,
  scored on the last step's forecast, as the textbook does). MSE.
- `"weather"`: next-day BASEL sunshine from the 9 BASEL columns of the
  bundled weather data, 30-day windows, an 80/10/10 temporal split of
  the days, a standard scaler fit on the training days only; RMSE in
  hours (predictions brought back to the original units).
- `"csv"`: a user's file and target column, as for the weather data.

`prepare(settings, models)` returns a `Plan`: the tasks, the models to
run and what scoring needs (scaler, target column, unit).
"""

import dataclasses
import re

import numpy as np

from keras_seqlab.data import datasets
from keras_seqlab.data.calendar import season_of
from keras_seqlab.data.scaling import Scaler
from keras_seqlab.data.splits import temporal_split
from keras_seqlab.data.windows import make_windows
from keras_seqlab.experiments.settings import Settings
from keras_seqlab.experiments.settings import SettingsError
from keras_seqlab.forecasting.forecaster import forecaster
from keras_seqlab.models import names as model_names

SYNTHETIC_SERIES = 10_000
SYNTHETIC_HORIZON = 10
WEATHER_LOCATION = "BASEL"
WEATHER_TARGET = "BASEL_sunshine"
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


@dataclasses.dataclass
class Task:
    """One forecasting problem: a head, a horizon and its three splits."""

    head: str
    horizon: int
    train: tuple
    val: tuple
    test: tuple
    test_dates: np.ndarray | None = None
    # Of a table: the row of each test window's first target.
    test_origins: np.ndarray | None = None

    @property
    def name(self):
        return "one_step" if self.head == "many_to_one" else self.head

    def describe(self):
        return TASK_TEXT[self.head].format(h=self.horizon)


@dataclasses.dataclass
class Plan:
    """Everything an experiment needs: data, tasks, models and settings."""

    dataset: str
    description: str
    tasks: list
    models: list
    columns: tuple
    target_index: int
    target_name: str
    scaler: Scaler | None
    unit: str | None
    settings: Settings
    date_column: str | None = None
    freq: float | None = None
    # Of a table: the target over every row and over the training rows
    # (original units), for the baselines and MASE's scale.
    series: np.ndarray | None = None
    insample: np.ndarray | None = None
    # The seasonal period of MASE and the baselines.
    season: int = 1

    @property
    def features(self):
        return len(self.columns)

    @property
    def metric(self):
        """`"rmse"` (original units) for tables, `"mse"` for the synthetic
        series."""
        return "mse" if self.dataset == "synthetic" else "rmse"


def label(name, options=None):
    """How results name a model: its name and options (`gru_variant(mgu)`).

    `options` default to the model's `COMPARE_OPTIONS`.
    """
    if options is None:
        options = COMPARE_OPTIONS.get(name)
    if not options:
        return name
    return f"{name}({','.join(str(v) for v in options.values())})"


def choose_models(models):
    """The names to run, from a list or a comma-separated string.

    A leaderboard label (`gru_variant(mgu)`, see `label`) names its model.
    """
    known = model_names()
    if models is None:
        return list(known)
    if isinstance(models, str):
        # Commas inside a label's parentheses do not separate models.
        models = re.split(r",(?![^()]*\))", models)
    wanted = [m.strip() for m in models if m.strip()]
    if not wanted:
        raise SettingsError("`models` names no model.", "models")
    labels = {label(name): name for name in known}
    unknown = [m for m in wanted if m not in known and m not in labels]
    if unknown:
        extra = sorted(set(labels) - set(known))
        raise SettingsError(
            f"unknown model(s) {', '.join(map(repr, unknown))}; the "
            f"models are {', '.join(known)} (or the labels "
            f"{', '.join(extra)}).",
            "models",
        )
    return list(dict.fromkeys(labels.get(m, m) for m in wanted))


def cap(split, limit, last=False):
    """At most `limit` samples of `(x, y)`; the last ones if `last`."""
    if limit is None or len(split[0]) <= limit:
        return split
    part = slice(-limit, None) if last else slice(0, limit)
    return tuple(a[part] for a in split)


def horizons(horizon, defaults):
    """(head, horizon) pairs: one step, or seq-to-vector and seq-to-seq."""
    pairs = []
    for h in defaults if horizon is None else [horizon]:
        if h == 1:
            pairs.append(("many_to_one", 1))
        else:
            pairs += [("seq_to_vector", h), ("seq_to_seq", h)]
    return pairs


def _synthetic_tasks(window, horizon, limit, seed):
    pairs = horizons(horizon, (1, SYNTHETIC_HORIZON))
    tasks, drawn = [], {}
    for head, h in pairs:
        # As the book does, each horizon's series are drawn anew with the
        # same seed, window + h steps long: the one-step task's time axis
        # is linspace(0, 1, 51), the ten-step tasks' linspace(0, 1, 60).
        if h not in drawn:
            drawn[h] = datasets.synthetic_series(
                SYNTHETIC_SERIES, window + h, seed=seed
            )
        x, y = make_windows(
            drawn[h], window, h, seq2seq=head == "seq_to_seq", batch=True
        )
        y = y[..., 0]  # the one target column
        if head == "many_to_one":
            y = y[:, 0:1]
        train, val, test = temporal_split((x, y), val=0.2, test=0.1)
        tasks.append(
            Task(head, h, cap(train, limit), cap(val, limit), cap(test, limit))
        )
    lengths = " and ".join(str(window + h) for h in sorted(drawn))
    description = (
        f"synthetic: {SYNTHETIC_SERIES} series of {lengths} steps "
        f"(datasets.synthetic_series, seed {seed}, drawn per horizon as "
        f"the book does), split 70/20/10 by series, window {window}"
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


def _windows(rows, window, h, target, head):
    try:
        return make_windows(
            rows, window, h, targets=target, seq2seq=head == "seq_to_seq"
        )
    except ValueError as error:
        raise SettingsError(
            f"the split of {len(rows)} rows is too short for "
            f"window {window} and horizon {h}: {error}",
            "window",
            "horizon",
        ) from None


def _table_tasks(data, settings):
    """A loaded table's tasks: split (rows, or windows with `split`
    "windows"), scaled (a scaler fit on the training rows unless
    `scale` is False) and windowed; `(tasks, scaler, rows text)`."""
    window, limit = settings.window, settings.limit
    target = data.targets
    train, val, test = temporal_split(data.values, val=0.1, test=0.1)
    if settings.split == "windows":
        # The training rows are those of the training windows' inputs
        # and targets; the scaler sees only those.
        h = settings.horizon or 1
        count = max(len(data.values) - window - h + 1, 0)
        counts = temporal_split(
            np.empty(count), val=0.1, test=0.1, rounding="sklearn"
        )
        train = data.values[: len(counts[0]) + window + h - 1]
    scaler = Scaler("standard").fit(train) if settings.scale else None
    scaled = scaler.transform if scaler is not None else np.asarray
    tasks = []
    for head, h in horizons(settings.horizon, (1,)):
        if settings.split == "windows":
            every = _windows(scaled(data.values), window, h, target, head)
            splits = temporal_split(
                every, val=0.1, test=0.1, rounding="sklearn"
            )
        else:
            splits = [
                _windows(scaled(rows), window, h, target, head)
                for rows in (train, val, test)
            ]
        count = len(splits[2][0])
        # The test windows are the last ones; window k's forecast is
        # for row k + window + h - 1 on, its date that of the first step.
        first = len(data.values) - h + 1 - count
        origins = np.arange(first, first + count)[:limit]
        dates = None if data.dates is None else data.dates[origins]
        tasks.append(
            Task(
                head,
                h,
                cap(splits[0], limit, last=True),
                cap(splits[1], limit),
                cap(splits[2], limit),
                dates,
                origins,
            )
        )
    if settings.split == "windows":
        sizes = "/".join(str(len(part[0])) for part in splits)
        rows = f"{sizes} windows, split after windowing"
    else:
        rows = f"{len(train)}/{len(val)}/{len(test)} rows"
    return tasks, scaler, rows, len(train)


def _only(tasks, heads):
    if heads is None:
        return tasks
    kept = [t for t in tasks if t.head in heads]
    if not kept:
        raise SettingsError(
            f"no task has the head(s) {', '.join(heads)}; the tasks are "
            f"{', '.join(f'{t.name} ({t.head})' for t in tasks)}.",
            "heads",
            "horizon",
        )
    return kept


def prepare(settings, models=None):
    """Loads and windows the data of checked `settings`; returns a `Plan`.

    Args:
        settings: a `Settings` (validated here).
        models: names (a list or a comma-separated string) from
            `keras_seqlab.models.names()`; None for every one.

    Raises:
        SettingsError: (a `ValueError`) for any bad setting or data.
    """
    settings = settings.validated()
    if settings.panel:
        raise SettingsError(
            "a long table of many series (`id_column`, `dataset` "
            "weather-cities) has a plan of its own "
            "(keras_seqlab.experiments.panel_compare.prepare_panel, which "
            "seqlab compare and seqlab tune use); this one takes one series.",
            "id_column",
            "dataset",
        )
    names = choose_models(models)
    _check_model_units(settings, names)
    s = settings
    if s.dataset == "synthetic":
        tasks, description = _synthetic_tasks(
            s.window, s.horizon, s.limit, s.seed
        )
        tasks = _only(tasks, s.heads)
        return Plan(
            s.dataset,
            description,
            tasks,
            names,
            ("value",),
            0,
            "value",
            None,
            None,
            s,
            season=s.season or 1,
        )
    try:
        data = _load_table(
            s.dataset,
            s.csv,
            s.target,
            None if s.columns is None else list(s.columns),
            s.date_column,
        )
    except (ValueError, FileNotFoundError) as error:
        raise SettingsError(str(error)) from None
    tasks, scaler, rows, trained = _table_tasks(data, s)
    tasks = _only(tasks, s.heads)
    target_name = data.columns[data.targets]
    unit = "h" if s.dataset == "weather" and "sunshine" in target_name else None
    source = data.source
    if s.dataset == "weather":
        source = "the bundled weather data (Huber et al., CC-BY 4.0)"
    scaling = "scaler fit on the training rows" if s.scale else "unscaled"
    description = (
        f"{s.dataset}: {target_name} from {len(data.columns)} column(s) of "
        f"{source}, split 80/10/10 in time ({rows}), {scaling}, window "
        f"{s.window}"
    )
    return Plan(
        s.dataset,
        description,
        tasks,
        names,
        tuple(data.columns),
        data.targets,
        target_name,
        scaler,
        unit,
        s,
        date_column="DATE" if s.dataset == "weather" else s.date_column,
        freq=_freq(data.dates),
        series=data.values[:, data.targets].astype("float64"),
        insample=data.values[:trained, data.targets].astype("float64"),
        season=s.season or season_of(data.dates),
    )


def _check_model_units(settings, names):
    """Every per-model width names a model that runs (no width ignored)."""
    unknown = [n for n in settings.model_units or {} if n not in names]
    if unknown:
        raise SettingsError(
            f"`units` names model(s) {', '.join(map(repr, unknown))} that "
            f"do not run; the models are {', '.join(names)}.",
            "units",
        )


def _freq(dates):
    """The step between rows in days, if every step is the same."""
    if dates is None or len(dates) < 2:
        return None
    steps = np.unique(np.diff(dates).astype(int))
    return float(steps[0]) if len(steps) == 1 else None


def plan_forecaster(plan, task, model, name=None):
    """A model trained on `task` as a forecaster in original units."""
    return forecaster(
        model,
        plan.columns,
        plan.target_name,
        task.head,
        task.horizon,
        scaler=plan.scaler,
        date_column=plan.date_column,
        freq=plan.freq,
        name=name,
    )
