"""`seqlab backtest MODEL|ARCH --csv PATH --folds K`: rolling origins."""

import json
import pathlib

from keras_seqlab.cli.forecast import writable
from keras_seqlab.cli.options import add_baselines
from keras_seqlab.cli.options import add_data_flags
from keras_seqlab.cli.options import name_list
from keras_seqlab.cli.runner import Refused
from keras_seqlab.cli.runner import command

# The library function whose messages the command shows.
OWNER = "backtest"


def _load(args):
    from keras_seqlab.data.datasets import load_csv
    from keras_seqlab.forecasting import forecaster_spec
    from keras_seqlab.forecasting import load_forecaster
    from keras_seqlab.forecasting.baselines import choose_baselines
    from keras_seqlab.forecasting.baselines import statsforecast_models
    from keras_seqlab.models import names
    from keras_seqlab.utils.validation import check_int

    for name in ("folds", "horizon", "season"):  # the message names --NAME
        if getattr(args, name) is not None:
            check_int(None, name, getattr(args, name))
    # Before the model loads and anything trains.
    if choose_baselines(OWNER, args.baselines):
        statsforecast_models(OWNER)
    out = writable("--out", args.out, (".csv", ".json"))
    plot = writable("--plot", args.plot, ".png")
    panel_flags = [
        flag
        for flag, value in (
            ("--future-columns", args.future_columns),
            ("--static-columns", args.static_columns),
            ("--calendar", args.calendar),
        )
        if value is not None
    ]
    if args.model.endswith(".keras"):
        if panel_flags or args.id_column:
            given = panel_flags + (["--id-column"] if args.id_column else [])
            raise Refused(
                f"{', '.join(given)} apply to an architecture; a saved "
                "model brings its own columns and roles."
            )
        model = load_forecaster(args.model)
        spec = forecaster_spec(model)
        if spec.get("panel") is not None:
            return _load_panel(
                args, model, spec["panel"]["id_column"], out, plot
            )
        columns, target = spec["columns"], spec["target"]
        date_column = args.date_column or spec["date_column"]
    else:
        if args.model not in names():
            raise Refused(
                f"{args.model!r} is neither a .keras forecaster nor an "
                f"architecture ({', '.join(names())})."
            )
        if not args.target:
            raise Refused("an architecture needs --target COLUMN.")
        if args.id_column is not None:
            return _load_panel(args, args.model, args.id_column, out, plot)
        if panel_flags:
            raise Refused(
                f"{', '.join(panel_flags)} apply to a long table: pass "
                "--id-column."
            )
        model, target, date_column = args.model, args.target, args.date_column
        columns = args.columns.split(",") if args.columns else None
    if not pathlib.Path(args.csv).is_file():
        raise Refused(f"--csv: no file at {args.csv!r}.")
    try:
        # float64: the baselines and the --out table get the file's
        # values as written (the model casts its inputs itself).
        data = load_csv(
            args.csv,
            target=target,
            columns=columns,
            date_column=date_column,
            dtype="float64",
        )
    except (ValueError, KeyError) as error:
        raise Refused(f"--csv: {error}") from None
    return model, data, out, plot


def _load_panel(args, model, id_column, out, plot):
    from keras_seqlab.data.panel import read_table

    if plot is not None:
        raise Refused(
            "--plot draws one series; a long table's backtest writes its "
            "per-series scores to --out."
        )
    if not pathlib.Path(args.csv).is_file():
        raise Refused(f"--csv: no file at {args.csv!r}.")
    try:
        frame = read_table("--csv", args.csv, id_column)
    except ValueError as error:
        raise Refused(str(error)) from None
    return model, frame, out, plot


def _panel_roles(args):
    """The long-table keywords of `backtest` for an architecture."""
    if args.id_column is None:
        return {}
    return dict(
        id_column=args.id_column,
        date_column=args.date_column,
        target=args.target,
        columns=name_list(args.columns),
        future_columns=name_list(args.future_columns),
        static_columns=name_list(args.static_columns),
        calendar=args.calendar,
    )


def _backtest(args):
    """Everything checked and backtested, nothing written."""
    from keras_seqlab.forecasting.backtesting import backtest

    model, data, out, plot = _load(args)
    # Window and epochs are for training an architecture at each origin.
    extra = {}
    if isinstance(model, str):
        extra = dict(epochs=args.epochs)
        if args.window is not None:
            extra["window"] = args.window
        extra.update(_panel_roles(args))
    result = backtest(
        model,
        data,
        folds=args.folds,
        horizon=args.horizon,
        baselines=args.baselines,
        season=args.season,
        **extra,
    )
    return data, out, plot, result


def run(args, done):
    from keras_seqlab.forecasting.backtesting import format_backtest
    from keras_seqlab.forecasting.output import plot_backtest

    data, out, plot, result = done
    if out is not None:
        _write(out, result)
    if plot is not None:
        history = data.column(result["target"])
        plot_backtest(plot, history, result, data.dates)
    print(format_backtest(result))
    return 0


def _write(out, result):
    """`--out`: the long tables (FILE.csv, and the metrics in
    FILE_metrics.csv), or everything as JSON (FILE.json)."""
    from keras_seqlab.forecasting.cv_table import records_of
    from keras_seqlab.forecasting.cv_table import write_csv
    from keras_seqlab.utils import files

    if out.suffix.lower() == ".csv":
        write_csv(out, result["cv"])
        write_csv(
            out.with_name(f"{out.stem}_metrics.csv"), result["cv_metrics"]
        )
        return
    shown = dict(result)
    for key in ("cv", "cv_metrics"):
        shown[key] = records_of(result[key])
    files.write_text(out, json.dumps(shown, indent=1) + "\n")


def add(commands):
    parser = commands.add_parser(
        "backtest",
        help="rolling-origin evaluation of a saved model or an architecture",
        description=(
            "Forecast from each of the last K origins of a series (H rows "
            "apart) using only the rows before the origin, and print MAE, "
            "RMSE, MASE and sMAPE per origin and their mean. MODEL is a "
            ".keras forecaster (used as it is) or an architecture name "
            "(trained anew at every origin, one global model per fold for "
            "a long table); the data flags but --csv, --date-column and "
            "--season are an architecture's, as a saved model brings its "
            "own."
        ),
    )
    parser.add_argument("model", metavar="MODEL|ARCH")
    parser.add_argument("--folds", type=int, default=3, help="default 3")
    parser.add_argument(
        "--horizon", type=int, help="steps per origin (default: the model's)"
    )
    # A saved model brings its own columns, window and roles: these data
    # flags are an architecture's (ARCH), and --csv is the only data.
    add_data_flags(
        parser,
        (
            "csv",
            "target",
            "columns",
            "date_column",
            "window",
            "season",
            "id_column",
            "future_columns",
            "static_columns",
            "calendar",
        ),
        csv=dict(required=True, help="the series, or a long table"),
        target=dict(help="ARCH: the column to forecast"),
        columns=dict(help="ARCH: the input columns (default: all)"),
        window=dict(help="ARCH: input window length (default 30)"),
        date_column=dict(
            help="date column of the CSV file (default: the model's)"
        ),
    )
    parser.add_argument(
        "--epochs", type=int, default=10, help="ARCH: default 10"
    )
    parser.add_argument(
        "--out",
        metavar="FILE.csv|FILE.json",
        help="FILE.csv: the forecasts as the field's long table (unique_id, "
        "ds, cutoff, y, a column per model) and FILE_metrics.csv (a row per "
        "series, cutoff and metric); FILE.json: everything",
    )
    add_baselines(parser, "origins")
    parser.add_argument(
        "--plot", metavar="FILE.png", help="forecasts against the truth"
    )
    command(
        parser,
        _backtest,
        run,
        refused=(ValueError, ImportError),
        owners=(OWNER, "load_forecaster"),
    )
