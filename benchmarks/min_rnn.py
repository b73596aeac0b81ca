"""Training-step time of MinGRU/MinLSTM, both paths, against Keras's GRU.

For each sequence length T the script times, in one process on the
backend that `KERAS_BACKEND` selects:

- `MinGRU(H, mode="sequential")` and `MinGRU(H, mode="parallel")`;
- `MinLSTM(H, mode="sequential")` and `MinLSTM(H, mode="parallel")`;
- `keras.layers.GRU(H)`, the baseline.

The model is `Input((T, D)) -> layer(H) -> Dense(1)`, batch 64, MSE, Adam;
on TensorFlow compiled with `jit_compile=True` (a model that fails under
XLA is timed again without it, and the table says so), elsewhere with
`jit_compile="auto"` (XLA on JAX, eager on PyTorch). One step is one
`model.train_on_batch`; the first calls build and compile and are not
timed; the figure is the median of the timed calls. Only ratios measured
in one process mean anything, and nothing here asserts a time.

Columns: ms/step, `vs GRU` (our time over keras GRU's at the same T),
`par/seq` (the parallel path's time over the sequential path's, the
number behind `mode="auto"`), and `vs T0` (our time over our time at the
smallest T measured: linear in T means T/T0).

On PyTorch, Keras's GRU indexes x[t] per step and its backward pass grows
with T² (about 29 s per step at T = 1024 on a 2-core CPU): from T = 512 on
it gets one warm-up call and `--slow-repeats` timed calls, and above
`--keras-max-t` (default 1024 on PyTorch) it is skipped.

    KERAS_BACKEND=jax PYTHONPATH=. python benchmarks/min_rnn.py
    KERAS_BACKEND=torch PYTHONPATH=. python benchmarks/min_rnn.py \\
        --sizes 128 1024 --threads 1
    KERAS_BACKEND=tensorflow PYTHONPATH=. python benchmarks/min_rnn.py \\
        --layers min_gru --json tf.json
    KERAS_BACKEND=jax PYTHONPATH=. python benchmarks/min_rnn.py --quick

`--quick` runs T = 8 and 16 with one timed call: a smoke test of the
script, not a measurement.
"""

import argparse
import functools
import json
import platform

import keras
from _backend import backend_version
from _backend import configure_threads
from _timing import measure
from _timing import progress
from _timing import ratio

from keras_seqlab.layers.recurrent.min_rnn import MinGRU
from keras_seqlab.layers.recurrent.min_rnn import MinLSTM

BATCH = 64
FEATURES = 16
UNITS = 64
SIZES = (128, 1024, 4096)
QUICK_SIZES = (8, 16)
QUICK_UNITS = 4
REPEATS = 5
WARMUP = 2
SLOW_T = 512
SLOW_WARMUP = 1
TORCH_KERAS_MAX_T = 1024
BASELINE = "keras.GRU"

LAYERS = {
    "min_gru.sequential": functools.partial(MinGRU, mode="sequential"),
    "min_gru.parallel": functools.partial(MinGRU, mode="parallel"),
    "min_lstm.sequential": functools.partial(MinLSTM, mode="sequential"),
    "min_lstm.parallel": functools.partial(MinLSTM, mode="parallel"),
    BASELINE: keras.layers.GRU,
}


# -- the run -----------------------------------------------------------------


def run(names, settings):
    """{(name, T): record} for every layer and size."""
    results = {}
    torch = settings["backend"] == "torch"
    for steps in settings["sizes"]:
        for name in names:
            warmup, repeats = settings["warmup"], settings["repeats"]
            if name == BASELINE:
                limit = settings["keras_max_t"]
                if limit is not None and steps > limit:
                    progress(f"{name} T={steps}: skipped (--keras-max-t)")
                    results[(name, steps)] = None
                    continue
                if torch and steps >= SLOW_T:
                    warmup = SLOW_WARMUP
                    repeats = min(repeats, settings["slow_repeats"])
            progress(f"{name} T={steps}")
            results[(name, steps)] = measure(
                functools.partial(LAYERS[name], settings["units"]),
                (steps, FEATURES),
                BATCH,
                settings["jit_compile"],
                warmup,
                repeats,
            )
    return results


# -- output -------------------------------------------------------------------


def ms_of(results, name, steps):
    record = results.get((name, steps))
    return None if record is None else record["ms"]


def rows_of(results, names, settings):
    rows = []
    first_t = min(settings["sizes"])
    for steps in settings["sizes"]:
        gru = ms_of(results, BASELINE, steps)
        for name in names:
            ms = ms_of(results, name, steps)
            record = results.get((name, steps))
            row = {"layer": name, "T": steps, "ms": ms}
            row["vs_gru"] = None if name == BASELINE else ratio(ms, gru)
            row["par_seq"] = None
            if name.endswith(".parallel"):
                other = name.replace(".parallel", ".sequential")
                row["par_seq"] = ratio(ms, ms_of(results, other, steps))
            row["vs_t0"] = None
            if steps > first_t:
                row["vs_t0"] = ratio(ms, ms_of(results, name, first_t))
            row["notes"] = notes(record, settings)
            row["record"] = record
            rows.append(row)
    return rows


def notes(record, settings):
    if record is None:
        return "skipped"
    found = []
    if record["failures"] and record["ms"] is not None:
        found.append("failed with XLA, timed without")
    elif record["failures"]:
        found.append("failed")
    elif settings["jit_compile"] is True and record["jit_compile"] is not True:
        found.append("Keras turned XLA off")
    if record["repeats"] < settings["repeats"]:
        found.append(f"{record['repeats']} timed call(s)")
    return "; ".join(found)


def fmt(value, kind):
    if value is None:
        return "-"
    if kind == "ms":
        return f"{value:.2f}"
    return f"{value:.2f}x"


COLUMNS = (
    ("layer", "layer", "<"),
    ("T", "T", ">"),
    ("ms/step", "ms", ">"),
    ("vs GRU", "vs_gru", ">"),
    ("par/seq", "par_seq", ">"),
    ("vs T0", "vs_t0", ">"),
    ("notes", "notes", "<"),
)


def format_table(rows):
    cells = []
    for row in rows:
        line = []
        for _, key, _ in COLUMNS:
            value = row[key]
            if key in ("layer", "notes", "T"):
                line.append(str(value))
            else:
                line.append(fmt(value, "ms" if key == "ms" else "ratio"))
        cells.append(line)
    widths = [
        max([len(title)] + [len(line[i]) for line in cells])
        for i, (title, _, _) in enumerate(COLUMNS)
    ]

    def render(texts):
        parts = [
            f"{text:{align}{width}}"
            for text, width, (_, _, align) in zip(texts, widths, COLUMNS)
        ]
        return "  ".join(parts).rstrip()

    lines = [render([title for title, _, _ in COLUMNS])]
    lines.append("  ".join("-" * width for width in widths))
    lines += [render(line) for line in cells]
    return "\n".join(lines)


def format_failures(rows):
    lines = [
        f"  {row['layer']} T={row['T']}: {failure}"
        for row in rows
        if row["record"]
        for failure in row["record"]["failures"]
    ]
    return "\n".join(["failures:"] + lines) if lines else ""


def header(settings):
    first_t = min(settings["sizes"])
    return "\n".join(
        [
            f"backend {settings['backend']} ({settings['backend_version']}), "
            f"keras {keras.__version__}, python {platform.python_version()}",
            f"threads: {settings['threads_used']}",
            f"compile(jit_compile={settings['jit_compile']!r}) for every model",
            f"step: train_on_batch of Input((T, {FEATURES})) -> layer("
            f"{settings['units']}) -> Dense(1), batch {BATCH}, MSE, Adam",
            f"time: median of {settings['repeats']} timed calls after "
            f"{settings['warmup']} untimed",
            f"vs GRU: ours / keras.layers.GRU; par/seq: parallel / "
            f"sequential; vs T0: ours / ours at T={first_t} (linear: "
            f"T/{first_t})",
        ]
    )


# -- backend set-up -----------------------------------------------------------


# -- command line -------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Training-step time of MinGRU/MinLSTM (sequential "
        "and parallel) against keras.layers.GRU (KERAS_BACKEND picks the "
        "backend)."
    )
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=int,
        metavar="T",
        help="sequence lengths (default: 128 1024 4096)",
    )
    parser.add_argument(
        "--layers",
        nargs="+",
        metavar="NAME",
        help=f"layers or groups: {', '.join(LAYERS)}; groups min_gru, "
        "min_lstm, sequential, parallel (default: all)",
    )
    parser.add_argument("--units", type=int, help=f"H (default {UNITS})")
    parser.add_argument(
        "--repeats",
        type=int,
        help=f"timed calls per model, median reported (default {REPEATS})",
    )
    parser.add_argument(
        "--slow-repeats",
        type=int,
        default=1,
        help=f"torch: timed calls of keras GRU from T={SLOW_T} (default 1)",
    )
    parser.add_argument(
        "--keras-max-t",
        type=int,
        help="skip keras GRU above this T (default: "
        f"{TORCH_KERAS_MAX_T} on torch, no limit elsewhere)",
    )
    parser.add_argument(
        "--threads", type=int, help="torch/tensorflow thread count"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: T = 8 and 16, H = 4, one timed call",
    )
    parser.add_argument("--json", metavar="PATH", help="also write JSON")
    args = parser.parse_args(argv)
    for flag in ("units", "repeats", "slow_repeats", "threads"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            parser.error(f"--{flag.replace('_', '-')} must be at least 1")
    if args.sizes and min(args.sizes) < 1:
        parser.error("--sizes must be positive")
    return args


def select(requested):
    if not requested:
        return list(LAYERS)
    items = [i.strip() for arg in requested for i in arg.split(",")]
    picked = []
    for item in filter(None, items):
        matches = [
            name
            for name in LAYERS
            if name == item
            or name.startswith(item + ".")
            or name.endswith("." + item)
        ]
        if not matches:
            raise SystemExit(
                f"--layers: unknown {item!r}; choose from {', '.join(LAYERS)}"
                " or a group (min_gru, min_lstm, sequential, parallel)"
            )
        picked += [name for name in matches if name not in picked]
    return [name for name in LAYERS if name in picked]


def make_settings(args):
    backend = keras.backend.backend()
    keras_max_t = args.keras_max_t
    if keras_max_t is None and backend == "torch":
        keras_max_t = TORCH_KERAS_MAX_T
    return {
        "backend": backend,
        "backend_version": backend_version(backend),
        "keras_version": keras.__version__,
        "threads_used": configure_threads(backend, args.threads),
        "jit_compile": True if backend == "tensorflow" else "auto",
        "sizes": sorted(args.sizes or (QUICK_SIZES if args.quick else SIZES)),
        "units": args.units or (QUICK_UNITS if args.quick else UNITS),
        "repeats": args.repeats or (1 if args.quick else REPEATS),
        "warmup": 1 if args.quick else WARMUP,
        "slow_repeats": args.slow_repeats,
        "keras_max_t": keras_max_t,
        "batch": BATCH,
        "features": FEATURES,
        "quick": args.quick,
    }


def main(argv=None):
    args = parse_args(argv)
    names = select(args.layers)
    settings = make_settings(args)
    rows = rows_of(run(names, settings), names, settings)
    parts = [header(settings), "", format_table(rows)]
    failures = format_failures(rows)
    if failures:
        parts += ["", failures]
    print("\n".join(parts))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"settings": settings, "rows": rows}, handle, indent=2)
            handle.write("\n")
        progress(f"wrote {args.json}")


if __name__ == "__main__":
    main()
