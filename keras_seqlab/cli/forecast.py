"""`seqlab forecast MODEL --csv PATH`: the next values of a series.

Everything is checked (the model file, the CSV and its columns, the
steps, the output paths) before the model runs, and the forecasts are
made before anything is written; the exit statuses are the runner's
(`cli.runner`).
"""

import pathlib
import sys

from keras_seqlab.cli.runner import Refused
from keras_seqlab.cli.runner import command

PROG = "seqlab forecast"


def writable(flag, path, suffix):
    """`path` checked to be a file that can be written, of one of the
    suffixes `suffix` (a string or a tuple); None stays None."""
    if path is None:
        return None
    path = pathlib.Path(path)
    suffixes = (suffix,) if isinstance(suffix, str) else suffix
    if path.suffix.lower() not in suffixes:
        raise Refused(
            f"{flag} must name a {' or '.join(suffixes)} file, got "
            f"{str(path)!r}."
        )
    if path.is_dir():
        raise Refused(f"{flag} {str(path)!r} is a folder, not a file.")
    folder = path.parent
    if not folder.is_dir():
        raise Refused(f"{flag}: the folder {str(folder)!r} does not exist.")
    import os

    if not os.access(folder, os.W_OK):
        raise Refused(f"{flag}: the folder {str(folder)!r} is not writable.")
    return path


def _load(args):
    from keras_seqlab.data.datasets import load_csv
    from keras_seqlab.forecasting import forecaster_spec
    from keras_seqlab.forecasting import load_forecaster
    from keras_seqlab.utils.validation import check_int

    if args.steps is not None:
        check_int(None, "steps", args.steps)  # the message names --steps
    out = writable("--out", args.out, ".csv")
    plot = writable("--plot", args.plot, ".png")
    if plot is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise Refused(
                '--plot needs matplotlib: pip install "keras-seqlab[plots]".'
            ) from None
    model = load_forecaster(args.model)
    spec = forecaster_spec(model)
    if spec.get("panel") is not None:
        return _load_panel(args, model, spec, out, plot)
    date_column = args.date_column or spec["date_column"]

    def read(path, role):
        if not pathlib.Path(path).is_file():
            raise Refused(f"{role}: no file at {str(path)!r}.")
        try:
            return load_csv(
                path, columns=spec["columns"], date_column=date_column
            )
        except (ValueError, KeyError) as error:
            raise Refused(f"{role}: {error}") from None

    data = read(args.csv, "--csv")
    future = None if args.future is None else read(args.future, "--future")
    return model, spec, data, future, out, plot


def _load_panel(args, model, spec, out, plot):
    """The long tables of a panel forecaster (pandas reads them)."""
    from keras_seqlab.data.panel import read_table

    if args.method != "auto":
        raise Refused(
            f"--method {args.method} applies to a one-series model; a "
            "panel model forecasts every series a horizon at a time."
        )
    if args.date_column not in (None, spec["date_column"]):
        raise Refused(
            f"--date-column {args.date_column!r}: the model's date column "
            f"is {spec['date_column']!r}."
        )
    id_column = spec["panel"]["id_column"]

    def read(path, role):
        if not pathlib.Path(path).is_file():
            raise Refused(f"{role}: no file at {str(path)!r}.")
        try:
            return read_table(f"{role}", path, id_column)
        except ValueError as error:
            raise Refused(str(error)) from None

    data = read(args.csv, "--csv")
    future = None if args.future is None else read(args.future, "--future")
    return model, spec, data, future, out, plot


def _forecast_panel(args, model, spec, data, future):
    """A panel model's forecasts: `(csv text, plot(path), note)`."""
    from keras_seqlab.forecasting.output import panel_to_csv
    from keras_seqlab.forecasting.output import plot_panel
    from keras_seqlab.forecasting.panel_forecast import forecast_panel

    try:
        frame = forecast_panel(model, data, steps=args.steps, future=future)
    except ValueError as error:
        # The id column is the model's, no flag of this command.
        raise Refused(
            str(error).replace("`id_column`", "the id column")
        ) from None
    skipped = frame.attrs.get("skipped", [])
    note = None
    if skipped:
        note = (
            f"skipped {len(skipped)} series shorter than the window "
            f"({spec['window']} rows), e.g. {skipped[:3]}"
        )
    return (
        panel_to_csv(frame),
        lambda path: plot_panel(path, data, frame, spec),
        note,
    )


def _forecasts(args):
    """Everything checked and forecast, nothing written: `(out, plot path,
    (csv text, plot(path), note))`."""
    from keras_seqlab.forecasting import forecast
    from keras_seqlab.forecasting.forecast import future_dates
    from keras_seqlab.forecasting.output import plot
    from keras_seqlab.forecasting.output import to_csv

    model, spec, data, future, out, plot_path = _load(args)
    if spec.get("panel") is not None:
        return out, plot_path, _forecast_panel(args, model, spec, data, future)
    steps = args.steps or spec["horizon"]
    forecasts = forecast(
        model, data, steps=steps, future=future, method=args.method
    )
    dates = future_dates(data.dates, steps, spec["freq"])

    def draw(path):
        history = data.column(spec["target"])
        plot(path, history, forecasts, spec, data.dates, dates)

    return out, plot_path, (to_csv(forecasts, spec, dates), draw, None)


def run(args, made):
    from keras_seqlab.utils import files

    out, plot_path, (text, draw, note) = made
    if out is not None:
        files.write_text(out, text)
    if plot_path is not None:
        draw(plot_path)
    sys.stdout.write(text)
    if note:
        print(f"{PROG}: {note}", file=sys.stderr)
    written = [str(p) for p in (out, plot_path) if p is not None]
    if written:
        print(f"wrote {', '.join(written)}", file=sys.stderr)
    return 0


def add(commands):
    parser = commands.add_parser(
        "forecast",
        help="forecast the next values of a series with a saved model",
        description=(
            "Read a series from a CSV file, take its last window and print "
            "the next values (default: the model's horizon) in the "
            "target's original units, dated when the series has a date "
            "column. MODEL is a forecaster saved by seqlab compare "
            "(OUT/models/TASK/NAME.keras) or seqlab tune (best_model.keras). "
            "Beyond the horizon the forecasts are fed back when the target "
            "is the model's only input; otherwise --future gives the other "
            "inputs' future rows. A causal model steps on from the window "
            "(one step per fed-back row, --method stream) instead of "
            "re-running on every window (--method window)."
        ),
    )
    parser.add_argument(
        "--method",
        choices=("auto", "stream", "window"),
        default="auto",
        help="beyond the horizon: stream (step the model on), window "
        "(re-run it on the last window) or auto (stream when the model is "
        "causal; the default)",
    )
    parser.add_argument("model", metavar="MODEL", help="a .keras forecaster")
    parser.add_argument(
        "--csv", metavar="PATH", required=True, help="the series so far"
    )
    parser.add_argument(
        "--steps", type=int, help="steps to forecast (default: the horizon)"
    )
    parser.add_argument(
        "--future",
        metavar="PATH",
        help="CSV of the future rows of the other input columns",
    )
    parser.add_argument(
        "--date-column",
        metavar="COL",
        help="the date column (default: the model's)",
    )
    parser.add_argument(
        "--out", metavar="FILE.csv", help="also write the forecasts here"
    )
    parser.add_argument(
        "--plot",
        metavar="FILE.png",
        help="draw history, forecast and interval (needs matplotlib)",
    )
    command(
        parser,
        _forecasts,
        run,
        owners=("forecast", "forecast_panel", "load_forecaster"),
    )
