"""Windowing a long series: keras_seqlab against the teaching notebooks.

A (rows, 9) float32 series (1,000,000 rows by default) becomes inputs of
90 steps and the next value of column 0 as target, three ways:

- `ours`: `keras_seqlab.windows.make_windows` (read-only views, no copy)
  and, for an epoch, `WindowedSeries` (one shuffled batch at a time);
- `np.stack`: the list comprehension of the teaching notebooks,
  `np.stack([data[i : i + window] for i in range(rows - window)])`, then
  shuffled batches indexed out of the stacked array;
- `keras`: `keras.utils.timeseries_dataset_from_array(..., shuffle=True)`,
  iterated once. It needs TensorFlow; without it the row is skipped.

Two phases are measured:

- `windows`: every (input, target) pair made at once (keras has none: its
  windows exist one batch at a time);
- `epoch`: from the series to the end of one full epoch of shuffled
  batches of `--batch` (32) windows: for `np.stack` that includes
  stacking the windows, and the batches alone are shown as well.

Every measurement runs in a fresh subprocess, after the series is made:
the time (`time.perf_counter`), the growth of the peak resident memory
(`resource.getrusage`, max RSS) and, in a second subprocess, the
`tracemalloc` peak (numpy registers its buffers there; TensorFlow's
allocations are invisible to it). Only the ratios mean anything; the
targets are no window memory at all for `ours`, and an epoch faster than
either other way.

    KERAS_BACKEND=tensorflow PYTHONPATH=. python benchmarks/windows.py
    KERAS_BACKEND=jax PYTHONPATH=. python benchmarks/windows.py --quick

`--quick` runs 20,000 rows: a smoke test of the script, whose numbers mean
little. The full run needs about 4 GB of memory (the stacked windows take
3.2 GB) and a few minutes, `keras` alone 2-3 minutes on a small CPU.
"""

import argparse
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np

ROWS = 1_000_000
QUICK_ROWS = 20_000
COLUMNS = 9
WINDOW = 90
BATCH = 32
SEED = 0
MEASUREMENTS = (
    ("ours", "windows"),
    ("np.stack", "windows"),
    ("ours", "epoch"),
    ("np.stack", "epoch"),
    ("np.stack", "batches"),
    ("keras", "epoch"),
)
MB = 1024 * 1024


# -- what is measured (in the child process) ----------------------------------


def make_series(rows):
    rng = np.random.default_rng(SEED)
    return rng.standard_normal((rows, COLUMNS), dtype=np.float32)


def ours_windows(data, window, batch):
    from keras_seqlab.data.windows import make_windows

    x, y = make_windows(data, window, targets=0)
    return x.shape, y.shape


def stack_windows(data, window, batch=None):
    """The teaching notebooks' windows: a list comprehension, `np.stack`."""
    count = len(data) - window
    x = np.stack([data[i : i + window] for i in range(count)])
    y = np.array([data[i + window, 0] for i in range(count)])
    return x, y


def stack_shapes(data, window, batch):
    x, y = stack_windows(data, window)
    return x.shape, y.shape


def shuffled_batches(x, y, batch):
    """One epoch of shuffled batches gathered from whole arrays."""
    order = np.random.default_rng(SEED).permutation(len(x))
    count = 0
    for start in range(0, len(x), batch):
        rows = order[start : start + batch]
        xb, yb = x[rows], y[rows]
        count += len(xb)
    return count, xb.shape, yb.shape


def ours_epoch(data, window, batch):
    from keras_seqlab.data.pydataset import WindowedSeries

    dataset = WindowedSeries(
        data, window, targets=0, batch_size=batch, shuffle=True, seed=SEED
    )
    count = 0
    for index in range(len(dataset)):
        xb, yb = dataset[index]
        count += len(xb)
    return count, xb.shape, yb.shape


def stack_epoch(data, window, batch):
    x, y = stack_windows(data, window)
    return shuffled_batches(x, y[:, None], batch)


def keras_epoch(data, window, batch):
    import keras

    dataset = keras.utils.timeseries_dataset_from_array(
        data,
        data[window:, 0],
        sequence_length=window,
        batch_size=batch,
        shuffle=True,
        seed=SEED,
    )
    count = 0
    for batch in dataset:
        count += int(batch[0].shape[0])
    return count, tuple(batch[0].shape), tuple(batch[1].shape)


WORK = {
    ("ours", "windows"): ours_windows,
    ("np.stack", "windows"): stack_shapes,
    ("ours", "epoch"): ours_epoch,
    ("np.stack", "epoch"): stack_epoch,
    ("keras", "epoch"): keras_epoch,
}


def max_rss_mb():
    # Linux reports KiB, macOS bytes.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / MB


def child(method, phase, rows, window, batch, memory):
    """Runs one measurement; returns its result as a dict."""
    data = make_series(rows)
    if (method, phase) == ("np.stack", "batches"):
        x, y = stack_windows(data, window)
        work, args = shuffled_batches, (x, y[:, None], batch)
    else:
        work, args = WORK[method, phase], (data, window, batch)
    # Imports happen before the clock starts.
    if method == "keras":
        import keras  # noqa: F401
        import tensorflow  # noqa: F401
    if method == "ours":
        from keras_seqlab.data import windows  # noqa: F401

    result = {"method": method, "phase": phase}
    if memory == "tracemalloc":
        tracemalloc.start()
        work(*args)
        result["tracemalloc_mb"] = tracemalloc.get_traced_memory()[1] / MB
        tracemalloc.stop()
        return result
    before = max_rss_mb()
    start = time.perf_counter()
    shapes = work(*args)
    result["seconds"] = time.perf_counter() - start
    result["rss_growth_mb"] = max_rss_mb() - before
    result["shapes"] = repr(shapes)
    return result


# -- the parent: one subprocess per measurement --------------------------------


def has_tensorflow():
    return importlib.util.find_spec("tensorflow") is not None


def run_child(method, phase, settings, memory):
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        method,
        phase,
        memory,
        "--rows",
        str(settings["rows"]),
        "--window",
        str(settings["window"]),
        "--batch",
        str(settings["batch"]),
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-3:]
        return {"error": " | ".join(tail) or f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(method, phase, settings):
    progress(f"{method} {phase} ...")
    row = {"method": method, "phase": phase}
    if method == "keras" and not has_tensorflow():
        row["skipped"] = "needs TensorFlow, not installed here"
        return row
    row.update(run_child(method, phase, settings, "rss"))
    if "error" not in row and method != "keras":
        row.update(run_child(method, phase, settings, "tracemalloc"))
    return row


def progress(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr)


# -- the report ----------------------------------------------------------------


PHASE_TEXT = {
    "windows": "all windows",
    "epoch": "series -> 1 epoch",
    "batches": "1 epoch, batches only",
}


def fmt(value, spec):
    if value is None:
        width = spec.split(".")[0]
        return format("n/a", f">{width}" if width else "")
    return format(value, spec)


def ratio(ours, theirs):
    if ours is None or theirs is None or theirs <= 0:
        return None
    return ours / theirs


def find(rows, method, phase):
    for row in rows:
        if row["method"] == method and row["phase"] == phase:
            return row
    return {}


def table(rows):
    lines = [
        f"{'method':<10} {'phase':<22} {'seconds':>9} {'tracemalloc MB':>15} "
        f"{'max RSS +MB':>12}  notes"
    ]
    for row in rows:
        note = row.get("skipped") or row.get("error") or ""
        lines.append(
            f"{row['method']:<10} {PHASE_TEXT[row['phase']]:<22} "
            f"{fmt(row.get('seconds'), '9.4f')} "
            f"{fmt(row.get('tracemalloc_mb'), '15.2f')} "
            f"{fmt(row.get('rss_growth_mb'), '12.1f')}  {note}"
        )
    return "\n".join(lines)


def ratios(rows):
    ours_w = find(rows, "ours", "windows")
    stack_w = find(rows, "np.stack", "windows")
    ours_e = find(rows, "ours", "epoch")
    lines = ["ratios (ours / theirs; below 1 is ours smaller or faster):"]
    for name, key in (
        ("time", "seconds"),
        ("tracemalloc peak", "tracemalloc_mb"),
    ):
        value = ratio(ours_w.get(key), stack_w.get(key))
        lines.append(
            f"  all windows, {name}, ours / np.stack: {fmt(value, '.4f')}"
        )
    for method, phase in (
        ("np.stack", "epoch"),
        ("np.stack", "batches"),
        ("keras", "epoch"),
    ):
        value = ratio(
            ours_e.get("seconds"), find(rows, method, phase).get("seconds")
        )
        lines.append(
            f"  {PHASE_TEXT['epoch']}, time, ours / {method} "
            f"({PHASE_TEXT[phase]}): {fmt(value, '.4f')}"
        )
    return "\n".join(lines)


def targets(rows, settings):
    window_bytes = find(rows, "ours", "windows").get("tracemalloc_mb")
    stacked_mb = settings["rows"] * settings["window"] * COLUMNS * 4 / MB
    ours = find(rows, "ours", "epoch").get("seconds")
    others = [
        find(rows, m, "epoch").get("seconds") for m in ("np.stack", "keras")
    ]
    others = [value for value in others if value is not None]
    lines = ["targets:"]
    if window_bytes is not None:
        met = window_bytes < 1.0
        lines.append(
            f"  windows without extra memory (< 1 MB traced): "
            f"{window_bytes:.3f} MB (stacked: {stacked_mb:.0f} MB) -> "
            f"{'met' if met else 'NOT met'}"
        )
    if ours is not None and others:
        met = all(ours < other for other in others)
        lines.append(
            f"  one epoch faster than np.stack and keras: "
            f"{'met' if met else 'NOT met'}"
            + ("" if len(others) == 2 else " (keras not measured)")
        )
    return "\n".join(lines)


def report(rows, settings):
    header = (
        f"windowing {settings['rows']:,} x {COLUMNS} float32, window "
        f"{settings['window']}, batch {settings['batch']}, shuffled; "
        f"numpy {np.__version__}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs"
        + ("; --quick: a smoke test" if settings["quick"] else "")
    )
    return "\n\n".join(
        [header, table(rows), ratios(rows), targets(rows, settings)]
    )


# -- command line --------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--rows", type=int, default=None, help=f"default {ROWS:,}"
    )
    parser.add_argument("--window", type=int, default=WINDOW)
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_ROWS:,} rows: a smoke test",
    )
    parser.add_argument(
        "--skip",
        default="",
        help="comma-separated methods to leave out (ours, np.stack, keras)",
    )
    parser.add_argument("--json", help="also write the rows to this file")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    rows_count = args.rows or (QUICK_ROWS if args.quick else ROWS)
    if args.child:
        method, phase, memory = args.child
        print(
            json.dumps(
                child(
                    method, phase, rows_count, args.window, args.batch, memory
                )
            )
        )
        return
    settings = {
        "rows": rows_count,
        "window": args.window,
        "batch": args.batch,
        "quick": args.quick,
    }
    skip = {name.strip() for name in args.skip.split(",") if name.strip()}
    rows = [
        measure(method, phase, settings)
        for method, phase in MEASUREMENTS
        if method not in skip
    ]
    print(report(rows, settings))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"settings": settings, "rows": rows}, handle, indent=2)
        progress(f"wrote {args.json}")


if __name__ == "__main__":
    main()
