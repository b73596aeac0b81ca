"""The `seqlab` command line.

    seqlab check [--cells NAME,NAME] [--list]
    seqlab compare [--dataset synthetic|weather | --csv PATH --target COL]
                   [--models a,b,c] [--epochs N] [--window T] [--horizon H]
                   [--limit N] [--seed S] [--out DIR] ...
    seqlab tune ARCH [--dataset ... | --csv PATH --target COL]
                [--tuner random|bayesian|hyperband] [--max-trials N]
                [--epochs N] [--set NAME=VALUE] [--out DIR] [--overwrite]
                [--chief | --worker ID] [--oracle HOST:PORT] [--lease S]

`check` runs every cell against the pure-Python reference on the current
Keras backend (set KERAS_BACKEND) and prints one row per cell: the largest
absolute error of the forward values and of the gradients, and pass/fail
at 1e-5. It exits with status 1 if any cell fails.

`compare` trains every architecture of `keras_seqlab.models` (or those of
`--models`) on one data set, prints a leaderboard (validation and test
scores, parameters, training time) with progress on stderr while it
trains, and writes `results.json`, `leaderboard.txt` and PNG plots to
`--out`. Bad settings print one line and exit with status 2.

`tune` runs a keras-tuner search over one architecture's space
(`keras_seqlab.tuning`), prints progress and the best trials, writes the
best model and `summary.json`, and scores the best model and the untuned
builder on the test split. Run again, it resumes; `--chief` and
`--worker ID` split it over processes or machines.
"""

import argparse
import sys

from keras_seqlab.cli import backtest
from keras_seqlab.cli import forecast

# Flags whose names are not the setting's name with dashes.
_FLAGS = {"overrides": "--set", "architecture": "ARCH"}


def _flag(field):
    return _FLAGS.get(field, "--" + field.replace("_", "-"))


def _message(error):
    """An error's message with every named setting as its flag."""
    text = str(error)
    for field in getattr(error, "fields", ()):
        text = text.replace(f"`{field}`", _flag(field))
    return text


def _floats(text):
    """`--quantiles 0.1,0.5,0.9` as a tuple of floats."""
    try:
        return tuple(float(item) for item in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected numbers separated by commas, got {text!r}"
        ) from None


def _settings(args, **more):
    """The `experiments.Settings` of the shared flags (and `more`)."""
    from keras_seqlab.experiments.settings import Settings

    return Settings(
        dataset=args.dataset,
        csv=args.csv,
        target=args.target,
        columns=args.columns.split(",") if args.columns else None,
        date_column=args.date_column,
        window=args.window,
        horizon=args.horizon,
        limit=args.limit,
        seed=args.seed,
        epochs=args.epochs,
        patience=args.patience,
        **more,
    )


def _check(args):
    from keras_seqlab.testing import reference_check as check

    names = [c.name for c in check.CASES]
    if args.list:
        print("\n".join(names))
        return 0
    cases = check.CASES
    if args.cells:
        wanted = [n.strip() for n in args.cells.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in check.CASES_BY_NAME]
        if unknown:
            print(
                f"seqlab check: unknown cell {', '.join(map(repr, unknown))}; "
                "see `seqlab check --list`.",
                file=sys.stderr,
            )
            return 2
        cases = [check.CASES_BY_NAME[n] for n in wanted]
    import keras

    print(
        f"keras {keras.__version__}, backend {keras.backend.backend()}: "
        f"{len(cases)} layers vs the pure-Python reference "
        f"(tolerance {check.TOLERANCE:g})",
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


def _compare(args):
    from keras_seqlab.experiments import compare

    try:
        settings = _settings(
            args,
            batch_size=args.batch_size,
            units=args.units,
            quantiles=args.quantiles,
            calibrate=args.calibrate,
        )
        plan = compare.prepare(settings, args.models)
    except (ValueError, ImportError) as error:
        print(f"seqlab compare: {_message(error)}", file=sys.stderr)
        return 2
    try:
        results = compare.execute(
            plan, out=args.out, plots=not args.no_plots, progress=sys.stderr
        )
    except KeyboardInterrupt:
        print("\nseqlab compare: interrupted; nothing written", file=sys.stderr)
        return 130
    print(compare.format_leaderboard(results), flush=True)
    written = ["results.json", "leaderboard.txt", *results["plots"]]
    print(f"wrote {', '.join(written)} to {args.out}")
    return 0


def _data_parser():
    """The data options that compare and tune share (a parent parser)."""
    parser = argparse.ArgumentParser(add_help=False)
    data = parser.add_argument_group("data")
    data.add_argument(
        "--dataset",
        choices=("synthetic", "weather"),
        default=None,
        help="built-in data set (default: synthetic)",
    )
    data.add_argument("--csv", metavar="PATH", help="your own CSV file")
    data.add_argument(
        "--target",
        metavar="COL",
        help="column to forecast (needed with --csv; weather default "
        "BASEL_sunshine)",
    )
    data.add_argument(
        "--columns",
        metavar="A,B",
        help="input columns (default: all but --date-column; weather: "
        "the BASEL columns)",
    )
    data.add_argument(
        "--date-column", metavar="COL", help="date column of the CSV file"
    )
    data.add_argument(
        "--window",
        type=int,
        help="input window length (default 50 synthetic, 30 otherwise)",
    )
    data.add_argument(
        "--limit",
        type=int,
        help="at most N windows (series) per split, for quick runs",
    )
    data.add_argument("--seed", type=int, default=42, help="default 42")
    return parser


def _add_compare(commands, data):
    from keras_seqlab.experiments.compare import DEFAULT_OUT

    parser = commands.add_parser(
        "compare",
        parents=[data],
        help="train every architecture on a data set and rank them",
        description=(
            "Train every model architecture (keras_seqlab.models) on one "
            "data set with early stopping and a fixed seed, print a "
            "leaderboard and write results.json and PNG plots. Default: "
            "the synthetic series (10,000 series, window 50, 70/20/10 "
            "split), next value and next 10 values. --dataset weather: "
            "next-day BASEL sunshine from the BASEL columns, 30-day "
            "windows, 80/10/10 temporal split, RMSE in hours."
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
        help="comma-separated model names (default: all of them)",
    )
    training.add_argument(
        "--epochs", type=int, default=20, help="most epochs (default 20)"
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
        "--units", type=int, default=32, help="model width (default 32)"
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
        "--quantiles",
        metavar="Q,Q,...",
        type=_floats,
        help="train quantile models (pinball loss), e.g. 0.1,0.5,0.9, and "
        "report the outer interval's coverage and width",
    )
    training.add_argument(
        "--calibrate",
        action="store_true",
        help="calibrate that interval on the validation split (split "
        "conformal) so its coverage holds on test",
    )
    parser.set_defaults(run=_compare)


def _tune(args):
    try:
        from keras_seqlab.tuning import distributed
        from keras_seqlab.tuning import reports
        from keras_seqlab.tuning import search
    except ImportError as error:
        print(
            f"seqlab tune needs keras-tuner ({error}); pip install "
            '"keras-seqlab[tuning]".',
            file=sys.stderr,
        )
        return 2
    try:
        role = distributed.role(args.chief, args.worker, args.oracle)
        setup = search.prepare(
            args.architecture,
            _settings(args),
            head=args.head,
            tuner=args.tuner,
            max_trials=args.max_trials,
            overrides=args.set,
            folds=args.folds,
            out=args.out,
            overwrite=args.overwrite,
            distributed=role,
            lease=args.lease,
        )
        if args.space:
            print(f"the {args.architecture} search space (--set NAME=VALUE):")
            print(reports.format_space(setup.hypermodel))
            return 0
        results = search.run(setup, progress=sys.stderr)
    except (ValueError, ImportError) as error:
        print(f"seqlab tune: {_message(error)}", file=sys.stderr)
        return 2
    except RuntimeError as error:
        print(f"seqlab tune: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            f"\nseqlab tune: interrupted; the finished trials are kept in "
            f"{setup.project}: run the same command again to resume.",
            file=sys.stderr,
        )
        return 130
    if setup.role == "worker":
        print(f"seqlab tune: worker {results['worker']} done")
        return 0
    print(reports.format_summary(results), flush=True)
    print(f"wrote {', '.join(results['files'])}")
    return 0


def _add_tune(commands, data):
    parser = commands.add_parser(
        "tune",
        parents=[data],
        help="search the hyperparameters of one architecture",
        description=(
            "Run a keras-tuner search over the space of one architecture "
            "(keras_seqlab.tuning) on the data of seqlab compare, scored on "
            "the later validation split. Prints the best trials, writes "
            "OUT/ARCH/best_model.keras and summary.json, and scores the "
            "best model and the untuned builder on the test split. Run the "
            "same command again to resume an interrupted search."
        ),
    )
    parser.add_argument(
        "architecture", metavar="ARCH", help="an architecture, e.g. gru"
    )
    data = parser.add_argument_group("task")
    data.add_argument(
        "--horizon", type=int, default=1, help="steps to forecast (default 1)"
    )
    data.add_argument(
        "--head",
        choices=("many_to_one", "seq_to_vector", "seq_to_seq"),
        help="default many_to_one for horizon 1, else seq_to_vector",
    )
    space = parser.add_argument_group("search")
    space.add_argument(
        "--tuner",
        choices=("random", "bayesian", "hyperband"),
        default="random",
        help="default random",
    )
    space.add_argument(
        "--max-trials",
        type=int,
        help="trials to run (default 10; not with hyperband)",
    )
    space.add_argument(
        "--epochs", type=int, default=10, help="most epochs a trial (10)"
    )
    space.add_argument(
        "--patience", type=int, default=3, help="early stopping (3 epochs)"
    )
    space.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="fix a hyperparameter (units=64) or give choices (depth=1,2); "
        "repeatable",
    )
    space.add_argument(
        "--space",
        action="store_true",
        help="print the search space (with --set applied) and exit",
    )
    space.add_argument(
        "--folds",
        type=int,
        metavar="K",
        help="score each trial by K walk-forward folds of the training and "
        "validation windows (default: the validation split alone)",
    )
    space.add_argument(
        "--out",
        metavar="DIR",
        default="seqlab-tune",
        help="default ./seqlab-tune",
    )
    space.add_argument(
        "--overwrite",
        action="store_true",
        help="start the search over instead of resuming it",
    )
    scale = parser.add_argument_group(
        "distributed (keras-tuner chief/worker; OUT must be shared)"
    )
    role = scale.add_mutually_exclusive_group()
    role.add_argument("--chief", action="store_true", help="serve the oracle")
    role.add_argument("--worker", metavar="ID", help="run trials as worker ID")
    scale.add_argument(
        "--oracle",
        metavar="HOST:PORT",
        help="the chief's address (default: KERASTUNER_ORACLE_IP and "
        "KERASTUNER_ORACLE_PORT)",
    )
    scale.add_argument(
        "--lease",
        type=float,
        help="chief: seconds without a heartbeat after which a worker is "
        "lost and its trial goes to another worker (default 60)",
    )
    parser.set_defaults(run=_tune)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="seqlab",
        description="keras_seqlab: sequence-model layers for Keras 3.",
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
        "--list", action="store_true", help="list the cell names and exit"
    )
    check.set_defaults(run=_check)
    data = _data_parser()
    _add_compare(commands, data)
    _add_tune(commands, data)
    forecast.add(commands)
    backtest.add(commands)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.run(args)
