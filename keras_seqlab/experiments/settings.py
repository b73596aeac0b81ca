"""The settings of an experiment, checked once, in the library's own words.

`Settings` holds what `seqlab compare` and `seqlab tune` share: the data
(which data set, columns, window, horizon, how many windows) and the
training (epochs, batch size, patience, width, seed). `validated()`
returns a checked copy with the defaults filled in, or raises a
`SettingsError` naming the setting(s) at fault. Messages name settings
as `name` in backticks; `SettingsError.fields` lists them, so a command
line can print its own flag for each (`keras_seqlab.cli`).
"""

import dataclasses

from keras_seqlab.forecasting.baselines import choose_baselines
from keras_seqlab.forecasting.baselines import statsforecast_models
from keras_seqlab.layers.heads.quantiles import check_quantiles
from keras_seqlab.utils.validation import check_flag
from keras_seqlab.utils.validation import check_int
from keras_seqlab.utils.validation import check_non_negative

DATASETS = ("synthetic", "weather", "weather-cities", "csv")
DEFAULT_WINDOW = {
    "synthetic": 50,
    "weather": 30,
    "weather-cities": 30,
    "csv": 30,
}
# The long-table settings: they need `id_column` (or weather-cities).
PANEL_FIELDS = (
    "id_embedding",
    "future_columns",
    "static_columns",
    "calendar",
    "val_size",
    "test_size",
    "max_windows",
)


class SettingsError(ValueError):
    """A bad setting or data; `fields` names the settings at fault."""

    def __init__(self, message, *fields):
        super().__init__(message)
        self.fields = fields


def setting_int(name, value, minimum=1, owner=None):
    """`value` as an int; a `SettingsError` unless it is an integer >=
    `minimum` (`check_int`, its message naming the setting, and `owner`
    if given)."""
    try:
        return check_int(owner, name, value, minimum)
    except ValueError as error:
        raise SettingsError(str(error), name) from None


HEAD_NAMES = ("many_to_one", "seq_to_vector", "seq_to_seq")
SPLITS = ("rows", "windows")


def _model_units(model_units):
    """`model_units` as a dict of positive ints by model name, or None."""
    if model_units is None:
        return None
    try:
        items = dict(model_units).items()
    except (TypeError, ValueError):
        raise SettingsError(
            "`units` per model must map model names to widths, got "
            f"{model_units!r}.",
            "units",
        ) from None
    checked = {}
    for name, value in items:
        if not isinstance(name, str) or not name:
            raise SettingsError(
                f"`units` per model needs model names, got {name!r}.", "units"
            )
        checked[name] = setting_int("units", value)
    return checked or None


def _heads(heads):
    if heads is None:
        return None
    if isinstance(heads, str):
        heads = [heads]
    heads = tuple(heads)
    unknown = [h for h in heads if h not in HEAD_NAMES]
    if not heads or unknown:
        raise SettingsError(
            f"`heads` must name some of {', '.join(HEAD_NAMES)}, got "
            f"{heads!r}.",
            "heads",
        )
    return heads


def _baselines(value):
    """The baseline names, checked, and statsforecast found; () for none."""
    try:
        names = choose_baselines("", value)
        if names:
            statsforecast_models("")
    except (ValueError, ImportError) as error:
        raise SettingsError(
            str(error).removeprefix(": "), "baselines"
        ) from None
    return names


@dataclasses.dataclass(frozen=True)
class Settings:
    """The data and training settings of one experiment.

    Attributes:
        dataset: `"synthetic"` (the default), `"weather"` or `"csv"`.
        csv: path of a CSV file (implies `dataset="csv"`).
        target: the column to forecast (required with `csv`; default
            `"BASEL_sunshine"` for the weather data).
        columns: the input columns of a CSV or weather table (default:
            every column but the date column; BASEL's for the weather).
        date_column: the date column of a CSV file.
        window: input length (default 50 synthetic, 30 otherwise).
        horizon: steps forecast; None runs the default tasks (synthetic:
            1 and 10; tables: 1).
        limit: at most this many windows (series) per split.
        seed: the seed set before each model is built.
        epochs: the most epochs per model (early stopping may stop sooner).
        batch_size, patience, units: training batch size, early-stopping
            patience, width of every model.
        quantiles: train quantile models (pinball loss) for these levels,
            e.g. (0.1, 0.5, 0.9); None for point forecasts (MSE).
        calibrate: widen the outermost interval by split-conformal
            calibration on the validation split (needs `quantiles`).
        heads: run only the tasks of these heads (`"many_to_one"`,
            `"seq_to_vector"`, `"seq_to_seq"`); None runs every task.
        model_units: widths of some models by name (`{"gru": 32,
            "lstm": 20}`), overriding `units` for those; every name must
            be a model that runs.
        scale: fit a standard scaler on the training rows of a table
            (weather, csv) and train in scaled units (the default);
            False trains on the raw values (scores stay in original
            units). Synthetic series are never scaled.
        restore_best: restore the weights of the best validation epoch
            after early stopping (the default); False keeps the last
            epoch's weights, as the textbooks do.
        split: how a table is split (synthetic series are split by
            series): `"rows"` (the default) splits the rows 80/10/10 and
            windows each split, so no window spans two splits;
            `"windows"` windows the whole table first and splits the
            windows (in time order, counts rounded as scikit-learn's
            `train_test_split` does), as the Carpentries lesson does:
            the first validation and test windows then hold rows of the
            split before them.
        id_column: the series id column of a long CSV table (many series,
            one row per series and date): one global model is trained
            over every series (`keras_seqlab.forecasting.panel`).
        future_columns, static_columns, calendar: a long table's
            known-future and static input columns and calendar features
            (`keras_seqlab.data.calendar`); the other columns are past
            inputs.
        val_size, test_size: a long table's validation and test steps
            per series (default: the horizon, or a tenth of the median
            series length if longer).
        max_windows: at most this many training and validation windows
            per series (the most recent; the test windows are never
            capped).
        id_embedding: the width of a learned embedding of a long table's
            series ids, an input of every model (None: none).
        baselines: classical baselines (statsforecast) scored on the same
            test targets: `"all"`, or names from
            `keras_seqlab.forecasting.baselines.BASELINES`; None: none.
        season: the seasonal period of MASE's scale and the baselines
            (None: from the dates' step, hourly 24, daily 7, weekly 52,
            monthly 12, quarterly 4; 1 without dates).
    """

    dataset: str | None = None
    csv: str | None = None
    target: str | None = None
    columns: tuple | None = None
    date_column: str | None = None
    window: int | None = None
    horizon: int | None = None
    limit: int | None = None
    seed: int = 42
    epochs: int = 20
    batch_size: int = 32
    patience: int = 5
    units: int = 32
    quantiles: tuple | None = None
    calibrate: bool = False
    heads: tuple | None = None
    model_units: dict | None = None
    scale: bool = True
    restore_best: bool = True
    split: str = "rows"
    id_column: str | None = None
    future_columns: tuple | None = None
    static_columns: tuple | None = None
    calendar: tuple | None = None
    val_size: int | None = None
    test_size: int | None = None
    max_windows: int | None = None
    id_embedding: int | None = None
    baselines: tuple | str | None = None
    season: int | None = None

    @property
    def panel(self):
        """Whether the data is many series in a long table."""
        return self.id_column is not None or self.dataset == "weather-cities"

    def units_for(self, name):
        """The width of model `name`: its `model_units` entry or `units`."""
        return (self.model_units or {}).get(name, self.units)

    def validated(self):
        """A checked copy with `dataset` and `window` resolved."""
        dataset = self.dataset
        if self.csv is not None:
            if dataset not in (None, "csv"):
                raise SettingsError(
                    "pass either `dataset` or `csv`, not both.",
                    "dataset",
                    "csv",
                )
            dataset = "csv"
        dataset = dataset or "synthetic"
        if dataset not in DATASETS:
            raise SettingsError(
                f"unknown dataset {dataset!r}; expected one of "
                f"{', '.join(DATASETS)}.",
                "dataset",
            )
        if dataset == "csv" and self.csv is None:
            raise SettingsError("the csv dataset needs `csv` PATH.", "csv")
        if dataset == "csv" and not self.target:
            raise SettingsError(
                "`csv` needs `target` COLUMN (the column to forecast).",
                "csv",
                "target",
            )
        if dataset == "synthetic" and (
            self.target or self.columns or self.date_column
        ):
            raise SettingsError(
                "`target`, `columns` and `date_column` apply to `csv` and "
                "`dataset` weather only.",
                "target",
                "columns",
                "date_column",
                "csv",
                "dataset",
            )
        if isinstance(self.target, (list, tuple)):
            raise SettingsError(
                "an experiment forecasts one target column.", "target"
            )
        quantiles = self.quantiles
        if quantiles is not None:
            try:
                quantiles = check_quantiles("", quantiles)
            except ValueError as error:
                message = str(error).removeprefix(": ")
                raise SettingsError(message, "quantiles") from None
            if len(quantiles) < 2:
                raise SettingsError(
                    "`quantiles` needs at least two levels for an interval, "
                    f"got {self.quantiles!r}.",
                    "quantiles",
                )
        if self.calibrate and quantiles is None:
            raise SettingsError(
                "`calibrate` needs `quantiles` (an interval to calibrate).",
                "calibrate",
                "quantiles",
            )
        columns = self.columns
        if columns is not None:
            columns = tuple(columns)
        window = self.window
        if window is None:
            window = DEFAULT_WINDOW[dataset]
        optional = {
            name: None if value is None else setting_int(name, value)
            for name, value in (
                ("horizon", self.horizon),
                ("limit", self.limit),
                ("season", self.season),
            )
        }
        setting_int("seed", self.seed, minimum=None)
        if self.split not in SPLITS:
            raise SettingsError(
                f"`split` must be one of {', '.join(SPLITS)}, got "
                f"{self.split!r}.",
                "split",
            )
        if dataset == "synthetic" and (
            self.split != "rows" or self.scale is not True
        ):
            raise SettingsError(
                "`split` windows and `no_scale` apply to tables (`dataset` "
                "weather, `csv`); the synthetic series are split by series "
                "and never scaled.",
                "split",
                "no_scale",
            )
        panel = self._panel_checks(dataset)
        for name in ("scale", "restore_best"):
            try:
                check_flag(None, name, getattr(self, name))
            except ValueError as error:
                raise SettingsError(str(error), name) from None
        return dataclasses.replace(
            self,
            dataset=dataset,
            columns=columns,
            window=setting_int("window", window),
            seed=int(self.seed),
            epochs=setting_int("epochs", self.epochs),
            batch_size=setting_int("batch_size", self.batch_size),
            patience=setting_int("patience", self.patience),
            units=setting_int("units", self.units),
            quantiles=quantiles,
            calibrate=bool(self.calibrate),
            heads=_heads(self.heads),
            baselines=_baselines(self.baselines),
            model_units=_model_units(self.model_units),
            **optional,
            **panel,
        )

    def _panel_checks(self, dataset):
        """The long-table settings, checked; a dict of the checked ones."""
        panel = self.id_column is not None or dataset == "weather-cities"
        given = [
            name
            for name in PANEL_FIELDS
            if getattr(self, name) not in (None, ())
        ]
        if not panel:
            if given:
                raise SettingsError(
                    f"{', '.join(f'`{n}`' for n in given)} apply to a long "
                    "table of many series: pass `id_column` (or `dataset` "
                    "weather-cities).",
                    *given,
                    "id_column",
                )
            return {}
        if self.id_column is not None and dataset != "csv":
            raise SettingsError(
                "`id_column` applies to a `csv` long table.", "id_column"
            )
        refused = {
            "split": self.split != "rows",
            "no_scale": self.scale is not True,
            "calibrate": bool(self.calibrate),
            "heads": self.heads is not None,
        }
        bad = [name for name, on in refused.items() if on]
        if bad:
            raise SettingsError(
                f"{', '.join(f'`{n}`' for n in bad)} do not apply to a long "
                "table: its splits are the last steps of every series, the "
                "target is scaled by each window's own statistics, and its "
                "one task forecasts `horizon` steps.",
                *bad,
            )
        if self.calendar and dataset == "csv" and not self.date_column:
            raise SettingsError(
                "`calendar` features need `date_column`.",
                "calendar",
                "date_column",
            )
        checked = {}
        for name in ("val_size", "test_size", "max_windows", "id_embedding"):
            value = getattr(self, name)
            if value is not None:
                if name in ("max_windows", "id_embedding"):
                    checked[name] = setting_int(name, value)
                    continue
                try:
                    checked[name] = check_non_negative("", name, value)
                except ValueError:
                    raise SettingsError(
                        f"`{name}` must be a count of steps (an integer "
                        f">= 0), got {value!r}.",
                        name,
                    ) from None
        for name in ("future_columns", "static_columns", "calendar"):
            value = getattr(self, name)
            if value is not None:
                checked[name] = tuple(value)
        return checked
