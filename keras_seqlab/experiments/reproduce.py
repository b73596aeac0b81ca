"""`seqlab reproduce`: the published experiments, rerun with their settings.

    results = run("geron", rows=["lstm", "gru"], seeds=3)
    print(format_markdown(results))

Each row of a study (`keras_seqlab.experiments.published`) is trained as
its source did, once per seed, and scored as it was scored there; the
table gives the published value, ours (median and range over the seeds),
their ratio and a verdict (`SPREAD_RULE`).

- `"geron"`: *Hands-On ML* ch. 15 on `synthetic_series(10000, 50 + h,
  seed=42)` (the book's data, bit for bit), split 7000/2000/1000 by
  series; every model built with `keras_seqlab.models.build` (the
  builder arguments that give the book's exact models, as
  `tests/test_textbook_models.py` checks); Adam (lr 0.001, or the
  book's 0.005 and 0.01 where it sets them), MSE, batch 32, 20 epochs,
  no early stopping, the last epoch's weights; scored on validation.
- `"basel"`: the UW-Madison recurrence lesson: next-but-one-day BASEL
  sunshine (the lesson's `y = data.loc[1:]` shift plus its `y[i +
  window]` makes the target the day after the next) from all 89 columns,
  10-day windows, MinMax scalers fit on all rows (inputs) and on the
  target, windows split by scikit-learn's shuffled `train_test_split`
  (random_state 0, replayed with NumPy), `validation_split=0.1`, batch
  16, at most 100 epochs with early stopping (best weights restored);
  test RMSE in hours. The lesson's heads (a hidden Dense, Dropout,
  BatchNormalization) are not builder options: those models are written
  with Keras layers here, as in the lesson.

`quick=True` is a smoke test (few series or windows, one epoch): its
numbers are not comparable with the published ones (verdict "quick").
"""

import math
import statistics
import time

import keras
import numpy as np

from keras_seqlab.data import datasets
from keras_seqlab.data.scaling import Scaler
from keras_seqlab.data.windows import make_windows
from keras_seqlab.experiments.published import STUDIES
from keras_seqlab.experiments.reports import format_table
from keras_seqlab.experiments.settings import setting_int
from keras_seqlab.models import build
from keras_seqlab.models import conv_targets
from keras_seqlab.models.autoregressive import OneStep
from keras_seqlab.models.autoregressive import feed_back
from keras_seqlab.utils import files

COMMAND = "seqlab reproduce"
DEFAULT_OUT = "seqlab-reproduce"
FILES = ("reproduce.json", "reproduce.md")
SEED = 42  # the published runs' seed; seed i of N is SEED + i
EXACT = 1e-6  # relative: a deterministic value must match to float32
SPREAD_RULE = (
    "exact rows (no training): ours must equal the published value "
    "(relative 1e-6). Rows with two or more published runs: inside if "
    "our median lies in [min, max] of the published runs, widened by "
    "the printing rounding (5e-5 for values read from a training log). "
    "Rows with one published run (basel): no published spread exists; "
    "inside if the published value lies in the range of our seeds "
    "(widened by its rounding); n/a with one seed."
)
# Full and quick settings per study.
GERON = {"series": 10_000, "epochs": 20}
GERON_QUICK = {"series": 200, "epochs": 1}
BASEL = {"windows": None, "epochs": 100}
BASEL_QUICK = {"windows": 300, "epochs": 1}
WINDOW = 50
SEQ10 = {"head": "seq_to_seq", "horizon": 10}
VEC10 = {"head": "seq_to_vector", "horizon": 10}
# row: (task, builder, builder arguments, learning rate)
GERON_MODELS = {
    "linear_1": ("one", "linear", {}, 1e-3),
    "simple_rnn_1": ("one", "simple_rnn", {"output": "recurrent"}, 5e-3),
    "deep_rnn": (
        "one",
        "stacked_rnn",
        {"units": 20, "depth": 3, "output": "recurrent"},
        1e-3,
    ),
    "deep_rnn_dense": ("one", "stacked_rnn", {"units": 20}, 1e-3),
    "linear_10": ("vector", "linear", VEC10, 1e-3),
    "rnn_10": ("vector", "stacked_rnn", {"units": 20, **VEC10}, 1e-3),
    "seq2seq_rnn": ("seq", "stacked_rnn", {"units": 20, **SEQ10}, 1e-2),
    "ln_rnn": (
        "seq",
        "ln_simple_rnn",
        {"units": 20, "depth": 2, **SEQ10},
        1e-3,
    ),
    "lstm": ("seq", "stacked_lstm", {"units": 20, **SEQ10}, 1e-3),
    "gru": ("seq", "stacked_gru", {"units": 20, **SEQ10}, 1e-3),
    "conv_gru": (
        "conv",
        "conv_gru",
        dict(units=20, depth=2, kernel_size=4, strides=2, padding="valid"),
        1e-3,
    ),
    "wavenet": ("seq", "wavenet", {"gated": False, "units": 20, **SEQ10}, 1e-3),
}
GERON_MODELS["conv_gru"][2].update(SEQ10)


def row_keys(study):
    """The row names of `study` (`"geron"` or `"basel"`), in table order."""
    return [p.key for p in _study(study)[0]]


def _study(study):
    if study not in STUDIES:
        raise ValueError(
            f"reproduce: unknown study {study!r}; expected one of "
            f"{', '.join(STUDIES)}."
        )
    return STUDIES[study]


def choose_rows(study, rows):
    """The rows to run: all of `study`'s, or `rows` (a list or a
    comma-separated string) checked against them."""
    keys = row_keys(study)
    if rows is None:
        return keys
    if isinstance(rows, str):
        rows = rows.split(",")
    wanted = [r.strip() for r in rows if r.strip()]
    unknown = [r for r in wanted if r not in keys]
    if not wanted or unknown:
        raise ValueError(
            f"reproduce: unknown row(s) {', '.join(map(repr, unknown))} of "
            f"{study}; the rows are {', '.join(keys)}."
            if unknown
            else f"reproduce: no row named in {rows!r}."
        )
    return [k for k in keys if k in wanted]


def check(study, rows=None, seeds=None, quick=False):
    """Checked `(rows, seeds)`: `ValueError` naming what is wrong."""
    _study(study)
    rows = choose_rows(study, rows)
    if seeds is None:
        seeds = 1 if quick else 3
    return rows, setting_int("seeds", seeds, owner="reproduce")


def run(study, rows=None, seeds=None, quick=False, progress=None):
    """Runs the rows of `study` over `seeds` seeds; returns the results.

    Args:
        study: `"geron"` or `"basel"`.
        rows: row names (`row_keys(study)`); None for all.
        seeds: how many seeds (42, 43, ...); default 3, or 1 with `quick`.
        quick: the smoke-test sizes (`GERON_QUICK`, `BASEL_QUICK`).
        progress: a stream for a line per training, or None.

    Returns:
        A JSON-ready dict: the study, its source, settings, backend,
        `rows` (published values and runs, ours per seed, median, range,
        ratio, verdict) and the time taken.
    """
    rows, seeds = check(study, rows, seeds, quick)
    published, repo, notebook = _study(study)
    by_key = {p.key: p for p in published}
    start = time.perf_counter()
    runner = _Geron(quick) if study == "geron" else _Basel(quick)
    table = []
    for key in rows:
        ours, seconds = [], 0.0
        for i in range(seeds):
            began = time.perf_counter()
            ours.append(float(runner.score(key, SEED + i)))
            seconds += time.perf_counter() - began
            if progress is not None:
                print(
                    f"{COMMAND} {study} {key} seed {SEED + i}: "
                    f"{ours[-1]:.6g} ({time.perf_counter() - began:.1f} s)",
                    file=progress,
                    flush=True,
                )
        table.append(_row(by_key[key], ours, seconds, quick))
    return {
        "study": study,
        "source": {"repository": repo, "notebook": notebook},
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "quick": bool(quick),
        "seeds": [SEED + i for i in range(seeds)],
        "settings": runner.settings,
        "spread_rule": SPREAD_RULE,
        "rows": table,
        "total_seconds": round(time.perf_counter() - start, 1),
    }


def execute(study, rows=None, seeds=None, quick=False, out=None, progress=None):
    """`run`, then the table written to `out` (if given) as
    `reproduce.json` and `reproduce.md`, each atomically.

    The folder is checked and held (`utils.files.folder_lock`) before
    anything trains; a previous run's two files are removed before the
    new ones are written, so the folder never holds two runs' tables.

    Raises:
        ValueError: bad settings (before anything trains).
        FolderError: `out` cannot be used (before anything trains).
    """
    check(study, rows, seeds, quick)
    if out is None:
        return run(study, rows, seeds, quick, progress)
    with files.folder_lock(COMMAND, out) as folder:
        results = run(study, rows, seeds, quick, progress)
        for name in FILES:
            (folder / name).unlink(missing_ok=True)
        files.write_json(folder / FILES[0], results, indent=1)
        files.write_text(folder / FILES[1], format_markdown(results) + "\n")
    return results


def _row(pub, ours, seconds, quick):
    median = statistics.median(ours)
    return {
        "key": pub.key,
        "title": pub.title,
        "metric": pub.metric,
        "published": pub.value,
        "published_runs": dict(zip(pub.runs, pub.values)),
        "published_spread": None if pub.spread is None else list(pub.spread),
        "source": pub.source,
        "ours": ours,
        "median": median,
        "min": min(ours),
        "max": max(ours),
        "ratio": median / pub.value,
        "verdict": "quick" if quick else verdict(pub, ours),
        "seconds": round(seconds, 1),
    }


def verdict(pub, ours):
    """`"exact"`/`"differs"`, `"inside"`/`"below"`/`"above"` or `"n/a"`:
    ours against a `Published` row, by `SPREAD_RULE`."""
    if pub.exact:
        close = all(abs(v - pub.value) <= EXACT * abs(pub.value) for v in ours)
        return "exact" if close else "differs"
    if pub.spread is not None:
        low, high = pub.spread
        median = statistics.median(ours)
        return "inside" if low <= median <= high else (
            "below" if median < low else "above"
        )  # fmt: skip
    if len(ours) < 2:
        return "n/a"
    low, high = min(ours) - pub.rounding, max(ours) + pub.rounding
    return "inside" if low <= pub.value <= high else (
        "below" if high < pub.value else "above"
    )  # fmt: skip


def _mse(a, b):
    return float(np.mean((np.asarray(a, "float64") - b) ** 2))


def _predict(model, x):
    return np.asarray(model.predict(x, batch_size=256, verbose=0))


class _Geron:
    """The book's data (drawn once per horizon) and models."""

    def __init__(self, quick):
        self.sizes = GERON_QUICK if quick else GERON
        n = self.sizes["series"]
        self.split = (round(0.7 * n), round(0.9 * n))
        self.settings = {
            **self.sizes,
            "split": "70/20/10 by series",
            "batch_size": 32,
            "early_stopping": None,
            "window": WINDOW,
        }
        self.series, self.trained = {}, {}

    def _data(self, h):
        if h not in self.series:
            self.series[h] = datasets.synthetic_series(
                self.sizes["series"], WINDOW + h, seed=SEED
            )
        return self.series[h]

    def _task(self, task):
        series = self._data(1 if task == "one" else 10)
        x, y = make_windows(
            series,
            WINDOW,
            1 if task == "one" else 10,
            seq2seq=task in ("seq", "conv"),
            batch=True,
        )
        y = y[..., 0]
        if task == "conv":
            y = conv_targets(y, 4, 2, "valid")
        a, b = self.split
        return (x[:a], y[:a]), (x[a:b], y[a:b])

    def _model(self, key, seed):
        if (key, seed) in self.trained:
            return self.trained[key, seed]
        task, name, kwargs, rate = GERON_MODELS[key]
        train, _ = self._task(task)
        keras.utils.set_random_seed(seed)
        steps = WINDOW if name == "linear" else None
        model = build(name, (steps, 1), **kwargs)
        model.compile(optimizer=keras.optimizers.Adam(rate), loss="mse")
        model.fit(*train, epochs=self.sizes["epochs"], batch_size=32, verbose=0)
        self.trained[key, seed] = model
        return model

    def score(self, key, seed):
        a, b = self.split
        if key in ("naive_1", "naive_10"):
            series = self._data(1 if key == "naive_1" else 10)
            x, y = series[a:b, :WINDOW, 0], series[a:b, WINDOW:, 0]
            return _mse(y, x[:, -1:])
        if key == "deep_rnn_iterative_10":
            model = self._model("deep_rnn_dense", seed)
            series = self._data(10)
            # The book's loop: the inputs grow by each forecast.
            source = OneStep(
                lambda x: _predict(model, x).astype(x.dtype),
                series[a:b, :WINDOW],
                slide=False,
            )
            forecasts = np.concatenate(feed_back(source, 10, 1), axis=1)
            return _mse(series[a:b, WINDOW:, 0], forecasts)
        task = GERON_MODELS[key][0]
        _, (x, y) = self._task(task)
        predictions = _predict(self._model(key, seed), x)
        if task in ("seq", "conv"):
            return _mse(y[:, -1], predictions[:, -1])
        return _mse(y, predictions)


def sklearn_split(n, test_size, random_state=0):
    """`(train, test)` indices of scikit-learn's `train_test_split` of `n`
    samples with a fractional `test_size` and an int `random_state`
    (`ShuffleSplit`: n_test = ceil(test_size * n), a
    `RandomState(random_state).permutation(n)`, test first)."""
    n_test = math.ceil(test_size * n)
    order = np.random.RandomState(random_state).permutation(n)
    return order[n_test:], order[:n_test]


class _Basel:
    """The lesson's windows, split and models."""

    WINDOW = 10
    PATIENCE = {"lstm_dropout": 5, "stacked_lstm_bn": 10}

    def __init__(self, quick):
        self.sizes = BASEL_QUICK if quick else BASEL
        self.settings = {
            **self.sizes,
            "window": self.WINDOW,
            "batch_size": 16,
            "validation_split": 0.1,
            "split": "train_test_split(0.2, random_state=0), then 0.5",
            "early_stopping": self.PATIENCE,
        }
        data = datasets.load_weather()
        values = np.asarray(data.values, "float64")
        sun = list(data.columns).index("BASEL_sunshine")
        last = len(values) - self.WINDOW  # the lesson's nr_rows (.loc: +1)
        inputs = values[: last + 1]
        target = values[1 : last + 2, sun : sun + 1]
        self.scaler = Scaler("minmax").fit(target)
        scaled = np.concatenate(
            [
                Scaler("minmax").fit(inputs).transform(inputs),
                self.scaler.transform(target),
            ],
            axis=1,
        )
        n = scaled.shape[1] - 1
        x, y = make_windows(
            scaled, self.WINDOW, 1, targets=n, inputs=list(range(n))
        )
        if self.sizes["windows"] is not None:
            x, y = x[: self.sizes["windows"]], y[: self.sizes["windows"]]
        train, holdout = sklearn_split(len(x), 0.2)
        val, test = sklearn_split(len(holdout), 0.5)
        self.train = (x[train], y[train])
        self.test = (x[holdout[test]], y[holdout[test]])
        self.settings["samples"] = {
            "train": len(train),
            "val": len(val),
            "test": len(test),
        }

    def _model(self, key):
        layers = keras.layers
        steps = self.train[0].shape[1:]
        if key == "lstm_dropout":
            body = [
                layers.LSTM(32, dropout=0.2, recurrent_dropout=0.2),
                layers.Dense(16, activation="relu"),
                layers.Dropout(0.3),
            ]
        else:
            body = [
                layers.LSTM(64, return_sequences=True),
                layers.LSTM(32),
                layers.BatchNormalization(),
                layers.Dense(32, activation="relu"),
                layers.Dropout(0.7),
            ]
        return keras.Sequential([keras.Input(steps), *body, layers.Dense(1)])

    def score(self, key, seed):
        keras.utils.set_random_seed(seed)
        model = self._model(key)
        model.compile(optimizer="adam", loss="mse")
        stop = keras.callbacks.EarlyStopping(
            monitor="val_loss",
            patience=self.PATIENCE[key],
            restore_best_weights=True,
        )
        model.fit(
            *self.train,
            validation_split=0.1,
            epochs=self.sizes["epochs"],
            batch_size=16,
            callbacks=[stop],
            verbose=0,
        )
        x, y = self.test
        predictions = self.scaler.inverse_transform(_predict(model, x))
        return math.sqrt(_mse(self.scaler.inverse_transform(y), predictions))


def format_markdown(results):
    """The results as a Markdown table with a heading and the rule."""
    source = results["source"]
    seeds = results["seeds"]
    lines = [
        f"### `{COMMAND} {results['study']}`"
        + (" --quick (smoke test: not comparable)" if results["quick"] else ""),
        "",
        f"Published: {source['repository']}, `{source['notebook']}`. Ours: "
        f"Keras {results['keras']} on {results['backend']}, "
        f"{len(seeds)} seed(s) ({', '.join(map(str, seeds))}), "
        f"{results['total_seconds']:.0f} s.",
        "",
        "| experiment | metric | published (runs) | ours: median [range] "
        "| ratio | verdict |",
        "|---|---|---|---|---:|---|",
    ]
    for r in results["rows"]:
        runs = ", ".join(
            "–" if v is None else f"{v:.4g}"
            for v in r["published_runs"].values()
        )
        lines.append(
            f"| {r['key']}: {r['title']} | {r['metric']} | "
            f"{r['published']:.4g} ({runs}) | {r['median']:.4g} "
            f"[{r['min']:.4g}, {r['max']:.4g}] | {r['ratio']:.2f} | "
            f"{r['verdict']} |"
        )
    lines += ["", f"Verdict: {results['spread_rule']}"]
    return "\n".join(lines)


def format_text(results):
    """The results as an aligned text table for a terminal."""
    header = ["row", "metric", "published", "ours", "range", "ratio", "verdict"]
    rows = [
        [
            r["key"],
            r["metric"],
            f"{r['published']:.5g}",
            f"{r['median']:.5g}",
            f"{r['min']:.4g}-{r['max']:.4g}",
            f"{r['ratio']:.2f}",
            r["verdict"],
        ]
        for r in results["rows"]
    ]
    return format_table(header, rows, "<<>>>><")
