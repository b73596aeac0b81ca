"""What the commands share: the data flags, settings and error messages."""

import argparse

# Flags whose names are not the setting's name with dashes.
_FLAGS = {"overrides": "--set", "architecture": "ARCH"}


def flag(field):
    return _FLAGS.get(field, "--" + field.replace("_", "-"))


def message(error):
    """An error's message with every named setting as its flag."""
    text = str(error)
    for field in getattr(error, "fields", ()):
        text = text.replace(f"`{field}`", flag(field))
    return text


def write_failure(error):
    """One line for an `OSError` of writing the output."""
    where = f" {error.filename}" if getattr(error, "filename", None) else ""
    return f"cannot write{where}: {error.strerror or error}"


def floats(text):
    """`--quantiles 0.1,0.5,0.9` as a tuple of floats."""
    try:
        return tuple(float(item) for item in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected numbers separated by commas, got {text!r}"
        ) from None


def widths(text, default):
    """`--units 32`, `--units gru=32,lstm=20` or `--units 16,gru=32`:
    `(units, {model: units})`; a bare number is every other model's
    width (else `default`). A `ValueError` naming --units for anything
    else (the widths themselves are checked by `Settings`)."""
    if text is None:
        return default, None
    units, named = default, {}
    bare = 0
    for item in str(text).split(","):
        name, sep, value = item.strip().rpartition("=")
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or (sep and not name.strip()):
            raise ValueError(
                "--units expects a width (32), model=width pairs "
                f"(gru=32,lstm=20) or both (16,gru=32); got {text!r}."
            )
        if not sep:
            units, bare = number, bare + 1
        elif name.strip() in named:
            raise ValueError(
                f"--units names {name.strip()!r} twice in {text!r}."
            )
        else:
            named[name.strip()] = number
    if bare > 1:
        raise ValueError(f"--units has more than one bare width: {text!r}.")
    return units, named or None


def name_list(text):
    """`a,b` as a tuple of names; None stays None."""
    if text is None:
        return None
    return tuple(name.strip() for name in text.split(",") if name.strip())


def settings(args, **more):
    """The `experiments.Settings` of the shared flags; `more` adds or
    replaces settings."""
    from keras_seqlab.experiments.settings import Settings

    values = dict(
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
        id_column=args.id_column,
        future_columns=name_list(args.future_columns),
        static_columns=name_list(args.static_columns),
        calendar=name_list(args.calendar),
        val_size=args.val_size,
        test_size=args.test_size,
        max_windows=args.max_windows,
        id_embedding=args.id_embedding,
        season=args.season,
    )
    values.update(more)
    return Settings(**values)


SEASON_HELP = (
    "seasonal period of MASE's scale and the baselines (default from the "
    "dates: hourly 24, daily 7, weekly 52, monthly 12, quarterly 4; 1 "
    "without dates)"
)
BASELINES_HELP = (
    "score classical baselines (statsforecast) on the same targets: all "
    "(no value), or some of seasonal_naive,auto_ets,auto_arima,auto_theta; "
    'needs pip install "keras-seqlab[baselines]"'
)


def data_parser():
    """The data options that compare and tune share (a parent parser)."""
    parser = argparse.ArgumentParser(add_help=False)
    data = parser.add_argument_group("data")
    data.add_argument(
        "--dataset",
        choices=("synthetic", "weather", "weather-cities"),
        default=None,
        help="built-in data set (default: synthetic); weather-cities: the "
        "11 cities of the weather data as a long table, temp_mean of "
        "every city",
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
    data.add_argument(
        "--season",
        type=int,
        metavar="M",
        help=SEASON_HELP,
    )
    panel = parser.add_argument_group(
        "many series (a long table: one row per series and date)"
    )
    panel.add_argument(
        "--id-column",
        metavar="COL",
        help="the series id column of a long CSV table: one global model "
        "over every series",
    )
    panel.add_argument(
        "--future-columns",
        metavar="A,B",
        help="columns known ahead (their values at the forecast dates are "
        "inputs)",
    )
    panel.add_argument(
        "--static-columns",
        metavar="A,B",
        help="columns with one value per series",
    )
    panel.add_argument(
        "--calendar",
        metavar="F,F",
        help="calendar inputs from the dates: month, dayofweek, dayofyear, "
        "day, hour, weekofyear, quarter (weather-cities default: dayofyear)",
    )
    panel.add_argument(
        "--val-size",
        type=int,
        metavar="STEPS",
        help="validation steps per series (default: the horizon, or a "
        "tenth of the median series length if longer)",
    )
    panel.add_argument(
        "--test-size",
        type=int,
        metavar="STEPS",
        help="test steps per series (default as --val-size)",
    )
    panel.add_argument(
        "--id-embedding",
        type=int,
        metavar="DIM",
        help="learn a DIM-wide vector per series id as an input (a series "
        "the model never saw gets the vector of an unknown one)",
    )
    panel.add_argument(
        "--max-windows",
        type=int,
        metavar="N",
        help="at most N training (and validation) windows per series, the "
        "most recent",
    )
    return parser
