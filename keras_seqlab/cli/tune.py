"""`seqlab tune ARCH`: a keras-tuner search, alone or distributed."""

import sys

from keras_seqlab.cli.options import settings
from keras_seqlab.cli.runner import Refused
from keras_seqlab.cli.runner import command


def _kept(setup):
    return (
        f"; the finished trials are kept in {setup.project}: run the same "
        "command again to resume."
    )


def _setup(args):
    try:
        from keras_seqlab.tuning import distributed
        from keras_seqlab.tuning import search
    except ImportError as error:
        raise Refused(
            f"keras-tuner is not installed ({error}); pip install "
            '"keras-seqlab[tuning]".'
        ) from None
    role = distributed.role(
        args.chief,
        args.worker,
        args.oracle,
        token=args.token,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
    )
    chosen = settings(args)
    prepare = search.prepare
    if chosen.validated().panel:
        from keras_seqlab.tuning import panel_tune

        prepare = panel_tune.prepare
    return prepare(
        args.architecture,
        chosen,
        head=args.head,
        tuner=args.tuner,
        max_trials=args.max_trials,
        overrides=args.overrides,
        folds=args.folds,
        out=args.out,
        overwrite=args.overwrite,
        distributed=role,
        lease=args.lease,
    )


def run(args, setup):
    from keras_seqlab.tuning import reports
    from keras_seqlab.tuning import search

    if args.space:
        print(f"the {args.architecture} search space (--set NAME=VALUE):")
        print(reports.format_space(setup.hypermodel))
        return 0
    results = search.run(setup, progress=sys.stderr)
    if setup.role == "worker":
        print(f"seqlab tune: worker {results['worker']} done")
        return 0
    print(reports.format_summary(results), flush=True)
    print(f"wrote {', '.join(results['files'])}")
    return 0


def add(commands, data):
    from keras_seqlab.models import names as model_names

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
            "same command again to resume an interrupted search. Needs "
            'keras-tuner: pip install "keras-seqlab[tuning]".'
        ),
    )
    parser.add_argument(
        "architecture",
        metavar="ARCH",
        help="the architecture to tune: "
        + ", ".join(n for n in model_names() if n != "persistence"),
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
        dest="overrides",  # the library's name: its messages name --set
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
    scale.add_argument(
        "--token",
        help="the search's secret, which every request must carry (default: "
        "SEQLAB_TUNE_TOKEN; a chief without one makes one and prints it). "
        "The variable keeps it out of the process list",
    )
    scale.add_argument(
        "--tls-cert",
        metavar="PEM",
        help="chief: its certificate (with --tls-key) to serve TLS; worker: "
        "the chief's certificate, to verify it",
    )
    scale.add_argument(
        "--tls-key", metavar="PEM", help="chief: the certificate's key"
    )
    # search.run finds bad settings too (TuneError: a folder in use or
    # holding another search, a worker's token refused), before it trains.
    command(
        parser,
        _setup,
        run,
        refused=(ValueError, ImportError),
        refused_in_work=(ValueError, ImportError),
        failed=(RuntimeError,),
        kept=_kept,
    )
