"""Training-step time of WaveNet against keras.layers.LSTM.

The two see the same window: the WaveNet's dilations are 1, 2, 4, … up to
the smallest stack whose receptive field R = 1 + (k − 1)·Σd covers the T
steps of the input (k = 2: dilations 1 … T/2, R = T), and the LSTM reads
all T steps. Each model is `Input((T, D)) -> layer(H) -> Dense(1)`
(WaveNet with `filters=H` and `return_sequences=False`, LSTM with `units=H`),
compiled with Adam and MSE; on TensorFlow with `jit_compile=True`, ours and
Keras's alike (a model that fails under XLA is timed again without it and
the notes say so). One step is one `model.train_on_batch` on a batch of 64;
the first calls build and compile and are not timed; the figure is the
median of the timed calls. Only the ratio, measured in one process, means
anything: nothing here asserts an absolute time.

Rows: `wavenet` (the gated residual stack) and `wavenet_plain`
(`gated=False`, the textbook causal ReLU stack), each against `LSTM` of the
same size. On PyTorch, Keras's LSTM costs seconds per step from T = 256 on
(its backward pass grows with T²); `--lstm-repeats` caps its timed calls.

Run it from the repository root, one backend per process:

    KERAS_BACKEND=tensorflow PYTHONPATH=. python benchmarks/wavenet.py
    KERAS_BACKEND=jax PYTHONPATH=. python benchmarks/wavenet.py \\
        --sizes 64,4,32 256,4,32 --json jax.json
    KERAS_BACKEND=torch PYTHONPATH=. python benchmarks/wavenet.py --threads 1
    KERAS_BACKEND=jax PYTHONPATH=. python benchmarks/wavenet.py --quick

`--quick` runs tiny sizes with one timed call: a smoke test of the script,
not a measurement.
"""

import argparse
import functools
import json
import os
import platform
import sys

import keras
from _backend import configure_threads
from _timing import measure
from _timing import progress

from keras_seqlab.layers.convolutional.causal_conv import receptive_field
from keras_seqlab.layers.convolutional.wavenet_stack import WaveNet

BATCH = 64
KERNEL_SIZE = 2
SIZES = tuple((t, 4, h) for t in (64, 256) for h in (16, 32, 64))
QUICK_SIZES = ((16, 2, 4), (32, 2, 4))
REPEATS = 5
WARMUP = 2
LAYERS = {
    "wavenet": True,  # gated
    "wavenet_plain": False,
}


def dilations_for(steps, kernel_size=KERNEL_SIZE):
    """1, 2, 4, … up to the first stack whose receptive field covers T."""
    dilations = [1]
    while receptive_field(kernel_size, dilations) < steps:
        dilations.append(2 * dilations[-1])
    return tuple(dilations)


def make_wavenet(size, gated):
    steps, _, units = size
    return WaveNet(
        units,
        dilations=dilations_for(steps),
        kernel_size=KERNEL_SIZE,
        gated=gated,
        return_sequences=False,
    )


def make_lstm(size):
    return keras.layers.LSTM(size[2])


# -- the run -----------------------------------------------------------------


def run(settings):
    rows = []
    for size in settings["sizes"]:
        progress(f"T={size[0]} D={size[1]} H={size[2]}: LSTM")
        lstm = measure(
            functools.partial(make_lstm, size),
            size[:2],
            BATCH,
            settings["jit_compile"],
            settings["warmup"],
            settings["lstm_repeats"],
        )
        for name in settings["layers"]:
            progress(f"T={size[0]} D={size[1]} H={size[2]}: {name}")
            ours = measure(
                functools.partial(make_wavenet, size, LAYERS[name]),
                size[:2],
                BATCH,
                settings["jit_compile"],
                settings["warmup"],
                settings["repeats"],
            )
            rows.append(
                {
                    "layer": name,
                    "T": size[0],
                    "D": size[1],
                    "H": size[2],
                    "blocks": len(dilations_for(size[0])),
                    "R": receptive_field(KERNEL_SIZE, dilations_for(size[0])),
                    "ours": ours,
                    "lstm": lstm,
                }
            )
    return rows


# -- report -------------------------------------------------------------------


def _notes(row, jit_compile):
    notes = []
    for who in ("ours", "lstm"):
        record = row[who]
        if record["ms"] is None:
            notes.append(f"{who} failed")
        elif jit_compile is True and record["jit_compile"] is not True:
            notes.append(f"{who} without XLA")
    return ", ".join(notes)


def format_table(rows, jit_compile):
    header = (
        "layer",
        "T",
        "D",
        "H",
        "blocks",
        "R",
        "ours ms/step",
        "LSTM ms/step",
        "ours/LSTM",
        "notes",
    )

    def ms(record):
        return "-" if record["ms"] is None else f"{record['ms']:.1f}"

    lines = []
    for row in rows:
        ours, lstm = row["ours"]["ms"], row["lstm"]["ms"]
        ratio = "-" if None in (ours, lstm) else f"{ours / lstm:.2f}x"
        lines.append(
            (
                row["layer"],
                str(row["T"]),
                str(row["D"]),
                str(row["H"]),
                str(row["blocks"]),
                str(row["R"]),
                ms(row["ours"]),
                ms(row["lstm"]),
                ratio,
                _notes(row, jit_compile),
            )
        )
    widths = [max(len(r[i]) for r in [header, *lines]) for i in range(10)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*line).rstrip() for line in lines]
    failures = [
        f"  {row['layer']} T={row['T']} H={row['H']} {who}: {failure}"
        for row in rows
        for who in ("ours", "lstm")
        for failure in row[who]["failures"]
    ]
    if failures:
        out += ["", "failures:"] + failures
    return "\n".join(out)


def parse_size(text):
    try:
        steps, features, units = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected T,D,H (three integers), got {text!r}"
        ) from None
    if min(steps, features, units) < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive: {text!r}")
    return steps, features, units


def parse_layers(text):
    names = [n for n in text.split(",") if n]
    unknown = [n for n in names if n not in LAYERS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown layer(s) {unknown}; choose from {', '.join(LAYERS)}"
        )
    return names


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=parse_size, default=None)
    parser.add_argument(
        "--layers", type=parse_layers, default=list(LAYERS), metavar="NAMES"
    )
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument(
        "--lstm-repeats",
        type=int,
        default=None,
        help="timed calls of keras.layers.LSTM (default: --repeats)",
    )
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None, metavar="PATH")
    args = parser.parse_args(argv)

    backend = keras.backend.backend()
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    repeats = 1 if args.quick else args.repeats
    settings = {
        "backend": backend,
        "keras": keras.__version__,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "threads": configure_threads(keras.backend.backend(), args.threads),
        "batch": BATCH,
        "kernel_size": KERNEL_SIZE,
        "sizes": [tuple(s) for s in sizes],
        "layers": args.layers,
        "repeats": repeats,
        "lstm_repeats": min(repeats, args.lstm_repeats or repeats),
        "warmup": 1 if args.quick else WARMUP,
        "jit_compile": True if backend == "tensorflow" else "auto",
    }
    rows = run(settings)
    print(
        f"backend {backend}, keras {keras.__version__}, batch {BATCH}, "
        f"k={KERNEL_SIZE}, threads {settings['threads']}, "
        f"jit_compile={settings['jit_compile']}, median of "
        f"{settings['repeats']} (LSTM {settings['lstm_repeats']}) calls"
    )
    print(format_table(rows, settings["jit_compile"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"settings": settings, "rows": rows}, f, indent=2)
    failed = any(r[w]["ms"] is None for r in rows for w in ("ours", "lstm"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
