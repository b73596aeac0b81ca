"""`seqlab reproduce geron|basel`: the published experiments, rerun."""

import sys

from keras_seqlab.cli.runner import command


def _check(args):
    from keras_seqlab.experiments import reproduce

    # Everything is checked before anything trains: rows and seeds here,
    # the output folder first thing in execute.
    reproduce.check(args.study, args.rows, args.seeds, args.quick)


def run(args, _):
    from keras_seqlab.experiments import reproduce

    results = reproduce.execute(
        args.study,
        rows=args.rows,
        seeds=args.seeds,
        quick=args.quick,
        out=args.out,
        progress=sys.stderr,
    )
    print(reproduce.format_text(results))
    print(
        f"{len(results['rows'])} rows, {len(results['seeds'])} seed(s), "
        f"{results['total_seconds']:.0f} s on {results['backend']}"
        + (
            f"; wrote reproduce.json, reproduce.md to {args.out}"
            if args.out
            else ""
        )
    )
    return 0


def add(commands):
    from keras_seqlab.experiments.reproduce import BASEL
    from keras_seqlab.experiments.reproduce import BASEL_QUICK
    from keras_seqlab.experiments.reproduce import DEFAULT_OUT
    from keras_seqlab.experiments.reproduce import GERON
    from keras_seqlab.experiments.reproduce import GERON_QUICK
    from keras_seqlab.experiments.reproduce import row_keys

    parser = commands.add_parser(
        "reproduce",
        help="rerun the published textbook experiments and compare",
        description=(
            "Rerun each published experiment with its published settings "
            "and print the published value, ours (median and range over "
            "the seeds), their ratio and whether ours lies inside the "
            "published run-to-run spread; write reproduce.json and "
            "reproduce.md to --out. geron: Hands-On ML ch. 15 "
            f"({GERON['series']} series, {GERON['epochs']} epochs; "
            f"rows {', '.join(row_keys('geron'))}). basel: the "
            "UW-Madison recurrence lesson (BASEL sunshine, LSTMs, up to "
            f"{BASEL['epochs']} epochs; rows "
            f"{', '.join(row_keys('basel'))})."
        ),
    )
    parser.add_argument("study", choices=("geron", "basel"))
    parser.add_argument(
        "--rows",
        metavar="A,B",
        help="comma-separated rows (experiments) to run (default: all)",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        help="seeds per row, 42, 43, ... (default 3; 1 with --quick)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test: {GERON_QUICK['series']} series (geron) or "
        f"{BASEL_QUICK['windows']} windows (basel), "
        f"{GERON_QUICK['epochs']} epoch; not comparable",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        default=DEFAULT_OUT,
        help=f"output folder (default ./{DEFAULT_OUT})",
    )
    command(
        parser,
        _check,
        run,
        refused_in_work=(ValueError,),
        owners=("reproduce",),
    )
