"""What the commands share: the data flags, settings and error messages."""

import argparse
import re

_NAMED = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*(?:\[[0-9]+\])?)`")


class BadArguments(Exception):
    """What argparse refuses (an unknown flag, `--season x`): one line,
    `PROG: MESSAGE`, exit status 2, raised instead of argparse's usage
    and `SystemExit` so `cli.main([...])` returns like any refusal."""


class Parser(argparse.ArgumentParser):
    """An `ArgumentParser` whose refusals are `BadArguments` (its
    subcommands' parsers are of its class too)."""

    def error(self, message):
        raise BadArguments(f"{self.prog}: {message}")


def flag(field):
    """The flag of a setting no parser names: `val_size` is --val-size."""
    return "--" + field.replace("_", "-")


def parser_flags(parser):
    """`{dest: flag}` of every argument of `parser`: an option's long
    string (`future_columns` is --future-columns, `overrides` --set), a
    positional's metavar (`architecture` is ARCH)."""
    flags = {}
    # argparse has no public list of a parser's arguments.
    for action in parser._actions:
        if action.dest in (argparse.SUPPRESS, "help"):
            continue
        if action.option_strings:
            longs = [s for s in action.option_strings if s.startswith("--")]
            flags[action.dest] = (longs or action.option_strings)[0]
        else:
            flags[action.dest] = action.metavar or action.dest.upper()
    return flags


def message(error, flags=None, owners=()):
    """An error's message in the command's words.

    The library names a setting in backticks: each one that is a flag of
    the command (`flags`, from `parser_flags`) or that the error lists in
    its `fields` (`experiments.SettingsError`, `utils.files.FolderError`)
    becomes that flag. A leading `owner: ` of `owners` (the library
    function that raised it) goes.
    """
    flags = flags or {}
    fields = set(getattr(error, "fields", ()))
    text = str(error)
    for owner in owners:
        text = text.removeprefix(f"{owner}: ")

    def named(match):
        # An item of a list setting, `quantiles[0]`, is named by its flag
        # and position: "--quantiles item 1".
        name, _, index = match.group(1).partition("[")
        item = f" item {int(index.rstrip(']')) + 1}" if index else ""
        if name in flags:
            return flags[name] + item
        return flag(name) + item if name in fields else match.group(0)

    return _NAMED.sub(named, text)


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
    "score classical baselines (statsforecast) on the same {scored}: all "
    "(no value), or some of seasonal_naive,auto_ets,auto_arima,auto_theta; "
    'needs pip install "keras-seqlab[baselines]"'
)

_DATA = "data"
_PANEL = "many series (a long table: one row per series and date)"

# Every data flag, declared once: (group, flag, argparse keywords). Its
# dest is the setting's name in `experiments.Settings` and the library.
DATA_FLAGS = {
    "dataset": (
        _DATA,
        "--dataset",
        dict(
            choices=("synthetic", "weather", "weather-cities"),
            default=None,
            help="built-in data set (default: synthetic); weather-cities: "
            "the 11 cities of the weather data as a long table, temp_mean "
            "of every city",
        ),
    ),
    "csv": (_DATA, "--csv", dict(metavar="PATH", help="your own CSV file")),
    "target": (
        _DATA,
        "--target",
        dict(
            metavar="COL",
            help="column to forecast (needed with --csv; weather default "
            "BASEL_sunshine)",
        ),
    ),
    "columns": (
        _DATA,
        "--columns",
        dict(
            metavar="A,B",
            help="input columns (default: all but --date-column; weather: "
            "the BASEL columns)",
        ),
    ),
    "date_column": (
        _DATA,
        "--date-column",
        dict(metavar="COL", help="date column of the CSV file"),
    ),
    "window": (
        _DATA,
        "--window",
        dict(
            type=int,
            help="input window length (default 50 synthetic, 30 otherwise)",
        ),
    ),
    "limit": (
        _DATA,
        "--limit",
        dict(
            type=int,
            help="at most N windows (series) per split, for quick runs",
        ),
    ),
    "seed": (_DATA, "--seed", dict(type=int, default=42, help="default 42")),
    "season": (
        _DATA,
        "--season",
        dict(type=int, metavar="M", help=SEASON_HELP),
    ),
    "id_column": (
        _PANEL,
        "--id-column",
        dict(
            metavar="COL",
            help="the series id column of a long CSV table: one global "
            "model over every series",
        ),
    ),
    "future_columns": (
        _PANEL,
        "--future-columns",
        dict(
            metavar="A,B",
            help="columns known ahead (their values at the forecast dates "
            "are inputs)",
        ),
    ),
    "static_columns": (
        _PANEL,
        "--static-columns",
        dict(metavar="A,B", help="columns with one value per series"),
    ),
    "calendar": (
        _PANEL,
        "--calendar",
        dict(
            metavar="F,F",
            help="calendar inputs from the dates: month, dayofweek, "
            "dayofyear, day, hour, weekofyear, quarter (weather-cities "
            "default: dayofyear)",
        ),
    ),
    "val_size": (
        _PANEL,
        "--val-size",
        dict(
            type=int,
            metavar="STEPS",
            help="validation steps per series (default: the horizon, or a "
            "tenth of the median series length if longer)",
        ),
    ),
    "test_size": (
        _PANEL,
        "--test-size",
        dict(
            type=int,
            metavar="STEPS",
            help="test steps per series (default as --val-size)",
        ),
    ),
    "id_embedding": (
        _PANEL,
        "--id-embedding",
        dict(
            type=int,
            metavar="DIM",
            help="learn a DIM-wide vector per series id as an input (a "
            "series the model never saw gets the vector of an unknown one)",
        ),
    ),
    "max_windows": (
        _PANEL,
        "--max-windows",
        dict(
            type=int,
            metavar="N",
            help="at most N training (and validation) windows per series, "
            "the most recent",
        ),
    ),
}


def add_data_flags(parser, names=None, **changes):
    """Adds the data flags `names` (default: every one) to `parser`, in
    their groups; `changes` replaces keywords of one flag's declaration
    (`csv={"required": True}`)."""
    unknown = set(changes) - set(DATA_FLAGS)
    if unknown:
        raise TypeError(f"no data flag {sorted(unknown)}")
    groups = {}
    for name, (group, option, keywords) in DATA_FLAGS.items():
        if names is not None and name not in names:
            continue
        if group not in groups:
            groups[group] = parser.add_argument_group(group)
        groups[group].add_argument(
            option, **{**keywords, **changes.get(name, {})}
        )
    return parser


def add_baselines(parser, scored):
    """`--baselines [A,B]`, the baselines scored on the same `scored`."""
    parser.add_argument(
        "--baselines",
        nargs="?",
        const="all",
        metavar="A,B",
        help=BASELINES_HELP.format(scored=scored),
    )


def data_parser():
    """Every data flag, the options compare and tune share (a parent
    parser)."""
    return add_data_flags(argparse.ArgumentParser(add_help=False))
