"""The `seqlab` command line.

    seqlab check [--cells NAME,NAME] [--list]

`check` runs every cell against the pure-Python reference on the current
Keras backend (set KERAS_BACKEND) and prints one row per cell: the largest
absolute error of the forward values and of the gradients, and pass/fail
at 1e-5. It exits with status 1 if any cell fails.
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
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
