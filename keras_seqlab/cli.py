"""The `seqlab` command line.

    seqlab check [--cells NAME,NAME] [--list]
    seqlab compare [--dataset synthetic|weather | --csv PATH --target COL]
                   [--models a,b,c] [--epochs N] [--window T] [--horizon H]
                   [--limit N] [--seed S] [--out DIR] ...

`check` runs every cell against the pure-Python reference on the current
Keras backend (set KERAS_BACKEND) and prints one row per cell: the largest
absolute error of the forward values and of the gradients, and pass/fail
at 1e-5. It exits with status 1 if any cell fails.

`compare` trains every architecture of `keras_seqlab.models` (or those of
`--models`) on one data set, prints a leaderboard (validation and test
scores, parameters, training time) with progress on stderr while it
trains, and writes `results.json`, `leaderboard.txt` and PNG plots to
`--out`. Bad settings print one line and exit with status 2.
"""

import argparse
import sys


def _check(args):
    from keras_seqlab import check

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
        f"{len(cases)} cells vs the pure-Python reference "
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
    from keras_seqlab import compare

    try:
        plan = compare.prepare(
            dataset=args.dataset,
            models=args.models,
            csv=args.csv,
            target=args.target,
            columns=args.columns.split(",") if args.columns else None,
            date_column=args.date_column,
            epochs=args.epochs,
            window=args.window,
            horizon=args.horizon,
            limit=args.limit,
            seed=args.seed,
            batch_size=args.batch_size,
            patience=args.patience,
            units=args.units,
        )
    except (ValueError, ImportError) as error:
        print(f"seqlab compare: {error}", file=sys.stderr)
        return 2
    results = compare.execute(
        plan, out=args.out, plots=not args.no_plots, progress=sys.stderr
    )
    print(compare.format_leaderboard(results), flush=True)
    written = ["results.json", "leaderboard.txt", *results["plots"]]
    print(f"wrote {', '.join(written)} to {args.out}")
    return 0


def _add_compare(commands):
    from keras_seqlab import compare

    parser = commands.add_parser(
        "compare",
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
        "--dataset",
        choices=("synthetic", "weather"),
        default=None,
        help="built-in data set (default: synthetic)",
    )
    parser.add_argument("--csv", metavar="PATH", help="your own CSV file")
    parser.add_argument(
        "--target",
        metavar="COL",
        help="column to forecast (needed with --csv; weather default "
        f"{compare.WEATHER_TARGET})",
    )
    parser.add_argument(
        "--columns",
        metavar="A,B",
        help="input columns (default: all but --date-column; weather: "
        "the BASEL columns)",
    )
    parser.add_argument(
        "--date-column", metavar="COL", help="date column of the CSV file"
    )
    parser.add_argument(
        "--models",
        metavar="A,B",
        help="comma-separated model names (default: all of them)",
    )
    parser.add_argument(
        "--epochs", type=int, default=20, help="most epochs (default 20)"
    )
    parser.add_argument(
        "--window",
        type=int,
        help="input window length (default 50 synthetic, 30 otherwise)",
    )
    parser.add_argument(
        "--horizon",
        type=int,
        help="steps to forecast (default: 1 and 10 synthetic, 1 otherwise)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        help="at most N windows (series) per split, for quick runs",
    )
    parser.add_argument("--seed", type=int, default=42, help="default 42")
    parser.add_argument("--batch-size", type=int, default=32, help="default 32")
    parser.add_argument(
        "--patience",
        type=int,
        default=5,
        help="early-stopping patience in epochs (default 5)",
    )
    parser.add_argument(
        "--units", type=int, default=32, help="model width (default 32)"
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        default=compare.DEFAULT_OUT,
        help=f"output folder (default ./{compare.DEFAULT_OUT})",
    )
    parser.add_argument(
        "--no-plots", action="store_true", help="write no PNG plots"
    )
    parser.set_defaults(run=_compare)


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
    _add_compare(commands)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
