"""The `seqlab` command line.

    seqlab check [--cells NAME,NAME] [--list]
    seqlab compare [--dataset synthetic|weather | --csv PATH --target COL]
                   [--models a,b,c] [--epochs N] [--window T] [--horizon H]
                   [--limit N] [--seed S] [--out DIR] ...
    seqlab reproduce geron|basel [--rows A,B] [--seeds N] [--quick]
                     [--out DIR]
    seqlab tune ARCH [--dataset ... | --csv PATH --target COL]
                [--tuner random|bayesian|hyperband] [--max-trials N]
                [--epochs N] [--set NAME=VALUE] [--out DIR] [--overwrite]
                [--chief | --worker ID] [--oracle HOST:PORT] [--lease S]
                [--token TOKEN] [--tls-cert PEM] [--tls-key PEM]
    seqlab export MODEL --format onnx|tf_saved_model|litert [--out PATH]
                  [--step]

`check` runs every cell against the pure-Python reference on the current
Keras backend (set KERAS_BACKEND) and prints one row per cell: the largest
absolute error of the forward values and of the gradients, and pass/fail
at 1e-5. It exits with status 1 if any cell fails.

`compare` trains every architecture of `keras_seqlab.models` (or those of
`--models`) on one data set, prints a leaderboard (validation and test
scores, parameters, training time) with progress on stderr while it
trains, and writes `results.json`, `leaderboard.txt` and PNG plots to
`--out`. Bad settings print one line and exit with status 2.

`reproduce geron|basel` reruns the published experiments of the
textbooks with their settings and compares ours with the published
values (`keras_seqlab.experiments.reproduce`).

`tune` runs a keras-tuner search over one architecture's space
(`keras_seqlab.tuning`), prints progress and the best trials, writes the
best model and `summary.json`, and scores the best model and the untuned
builder on the test split. Run again, it resumes; `--chief` and
`--worker ID` split it over processes or machines.

`export` writes a saved model (or its streaming step model) as an ONNX
file, a TensorFlow SavedModel or a LiteRT file that runs without
keras_seqlab (`keras_seqlab.deploy`).
"""

import argparse
import os
import sys
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version

from keras_seqlab.cli import backtest
from keras_seqlab.cli import export
from keras_seqlab.cli import forecast
from keras_seqlab.cli import reproduce
from keras_seqlab.cli import tune
from keras_seqlab.cli.options import BadArguments
from keras_seqlab.cli.options import Parser
from keras_seqlab.cli.options import add_baselines
from keras_seqlab.cli.options import data_parser
from keras_seqlab.cli.options import floats
from keras_seqlab.cli.options import settings
from keras_seqlab.cli.options import widths
from keras_seqlab.cli.runner import Refused
from keras_seqlab.cli.runner import command
from keras_seqlab.utils.backend import PREFERENCE
from keras_seqlab.utils.backend import installed


def package_version():
    try:
        return version("keras-seqlab")
    except PackageNotFoundError:  # run from a checkout, not installed
        import keras_seqlab

        return keras_seqlab.__version__


def _check_cases(args):
    """The cases `seqlab check` runs and its JAX compilation cache folder
    (None: none, or not JAX); None for `--list`."""
    from keras_seqlab.testing import reference_check as check

    if args.list:
        return None
    cases = check.CASES
    if args.cells:
        wanted = [n.strip() for n in args.cells.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in check.CASES_BY_NAME]
        if unknown:
            raise Refused(
                f"unknown cell {', '.join(map(repr, unknown))}; "
                "see `seqlab check --list`."
            )
        cases = [check.CASES_BY_NAME[n] for n in wanted]
    return cases, _check_cache(args)


def _check(args, plan):
    import keras

    from keras_seqlab.testing import reference_check as check

    if plan is None:
        print("\n".join(c.name for c in check.CASES))
        return 0
    cases, cache = plan
    print(
        f"keras {keras.__version__}, backend {keras.backend.backend()}: "
        f"{len(cases)} layers vs the pure-Python reference "
        f"(tolerance {check.TOLERANCE:g})"
        + (f"; JAX compilation cache {cache}" if cache else ""),
        flush=True,
    )
    rows = []
    for case in cases:
        rows.extend(check.run_all([case]))
        print(f"  checked {case.name}", file=sys.stderr, flush=True)
    print(check.format_table(rows))
    failed = [name for name, *_, ok in rows if not ok]
    print(f"{len(rows) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def _check_cache(args):
    """The JAX compilation cache folder `seqlab check` uses (None: none, or
    not JAX); `Refused` for a `--cache-dir` it cannot write."""
    import keras

    from keras_seqlab.utils import compile_settings

    if keras.backend.backend() != "jax" or args.no_cache:
        compile_settings.jax_compile_settings(None)
        return None
    folder = args.cache_dir
    if folder is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
            os.path.expanduser("~"), ".cache"
        )
        folder = os.path.join(base, "keras_seqlab", "jax")
    try:
        os.makedirs(folder, exist_ok=True)
        writable = os.access(folder, os.W_OK)
    except OSError:
        writable = False
    if not writable:
        if args.cache_dir is not None:
            raise Refused(
                f"--cache-dir {folder!r} is not a folder this user can write."
            )
        # The default place is a convenience: without it, compile anew.
        folder = None
    return compile_settings.jax_compile_settings(folder)


# The default run answers in minutes: at most
# QUICK_LIMIT windows a split, QUICK_EPOCHS epochs, and no seq-to-seq task
# (its models are those of seq-to-vector); --full trains every task on
# every window to convergence. QUICK_LIMIT is a multiple of the batch
# size (32): a smaller last batch would compile the training and
# validation steps a second time per model (measured:
# benchmarks/README.md, "Measured figures behind library constants").
QUICK_LIMIT = 512
QUICK_EPOCHS = 10
QUICK_HEADS = ("many_to_one", "seq_to_vector")
FULL_EPOCHS = 100
DEFAULT_UNITS = 32


def _budget(args):
    """`epochs`, `limit` and `heads` of `seqlab compare`: the flags, else
    the quick default, else (`--full`) everything."""
    epochs, limit = args.epochs, args.limit
    if epochs is None:
        epochs = FULL_EPOCHS if args.full else QUICK_EPOCHS
    if limit is None and not args.full:
        limit = QUICK_LIMIT
    panel = args.id_column is not None or args.dataset == "weather-cities"
    # A long table has one task: its horizon's.
    heads = None if args.full or panel else QUICK_HEADS
    return {"epochs": epochs, "limit": limit, "heads": heads}


def _compare_plan(args):
    from keras_seqlab.experiments import compare

    units, model_units = widths(args.units, DEFAULT_UNITS)
    chosen = settings(
        args,
        batch_size=args.batch_size,
        units=units,
        model_units=model_units,
        scale=not args.no_scale,
        restore_best=not args.no_restore_best,
        split=args.split,
        quantiles=args.quantiles,
        calibrate=args.calibrate,
        baselines=args.baselines,
        **_budget(args),
    )
    return compare.prepare(chosen, args.models)


def _compare(args, plan):
    from keras_seqlab.experiments import compare

    results = compare.execute(
        plan,
        out=args.out,
        plots=not args.no_plots,
        progress=sys.stderr,
        verbose=args.verbose,
    )
    print(compare.format_leaderboard(results), flush=True)
    written = ["results.json", "leaderboard.txt", *results["plots"]]
    print(f"wrote {', '.join(written)} to {args.out}")
    return 0


def _add_compare(commands, data):
    from keras_seqlab.experiments.compare import DEFAULT_OUT
    from keras_seqlab.models import names as model_names

    parser = commands.add_parser(
        "compare",
        parents=[data],
        help="train every architecture on a data set and rank them",
        description=(
            "Train every model architecture (keras_seqlab.models) on one "
            "data set with early stopping and a fixed seed, print a "
            "leaderboard and write results.json and PNG plots. Default: "
            "the synthetic series (10,000 series, window 50, 70/20/10 "
            f"split, at most {QUICK_LIMIT} windows a split, {QUICK_EPOCHS} "
            "epochs: a few minutes), next value and next 10 values; --full "
            "for the complete sweep. --dataset weather: "
            "next-day BASEL sunshine from the BASEL columns, 30-day "
            "windows, 80/10/10 temporal split, RMSE in hours. Many series "
            "in one long table (--csv with --id-column, or --dataset "
            "weather-cities): one global model per architecture, scored "
            "on the last steps of every series. The plots "
            'need matplotlib: pip install "keras-seqlab[plots]".'
        ),
    )
    parser.add_argument(
        "--horizon",
        type=int,
        help="steps to forecast (default: 1 and 10 synthetic, 1 otherwise)",
    )
    training = parser.add_argument_group("training")
    training.add_argument(
        "--models",
        metavar="A,B",
        help="comma-separated model names or leaderboard labels (default: "
        f"all of them): {', '.join(model_names())}",
    )
    training.add_argument(
        "--epochs",
        type=int,
        help=f"most epochs (default {QUICK_EPOCHS}; {FULL_EPOCHS} with --full)",
    )
    training.add_argument(
        "--full",
        action="store_true",
        help=f"every window of the data (default: at most {QUICK_LIMIT} a "
        f"split), up to {FULL_EPOCHS} epochs with early stopping, and the "
        "seq-to-seq task too: the complete sweep, to convergence",
    )
    training.add_argument(
        "--batch-size", type=int, default=32, help="default 32"
    )
    training.add_argument(
        "--patience",
        type=int,
        default=5,
        help="early-stopping patience in epochs (default 5)",
    )
    training.add_argument(
        "--units",
        metavar="N|MODEL=N,...",
        help=f"model width (default {DEFAULT_UNITS}); per model: "
        "gru=32,lstm=20 (the others keep the default) or 16,gru=32",
    )
    training.add_argument(
        "--no-restore-best",
        action="store_true",
        help="keep the last epoch's weights after early stopping (the "
        "textbooks' protocol; default: restore the best validation epoch's)",
    )
    protocol = parser.add_argument_group("lesson protocol (tables)")
    protocol.add_argument(
        "--no-scale",
        action="store_true",
        help="train on the raw values (default: a standard scaler fit on "
        "the training rows)",
    )
    protocol.add_argument(
        "--split",
        choices=("rows", "windows"),
        default="rows",
        help="rows (default): split the rows 80/10/10, then window each "
        "split; windows: window the whole table, then split the windows "
        "in time order with train_test_split's counts, as the "
        "Carpentries lesson does (validation and test inputs then reach "
        "into the split before)",
    )
    training.add_argument(
        "--out",
        metavar="DIR",
        default=DEFAULT_OUT,
        help=f"output folder (default ./{DEFAULT_OUT})",
    )
    training.add_argument(
        "--no-plots", action="store_true", help="write no PNG plots"
    )
    training.add_argument(
        "--verbose",
        action="store_true",
        help="a line per epoch (default: a progress bar per task and a "
        "line per model)",
    )
    training.add_argument(
        "--quantiles",
        metavar="Q,Q,...",
        type=floats,
        help="train quantile models (pinball loss), e.g. 0.1,0.5,0.9, and "
        "report the outer interval's coverage and width",
    )
    training.add_argument(
        "--calibrate",
        action="store_true",
        help="calibrate that interval on the validation split (split "
        "conformal) so its coverage holds on test",
    )
    add_baselines(parser, "targets")
    # An unusable --out (a FolderError) is found before anything trains.
    command(parser, _compare_plan, _compare, refused=(ValueError, ImportError))


def _version():
    import keras

    from keras_seqlab.utils.backend import describe

    return (
        f"seqlab (keras_seqlab {package_version()}): Keras "
        f"{keras.__version__}, backend {describe()}"
    )


class _Version(argparse.Action):
    """`--version`, unwrapped, after a `--backend` before it took effect."""

    def __call__(self, parser, namespace, values, option_string=None):
        status = _use_backend(namespace.backend, None)
        if status:
            parser.exit(status)
        print(_version())
        parser.exit(0)


def build_parser():
    parser = Parser(
        prog="seqlab",
        description="keras_seqlab: sequence-model layers for Keras 3.",
        epilog="The backend: --backend, else KERAS_BACKEND, else Keras's "
        "keras.json; if that one is not installed, the first installed of "
        "jax, torch, tensorflow.",
    )
    parser.add_argument(
        "--version",
        action=_Version,
        nargs=0,
        help="print the versions and the backend, and exit",
    )
    parser.add_argument(
        "--backend",
        choices=PREFERENCE,
        help="the Keras backend to run on (default: KERAS_BACKEND)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check",
        help="check every cell against the pure-Python reference",
        description=(
            "Run every cell against the pure-Python reference on the "
            "current backend (KERAS_BACKEND): forward values and gradients."
        ),
    )
    check.add_argument(
        "--cells", help="comma-separated cell names (default: all)"
    )
    check.add_argument(
        "--list",
        action="store_true",
        help="list the reference cases (every layer family) and exit",
    )
    check.add_argument(
        "--cache-dir",
        help="JAX only: the compilation cache folder (default "
        "$XDG_CACHE_HOME/keras_seqlab/jax, else ~/.cache/keras_seqlab/jax); "
        "a second run loads the compiled ops instead of compiling them",
    )
    check.add_argument(
        "--no-cache",
        action="store_true",
        help="JAX only: no persistent compilation cache",
    )
    command(check, _check_cases, _check)
    data = data_parser()
    _add_compare(commands, data)
    tune.add(commands, data)
    forecast.add(commands)
    backtest.add(commands)
    reproduce.add(commands)
    export.add(commands)
    return parser


def _use_backend(name, argv):
    """Runs this command again on backend `name` if Keras runs another.

    Keras reads its backend once, on import, so a real command line is run
    again (`exec`) with `KERAS_BACKEND` set; `main(argv)` called from
    Python cannot switch and says so. Returns an exit status, or None to go
    on.
    """
    import keras

    from keras_seqlab.utils import backend

    if name is None:
        return None
    if keras.backend.backend() == name:
        backend.CHOICE = (name, None)  # chosen by the flag: no fallback
        return None
    if not installed(name):
        print(
            f"seqlab: --backend {name}: {name} is not installed; pip install "
            f'"keras-seqlab[{name}]".',
            file=sys.stderr,
        )
        return 2
    if argv is not None:
        print(
            f"seqlab: --backend {name}: Keras already runs on "
            f"{keras.backend.backend()} in this process; set KERAS_BACKEND "
            "before Keras is imported.",
            file=sys.stderr,
        )
        return 2
    os.environ["KERAS_BACKEND"] = name
    command = [sys.executable, "-m", "keras_seqlab.cli", *sys.argv[1:]]
    os.execv(sys.executable, command)


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
    except BadArguments as error:
        print(error, file=sys.stderr)
        return 2
    status = _use_backend(args.backend, argv)
    if status is not None:
        return status
    return args.run(args)
