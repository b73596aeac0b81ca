"""`seqlab reproduce geron|basel`: the published experiments, rerun."""

import sys

from keras_seqlab.cli.options import message
from keras_seqlab.cli.options import write_failure

PROG = "seqlab reproduce"


def run(args):
    from keras_seqlab.experiments import reproduce
    from keras_seqlab.utils.files import FolderError

    try:
        # Everything is checked before anything trains: rows, seeds and
        # (in execute, first) the output folder.
        reproduce.check(args.study, args.rows, args.seeds, args.quick)
        results = reproduce.execute(
            args.study,
            rows=args.rows,
            seeds=args.seeds,
            quick=args.quick,
            out=args.out,
            progress=sys.stderr,
        )
    except FolderError as error:
        print(message(error), file=sys.stderr)
        return 2
    except ValueError as error:
        text = str(error).removeprefix("reproduce: ")
        print(f"{PROG}: {text.replace('seeds', '--seeds')}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"{PROG}: {write_failure(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted; nothing written", file=sys.stderr)
        return 130
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
    parser.set_defaults(run=run)
