"""Windows over many series: memory and one epoch's batches.

10,000 series x 1,000 steps (one float32 column: 40 MB of values) become
windows of 30 steps and the next 5 values, every window of every series,
shuffled, in batches of `--batch` (256):

- `panel`: `panel_windows` over a `Panel` (per-series offsets and window
  counts; each batch gathered on request; the shuffle is a keyed
  permutation computed batch by batch), iterated once;
- `one series`: the same values as one long series through
  `WindowedSeries` (zero-copy views, a permutation array per epoch), the
  baseline a user has today; its windows cross the series' borders;
- `np.stack`: every window stacked into one array, as the notebooks do
  (memory only, from the arithmetic: it does not fit a small machine).

Memory is the `tracemalloc` peak above the values (numpy registers its
buffers there), for building the windows and for the epoch, measured in
a second pass; time is the epoch's wall time, untraced. Printed: the
numbers and the ratios to the values and to the one-series epoch.

    KERAS_BACKEND=jax PYTHONPATH=. python benchmarks/panel_windows.py
    ... --series 1000 --steps 1000  # a quicker run
"""

import argparse
import json
import time
import tracemalloc

import numpy as np

from keras_seqlab.data.panel import Panel
from keras_seqlab.data.panel_windows import panel_windows
from keras_seqlab.data.panel_windows import shuffled
from keras_seqlab.data.pydataset import WindowedSeries

WINDOW, HORIZON = 30, 5


def _values(series, steps):
    rng = np.random.default_rng(0)
    return rng.standard_normal((series * steps, 1)).astype("float32")


def _panel(values, series, steps):
    return Panel(
        ids=np.array([f"s{i:05d}" for i in range(series)]),
        offsets=np.arange(0, (series + 1) * steps, steps, dtype="int64"),
        values=values,
        columns=("y",),
    )


def _measure(make, epoch):
    """(seconds of the epoch, peak bytes building, peak bytes epoch,
    windows seen): the time untraced, the memory in a second, traced
    pass (tracing slows every allocation)."""
    built = make()
    start = time.perf_counter()
    count = epoch(built)
    seconds = time.perf_counter() - start
    del built
    tracemalloc.start()
    built = make()
    _, build_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    epoch(built)
    _, epoch_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, build_peak, epoch_peak, count


def _panel_epoch(batch):
    def run(windows):
        n, seen = len(windows), 0
        for start in range(0, n, batch):
            rows = shuffled(np.arange(start, min(start + batch, n)), n, [0, 0])
            x, y = windows.batch(rows)
            seen += len(x)
        return seen

    return run


def _series_epoch(dataset):
    seen = 0
    for k in range(len(dataset)):
        x, y = dataset[k]
        seen += len(x)
    return seen


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=1_000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args()
    values = _values(args.series, args.steps)
    panel = _panel(values, args.series, args.steps)
    size = values.nbytes
    rows = {}
    rows["panel"] = _measure(
        lambda: panel_windows(panel, WINDOW, HORIZON),
        _panel_epoch(args.batch),
    )
    rows["one series"] = _measure(
        lambda: WindowedSeries(
            values,
            WINDOW,
            horizon=HORIZON,
            targets=0,
            batch_size=args.batch,
            shuffle=True,
            seed=0,
        ),
        _series_epoch,
    )
    windows = args.series * (args.steps - WINDOW - HORIZON + 1)
    stacked = windows * (WINDOW + HORIZON) * 4
    print(
        f"{args.series} series x {args.steps} steps: values "
        f"{size / 2**20:.1f} MiB; window {WINDOW}, horizon {HORIZON}, "
        f"batch {args.batch}"
    )
    print(
        f"{'':<11}{'windows':>11}{'build MiB':>11}{'epoch MiB':>11}"
        f"{'x values':>10}{'epoch s':>9}{'x one':>7}"
    )
    base = rows["one series"][0]
    report = {"values_bytes": size, "stacked_bytes": stacked}
    for name, (seconds, build, epoch, count) in rows.items():
        extra = max(build, epoch)
        print(
            f"{name:<11}{count:>11,}{build / 2**20:>11.1f}"
            f"{epoch / 2**20:>11.1f}{(size + extra) / size:>10.2f}"
            f"{seconds:>9.1f}{seconds / base:>7.2f}"
        )
        report[name] = dict(
            seconds=seconds, build_peak=build, epoch_peak=epoch, windows=count
        )
    print(
        f"{'np.stack':<11}{windows:>11,}{stacked / 2**20:>11.0f}"
        f"{'':>11}{(size + stacked) / size:>10.1f}"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=1)


if __name__ == "__main__":
    main()
