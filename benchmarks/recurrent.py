"""Training-step time of the keras_seqlab recurrent layers against Keras's.

Each of our layers is compared with its Keras built-in counterpart of the
same size, measured in the same process, on the backend that
`KERAS_BACKEND` selects:

- `PeepholeLSTM` against `keras.layers.LSTM`;
- `GRUVariant(variant=v)` against `keras.layers.GRU()`, except
  `"reset_before"` against `keras.layers.GRU(reset_after=False)`;
- `LNSimpleRNN` (both forms) against `keras.layers.SimpleRNN` and, as a
  second, fair baseline that normalizes inside the recurrence too,
  `keras.layers.RNN` over a cell made of Keras's `SimpleRNNCell` and
  `LayerNormalization` (the same equations, as in tests/test_oracles.py).

The model is `Input((T, D)) -> layer(H) -> Dense(1)`, compiled with Adam and
MSE (on TensorFlow with `jit_compile=True`, ours and Keras's alike; a model
that fails under XLA is reported and timed again without it). One step is
one `model.train_on_batch` on a batch of 64 (forward, backward, optimizer
update); the first calls build and compile and are not timed; the figure is
the median of the timed calls. Only ratios measured in one process mean
anything: nothing here asserts an absolute time.

On PyTorch, Keras's LSTM and GRU take 10-30 s per step at T = 512 on a
small CPU (their backward pass grows with T²), so from T = 256 on they get
one warm-up call and `--slow-repeats` timed calls. Three more columns
show there: `scale`, our time over our time at the smallest size measured
for the layer (target at most 12x for T = 512 against T = 50, D = 1,
H = 20), `scale D,H`, our time over our time at the smallest T with the
same D and H (T-scaling alone; the default sizes include (50, 16, 64) for
it), and `vs LSTM`, our time over `keras.layers.LSTM`'s at the same size
(target at most 0.1x at T = 512).

Run it from the repository root, one backend per process:

    KERAS_BACKEND=jax PYTHONPATH=. python benchmarks/recurrent.py
    KERAS_BACKEND=tensorflow PYTHONPATH=. python benchmarks/recurrent.py \\
        --sizes 50,1,20 90,9,32 --layers peephole_lstm,gru --json tf.json
    KERAS_BACKEND=torch PYTHONPATH=. python benchmarks/recurrent.py \\
        --threads 1
    KERAS_BACKEND=torch PYTHONPATH=. python benchmarks/recurrent.py --quick

`--quick` runs tiny sizes with one timed call: a smoke test of the script,
not a measurement. `--help` lists every option.
"""

import argparse
import functools
import json
import platform

import _timing
import keras
from _backend import backend_version
from _backend import configure_threads
from _timing import progress
from _timing import ratio

import keras_seqlab

BATCH = 64
SIZES = ((50, 1, 20), (90, 9, 32), (50, 16, 64), (512, 16, 64))
QUICK_SIZES = ((8, 2, 4), (16, 2, 4))
REPEATS = 5
WARMUP = 2
QUICK_WARMUP = 1
SLOW_T = 256
SLOW_WARMUP = 1
LN_RNN = "RNN(SimpleRNNCell+LayerNorm)"
LN_RNN_ADDONS = "RNN(SimpleRNNCell+LayerNorm, addons)"
SLOW_BASELINES = (
    "LSTM",
    "GRU",
    "GRU(reset_after=False)",
    LN_RNN,
    LN_RNN_ADDONS,
)
TARGET_T = 512
SCALE_FROM = (50, 1, 20)
SCALE_TARGET = 12.0
VS_LSTM_TARGET = 0.1


class KerasLNSimpleRNNCell(keras.layers.Layer):
    """Keras's SimpleRNNCell + LayerNormalization inside the recurrence.

    Textbook form: h = tanh(LayerNorm(x W + h U + b)), epsilon 1e-3.
    Addons form (`addons=True`): h = tanh(gamma * norm(x W + h U) + beta),
    no SimpleRNN bias (beta plays its role), epsilon 1e-5. The same cell
    as the oracle of tests/test_oracles.py.
    """

    def __init__(self, units, addons=False, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units
        self.simple = keras.layers.SimpleRNNCell(
            units, activation=None, use_bias=not addons
        )
        self.norm = keras.layers.LayerNormalization(
            epsilon=1e-5 if addons else 1e-3
        )

    def build(self, input_shape):
        self.simple.build(input_shape)
        self.norm.build((input_shape[0], self.units))

    def call(self, inputs, states):
        out, _ = self.simple(inputs, states)
        h = keras.activations.tanh(self.norm(out))
        return h, [h]


def keras_ln_simple_rnn(units, addons=False):
    return keras.layers.RNN(KerasLNSimpleRNNCell(units, addons=addons))


BASELINES = {
    "LSTM": keras.layers.LSTM,
    "GRU": keras.layers.GRU,
    "GRU(reset_after=False)": functools.partial(
        keras.layers.GRU, reset_after=False
    ),
    "SimpleRNN": keras.layers.SimpleRNN,
    LN_RNN: keras_ln_simple_rnn,
    LN_RNN_ADDONS: functools.partial(keras_ln_simple_rnn, addons=True),
}


# -- what is measured ---------------------------------------------------------


def layer_specs():
    """Our layers by benchmark name.

    Each is (layer factory, Keras counterpart, second baseline or None).
    """
    specs = {"peephole_lstm": (keras_seqlab.PeepholeLSTM, "LSTM", None)}
    for variant in keras_seqlab.GRU_VARIANTS:
        counterpart = "GRU"
        if variant == "reset_before":
            counterpart = "GRU(reset_after=False)"
        factory = functools.partial(keras_seqlab.GRUVariant, variant=variant)
        specs[f"gru.{variant}"] = (factory, counterpart, None)
    for form, second in (("textbook", LN_RNN), ("addons", LN_RNN_ADDONS)):
        factory = functools.partial(keras_seqlab.LNSimpleRNN, form=form)
        specs[f"ln_simple_rnn.{form}"] = (factory, "SimpleRNN", second)
    return specs


def select_layers(requested, names):
    """Names picked by `--layers`: exact names or groups (`gru`)."""
    if not requested:
        return list(names)
    picked = []
    for item in requested:
        matches = [n for n in names if n == item or n.startswith(item + ".")]
        if not matches:
            raise SystemExit(
                f"--layers: unknown layer {item!r}; choose from "
                f"{', '.join(names)} or a group (peephole_lstm, gru, "
                "ln_simple_rnn)."
            )
        picked.extend(n for n in matches if n not in picked)
    return picked


# -- timing -------------------------------------------------------------------


def measure(make_layer, size, settings, warmup, repeats):
    """The record of `make_layer(H)` at size `(T, D, H)`."""
    steps, features, units = size
    return _timing.measure(
        functools.partial(make_layer, units),
        (steps, features),
        BATCH,
        settings["jit_compile"],
        warmup,
        repeats,
    )


def baseline(name, size, settings, cache):
    """The Keras counterpart's record, measured once per size."""
    key = (name, size)
    if key not in cache:
        warmup, repeats = settings["warmup"], settings["repeats"]
        if is_slow_baseline(name, size, settings):
            warmup = SLOW_WARMUP
            repeats = min(repeats, settings["slow_repeats"])
        progress(f"  keras {name} {size_label(size)}")
        cache[key] = measure(BASELINES[name], size, settings, warmup, repeats)
    return cache[key]


def is_slow_baseline(name, size, settings):
    return (
        settings["backend"] == "torch"
        and name in SLOW_BASELINES
        and size[0] >= SLOW_T
    )


# -- the run ------------------------------------------------------------------


def run(selected, specs, settings):
    cache = {}
    rows = []
    for name in selected:
        make_layer, counterpart, second = specs[name]
        for size in settings["sizes"]:
            progress(f"{name} {size_label(size)}")
            ours = measure(
                make_layer,
                size,
                settings,
                settings["warmup"],
                settings["repeats"],
            )
            theirs = baseline(counterpart, size, settings, cache)
            row = make_row(name, counterpart, size, ours, theirs)
            if second is not None:
                other = baseline(second, size, settings, cache)
                row["second_layer"] = second
                row["second_ms"] = other["ms"]
                row["vs_second"] = ratio(ours["ms"], other["ms"])
                row["second"] = other
            if settings["backend"] == "torch":
                lstm = baseline("LSTM", size, settings, cache)
                row["keras_lstm_ms"] = lstm["ms"]
                row["vs_lstm"] = ratio(ours["ms"], lstm["ms"])
            rows.append(row)
    if settings["backend"] == "torch":
        add_scaling(rows)
    return rows


def make_row(name, counterpart, size, ours, theirs):
    steps, features, units = size
    return {
        "layer": name,
        "keras_layer": counterpart,
        "T": steps,
        "D": features,
        "H": units,
        "ours_ms": ours["ms"],
        "keras_ms": theirs["ms"],
        "ratio": ratio(ours["ms"], theirs["ms"]),
        "ours": ours,
        "keras": theirs,
    }


def add_scaling(rows):
    """`scale` and `scale_dh`: ours over ours at a smaller T.

    `scale` is against the layer's smallest size (smallest T, then the
    smallest D and H): the issue's ratio, T=512 (D=16, H=64) against T=50
    (D=1, H=20), which changes D and H too. `scale_dh` is against the
    smallest T with the same D and H: T-scaling alone.
    """
    for row in rows:
        same = [r for r in rows if r["layer"] == row["layer"]]
        first = min(same, key=lambda r: (r["T"], r["D"] * r["H"], r["H"]))
        row["scale_from"] = (first["T"], first["D"], first["H"])
        row["scale"] = None
        if row["T"] > first["T"]:
            row["scale"] = ratio(row["ours_ms"], first["ours_ms"])
        fixed = [r for r in same if (r["D"], r["H"]) == (row["D"], row["H"])]
        base = min(fixed, key=lambda r: r["T"])
        row["scale_dh_from_T"] = base["T"]
        row["scale_dh"] = None
        if row["T"] > base["T"]:
            row["scale_dh"] = ratio(row["ours_ms"], base["ours_ms"])


# -- backend set-up -----------------------------------------------------------


# -- output -------------------------------------------------------------------


def size_label(size):
    return "T={} D={} H={}".format(*size)


def fmt_ms(value):
    return "failed" if value is None else f"{value:.2f}"


def fmt_ratio(value):
    return "-" if value is None else f"{value:.2f}x"


def notes(row, requested):
    found = []
    for side in ("ours", "keras", "second"):
        record = row.get(side)
        if record is None:
            continue
        if record["failures"] and record["ms"] is not None:
            found.append(f"{side}: failed with XLA, timed without")
        elif record["failures"]:
            found.append(f"{side}: failed")
        elif requested is True and record["jit_compile"] is not True:
            found.append(f"{side}: Keras turned XLA off")
    fewer = row["keras"]["repeats"] < row["ours"]["repeats"]
    if fewer:
        found.append(f"keras: {row['keras']['repeats']} timed call(s)")
    second = row.get("second")
    if second is not None and second["repeats"] < row["ours"]["repeats"]:
        found.append(f"2nd: {second['repeats']} timed call(s)")
    return "; ".join(found)


def table_columns(backend, rows):
    columns = [
        ("layer", "layer", "<"),
        ("keras layer", "keras_layer", "<"),
        ("T", "T", ">"),
        ("D", "D", ">"),
        ("H", "H", ">"),
        ("ours ms/step", "ours_ms", ">"),
        ("keras ms/step", "keras_ms", ">"),
        ("ours/keras", "ratio", ">"),
    ]
    if any("second_layer" in row for row in rows):
        columns += [
            ("2nd keras layer", "second_layer", "<"),
            ("2nd ms/step", "second_ms", ">"),
            ("ours/2nd", "vs_second", ">"),
        ]
    if backend == "torch":
        columns += [
            ("scale", "scale", ">"),
            ("scale D,H", "scale_dh", ">"),
            ("vs LSTM", "vs_lstm", ">"),
        ]
    return columns + [("notes", "notes", "<")]


def cell_text(row, key, jit_compile):
    if key == "notes":
        return notes(row, jit_compile)
    if key not in row and key.startswith(("second", "vs_second")):
        return "-"
    value = row.get(key)
    if key.endswith("_ms"):
        return fmt_ms(value)
    if key in ("ratio", "scale", "scale_dh", "vs_lstm", "vs_second"):
        return fmt_ratio(value)
    return str(value)


def format_table(rows, settings):
    columns = table_columns(settings["backend"], rows)
    jit = settings["jit_compile"]
    keys = [key for _, key, _ in columns]
    cells = [[cell_text(row, key, jit) for key in keys] for row in rows]
    widths = [
        max([len(title)] + [len(line[i]) for line in cells])
        for i, (title, _, _) in enumerate(columns)
    ]
    lines = [
        format_line([title for title, _, _ in columns], widths, columns),
        "  ".join("-" * width for width in widths),
    ]
    lines += [format_line(line, widths, columns) for line in cells]
    return "\n".join(line.rstrip() for line in lines)


def format_line(texts, widths, columns):
    parts = []
    for text, width, (_, _, align) in zip(texts, widths, columns, strict=True):
        parts.append(f"{text:{align}{width}}")
    return "  ".join(parts)


def format_failures(rows):
    lines = []
    seen = set()
    for row in rows:
        for side in ("ours", "keras", "second"):
            if side not in row:
                continue
            label = {
                "ours": row["layer"],
                "keras": row["keras_layer"],
                "second": row.get("second_layer"),
            }[side]
            for failure in row[side]["failures"]:
                line = f"{label} T={row['T']}: {failure}"
                if line not in seen:
                    seen.add(line)
                    lines.append(line)
    if not lines:
        return ""
    return "\n".join(["failures:"] + [f"  {line}" for line in lines])


def format_targets(rows):
    """Torch: scaling and LSTM ratio of each layer at its largest T.

    The targets are set for T=512 (against T=50, D=1, H=20 for the
    scaling); at other sizes the ratios are shown but not judged. The
    scaling at fixed D and H is shown for information.
    """
    lines = [
        "torch targets (set for T=512; scaling against T=50, D=1, H=20; "
        "the scaling at fixed D,H is for information):"
    ]
    for name in dict.fromkeys(row["layer"] for row in rows):
        last = max(
            (r for r in rows if r["layer"] == name),
            key=lambda r: (r["T"], r["D"] * r["H"], r["H"]),
        )
        at_target = last["T"] == TARGET_T
        base = last["scale_from"]
        scale = target_text(
            "T={}/T={} (D={},H={})".format(last["T"], *base),
            last["scale"],
            SCALE_TARGET,
            at_target and base == SCALE_FROM,
        )
        fixed = "T={}/T={} at D={},H={} {}".format(
            last["T"],
            last["scale_dh_from_T"],
            last["D"],
            last["H"],
            fmt_ratio(last["scale_dh"]),
        )
        vs_lstm = target_text(
            f"vs keras LSTM at T={last['T']}",
            last["vs_lstm"],
            VS_LSTM_TARGET,
            at_target,
        )
        lines.append(f"  {name}: {scale}; {fixed}; {vs_lstm}")
    return "\n".join(lines)


def target_text(label, value, target, judged):
    if value is None:
        return f"{label} -"
    if not judged:
        return f"{label} {value:.2f}x (not judged)"
    verdict = "met" if value <= target else "MISSED"
    return f"{label} {value:.2f}x (target <= {target:g}x: {verdict})"


def header(settings):
    jit = settings["jit_compile"]
    return "\n".join(
        [
            f"backend {settings['backend']} ({settings['backend_version']}), "
            f"keras {keras.__version__}, python {platform.python_version()}",
            f"threads: {settings['threads_used']}",
            f"compile(jit_compile={jit!r}) for every model, ours and Keras's",
            "step: train_on_batch of Input((T, D)) -> layer(H) -> Dense(1), "
            f"batch {BATCH}, MSE, Adam",
            f"time: median of {settings['repeats']} timed calls after "
            f"{settings['warmup']} untimed (the first builds and compiles)",
        ]
    )


def report(rows, settings):
    parts = [header(settings), "", format_table(rows, settings)]
    if settings["backend"] == "torch":
        parts += ["", format_targets(rows)]
    failures = format_failures(rows)
    if failures:
        parts += ["", failures]
    return "\n".join(parts)


def write_json(path, rows, settings):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(
            {"settings": settings, "rows": rows},
            handle,
            indent=2,
            default=str,
        )
        handle.write("\n")


# -- command line -------------------------------------------------------------


def parse_size(text):
    try:
        size = tuple(int(part) for part in text.split(","))
    except ValueError:
        size = ()
    if len(size) != 3 or min(size) < 1:
        raise argparse.ArgumentTypeError(
            f"expected T,D,H as three positive integers, got {text!r}"
        )
    return size


def parse_args(argv, names):
    parser = argparse.ArgumentParser(
        description="Training-step time of the keras_seqlab recurrent "
        "layers against their Keras counterparts (KERAS_BACKEND picks "
        "the backend)."
    )
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=parse_size,
        metavar="T,D,H",
        help="sizes to run (default: 50,1,20 90,9,32 50,16,64 512,16,64)",
    )
    parser.add_argument(
        "--layers",
        nargs="+",
        metavar="NAME",
        help="layers or groups, comma or space separated: "
        f"{', '.join(names)}; groups peephole_lstm, gru, ln_simple_rnn",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        help=f"timed calls per model, median reported (default {REPEATS})",
    )
    parser.add_argument(
        "--slow-repeats",
        type=int,
        default=1,
        help="timed calls of Keras's LSTM/GRU/LN-RNN on torch from "
        f"T={SLOW_T} on (default 1)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="torch.set_num_threads (tensorflow: intra/inter-op threads); "
        "default: leave as is",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: T,D,H = 8,2,4 and 16,2,4, one timed call",
    )
    parser.add_argument(
        "--json", metavar="PATH", help="also write the results here"
    )
    args = parser.parse_args(argv)
    for flag in ("repeats", "slow_repeats", "threads"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            parser.error(f"--{flag.replace('_', '-')} must be at least 1")
    return args


def make_settings(args):
    backend = keras.backend.backend()
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    repeats = args.repeats or (1 if args.quick else REPEATS)
    return {
        "backend": backend,
        "backend_version": backend_version(backend),
        "keras_version": keras.__version__,
        "threads_used": configure_threads(backend, args.threads),
        "jit_compile": True if backend == "tensorflow" else "auto",
        "sizes": [tuple(size) for size in sizes],
        "repeats": repeats,
        "warmup": QUICK_WARMUP if args.quick else WARMUP,
        "slow_repeats": args.slow_repeats,
        "batch": BATCH,
        "quick": args.quick,
    }


def main(argv=None):
    specs = layer_specs()
    args = parse_args(argv, list(specs))
    requested = [
        item.strip()
        for arg in args.layers or []
        for item in arg.split(",")
        if item.strip()
    ]
    selected = select_layers(requested, list(specs))
    settings = make_settings(args)
    progress(f"threads: {settings['threads_used']}")
    rows = run(selected, specs, settings)
    print(report(rows, settings))
    if args.json:
        write_json(args.json, rows, settings)
        progress(f"wrote {args.json}")


if __name__ == "__main__":
    main()
