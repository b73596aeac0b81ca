"""Rolling-origin evaluation: forecast from each of the last K origins.

At origin o the model sees rows [0, o) only and forecasts rows
[o, o + H); the origins are H rows apart, the last one H rows before the
end of the series. A saved forecaster is used as it is; an architecture
name is trained anew at every origin on the rows before it (the last 20%
of them for early stopping, the scaler fit on the rest), so nothing after
an origin reaches its forecast.
"""

import keras
import numpy as np

from keras_seqlab.data.calendar import season_of
from keras_seqlab.data.panel import Panel
from keras_seqlab.data.panel import panel_from_frame
from keras_seqlab.data.scaling import Scaler
from keras_seqlab.data.series import named
from keras_seqlab.data.series import select
from keras_seqlab.data.splits import temporal_split
from keras_seqlab.data.windows import make_windows
from keras_seqlab.forecasting.backtest_tables import Origins
from keras_seqlab.forecasting.backtest_tables import compare_origins
from keras_seqlab.forecasting.backtest_tables import format_baselines
from keras_seqlab.forecasting.backtest_tables import pooled_scores
from keras_seqlab.forecasting.backtest_tables import runner
from keras_seqlab.forecasting.baselines import Job
from keras_seqlab.forecasting.cv_table import METRICS
from keras_seqlab.forecasting.cv_table import plain_dates
from keras_seqlab.forecasting.forecast import forecast
from keras_seqlab.forecasting.forecaster import forecaster
from keras_seqlab.forecasting.forecaster import forecaster_spec
from keras_seqlab.forecasting.metrics import naive_scale
from keras_seqlab.forecasting.panel_backtest import backtest_panel
from keras_seqlab.forecasting.panel_backtest import format_panel_backtest
from keras_seqlab.forecasting.panel_forecast import panel_for
from keras_seqlab.layers.heads.quantiles import point_forecast
from keras_seqlab.models import build
from keras_seqlab.models import names as architectures
from keras_seqlab.models.training import fit
from keras_seqlab.utils.validation import check_units

OWNER = "backtest"


def _table(data, columns, date_column):
    """`(values (rows, k), names, dates)`; every column when `columns` is
    None and `data` names its columns."""
    if columns is None:
        found = named(OWNER, data)
        if found.columns is None:
            raise ValueError(
                f"{OWNER}: an array needs `columns` naming its columns."
            )
        columns = found.columns
    values, dates = select(OWNER, data, columns, date_column)
    return values, list(columns), dates


def _refit(name, rows, names, target, window, horizon, settings):
    """Architecture `name` trained on `rows` only; a forecaster."""
    head = "many_to_one" if horizon == 1 else "seq_to_vector"
    train, val, _ = temporal_split(rows, val=0.2, test=0.0)
    scaler = Scaler().fit(train)
    index = names.index(target)
    splits = []
    for part in (train, val):
        try:
            splits.append(
                make_windows(
                    scaler.transform(part), window, horizon, targets=index
                )
            )
        except ValueError:
            raise ValueError(
                f"{OWNER}: {len(rows)} rows before an origin are too few to "
                f"train with window {window} and horizon {horizon}; use "
                "fewer folds or a shorter window."
            ) from None
    keras.utils.set_random_seed(settings["seed"])
    options = dict(settings["options"])
    if name == "persistence":
        options["target_index"] = index
    model = build(
        name,
        (window, len(names)),
        head=head,
        horizon=horizon,
        units=settings["units"],
        **options,
    )
    fit(
        model,
        splits[0],
        splits[1],
        settings["epochs"],
        patience=settings["patience"],
    )
    return forecaster(model, names, target, head, horizon, scaler=scaler)


def backtest(
    model,
    data,
    folds=3,
    horizon=None,
    target=None,
    columns=None,
    window=30,
    epochs=10,
    patience=3,
    units=32,
    seed=42,
    id_column=None,
    date_column=None,
    future_columns=None,
    static_columns=None,
    calendar=None,
    baselines=None,
    season=None,
    **options,
):
    """Forecasts from the last `folds` origins and scores them.

    Args:
        model: a forecaster (`keras_seqlab.forecaster`,
            `load_forecaster(path)`), used without refitting; or an
            architecture name (`keras_seqlab.models.names()`), trained at
            every origin on the rows before it.
        data: the series: a `SeriesData`, a pandas DataFrame, or an array
            with `columns`.
        folds: the number of origins.
        horizon: the steps forecast from each origin (default: the
            forecaster's horizon; 1 for an architecture).
        target, columns, window: for an architecture: the column to
            forecast, the input columns (default: all) and the window.
        epochs, patience, units, seed, **options: the training of an
            architecture (early stopping on the last 20% of the rows
            before the origin) and its builder's options.
        id_column, date_column, future_columns, static_columns, calendar:
            for many series in a long DataFrame (or a `Panel`, or a panel
            forecaster): every series is backtested from its own last
            `folds` origins, one global model per fold for an
            architecture (`keras_seqlab.forecasting.panel_backtest`);
            the result then has per-series scores too.
        baselines: classical baselines (statsforecast) fit anew at every
            origin on the same rows and scored on the same steps: `"all"`
            or names of `keras_seqlab.forecasting.baselines.BASELINES`.
        season: the seasonal period of MASE's scale and the baselines
            (default from the dates: daily 7, ...; 1 without dates).

    Returns:
        A dict: `folds` (per origin: `origin` row, `date`, `forecast`,
        `truth` and the metrics `mae`, `rmse`, `mase` (scaled by the
        seasonal naive error of the rows before the origin; NaN where
        that is 0), `smape`), `mean` (each metric over the folds),
        `target`, `horizon`, `season`; `cv` and `cv_metrics`, the
        field's long tables (DataFrames with pandas: `unique_id, ds,
        cutoff, y, <model>...` and one row per series, cutoff and metric;
        see `keras_seqlab.forecasting.cv_table`); with `baselines`, their
        scores, `best_baseline`, and the model's `skill` and
        Diebold–Mariano `dm`, `dm_p` against it
        (`keras_seqlab.forecasting.backtest_tables`).
    """
    folds = check_units(OWNER, folds, "folds")
    if season is not None:
        season = check_units(OWNER, season, "season")
    baselines = runner(OWNER, baselines)
    panel = _panel_of(
        model,
        data,
        target,
        columns,
        dict(
            id_column=id_column,
            date_column=date_column,
            future_columns=future_columns,
            static_columns=static_columns,
            calendar=calendar,
        ),
    )
    if panel is not None:
        if isinstance(model, str) and model not in architectures():
            raise ValueError(
                f"{OWNER}: unknown architecture {model!r}; the "
                f"architectures are {', '.join(architectures())}."
            )
        extra = {}
        if isinstance(model, str):
            extra = dict(
                epochs=check_units(OWNER, epochs, "epochs"),
                patience=check_units(OWNER, patience, "patience"),
                units=check_units(OWNER, units, "units"),
                seed=seed,
                **options,
            )
        elif options:
            raise ValueError(
                f"{OWNER}: builder options {sorted(options)} apply to an "
                "architecture, not to a saved forecaster."
            )
        return backtest_panel(
            model,
            panel,
            folds,
            horizon,
            window=window,
            baselines=baselines,
            season=season,
            **extra,
        )
    if isinstance(model, str):
        if model not in architectures():
            raise ValueError(
                f"{OWNER}: unknown architecture {model!r}; the "
                f"architectures are {', '.join(architectures())}."
            )
        if target is None and isinstance(getattr(data, "targets", None), int):
            target = data.columns[data.targets]  # a SeriesData's target
        if target is None:
            raise ValueError(
                f"{OWNER}: an architecture needs `target`, the column to "
                "forecast."
            )
        horizon = check_units(
            OWNER, 1 if horizon is None else horizon, "horizon"
        )
        window = check_units(OWNER, window, "window")
        settings = dict(
            seed=seed,
            epochs=check_units(OWNER, epochs, "epochs"),
            patience=check_units(OWNER, patience, "patience"),
            units=check_units(OWNER, units, "units"),
            options=options,
        )
    else:
        spec = forecaster_spec(model)
        if options:
            raise ValueError(
                f"{OWNER}: builder options {sorted(options)} apply to an "
                "architecture, not to a saved forecaster."
            )
        columns, target = spec["columns"], spec["target"]
        window = spec["window"]
        horizon = check_units(
            OWNER, spec["horizon"] if horizon is None else horizon, "horizon"
        )
    if not isinstance(model, str):
        date_column = date_column or spec["date_column"]
    values, names, dates = _table(data, columns, date_column)
    if target not in names:
        raise ValueError(
            f"{OWNER}: the target {target!r} is not a column of `data` "
            f"({names})."
        )
    index = names.index(target)
    first = len(values) - folds * horizon
    if first < window + 2:
        raise ValueError(
            f"{OWNER}: {len(values)} rows leave {first} before the first of "
            f"{folds} origin(s) {horizon} apart; at least {window + 2} are "
            "needed."
        )
    season = season or season_of(dates)
    quantiles = None if isinstance(model, str) else spec["quantiles"]
    results, raw, scales = [], [], []
    origins = np.arange(first, len(values), horizon)
    for origin in origins:
        rows = values[:origin]
        if isinstance(model, str):
            used = _refit(model, rows, names, target, window, horizon, settings)
        else:
            used = model
        future = values[origin : origin + horizon]
        raw.append(forecast(used, rows, steps=horizon, future=future))
        # A quantile model is scored on its median.
        guess = point_forecast(np.asarray(raw[-1]), quantiles)
        truth = future[:, index]
        scales.append(naive_scale(rows[:, index], season))
        results.append(
            {
                "origin": int(origin),
                "date": None if dates is None else str(dates[origin]),
                "forecast": guess.tolist(),
                "truth": truth.tolist(),
                **pooled_scores(
                    truth[None], guess[None], np.array(scales[-1:])
                ),
            }
        )
    mean = {m: float(np.mean([f[m] for f in results])) for m in METRICS}
    result = {
        "target": target,
        "horizon": horizon,
        "season": season,
        "folds": results,
        "mean": mean,
    }
    shown = plain_dates(dates)
    at = (lambda row: shown[row]) if shown is not None else int
    series = values[:, index].astype("float64")
    found = Origins(
        [target] * len(origins),
        [at(o - 1) for o in origins],
        [[at(o + k) for k in range(horizon)] for o in origins],
        np.array([f["truth"] for f in results]),
        np.array(scales),
        np.arange(len(origins)),
    )
    jobs = [Job(target, series, origins, None, season)]
    name = model if isinstance(model, str) else model.name
    return compare_origins(
        result, found, name, np.stack(raw), quantiles, (baselines, jobs)
    )


def _panel_of(model, data, target, columns, roles):
    """The `Panel` a backtest runs on, or None for one series."""
    given = {k: v for k, v in roles.items() if v is not None}
    spec = None if isinstance(model, str) else forecaster_spec(model)
    if spec is not None and spec.get("panel") is not None:
        return panel_for(data, spec, OWNER)
    if isinstance(data, Panel):
        return data
    if roles["id_column"] is None:
        extra = sorted(set(given) - {"date_column"})
        if extra:
            raise ValueError(
                f"{OWNER}: {extra} apply to a long table; pass `id_column`."
            )
        return None
    if spec is not None:
        raise ValueError(
            f"{OWNER}: the forecaster was trained on one series; it cannot "
            "backtest a long table."
        )
    if target is None:
        raise ValueError(f"{OWNER}: a long table needs `target`.")
    table = given.pop("id_column"), given.pop("date_column", None)
    if columns is not None:  # as in compare: the target is not a past input
        columns = [c for c in columns if c != target]
    return panel_from_frame(
        data,
        table[0],
        target,
        table[1],
        past_columns=columns,
        owner=OWNER,
        **given,
    )


def format_backtest(result):
    """The folds and their mean as a text table."""
    if "series" in result:
        return format_panel_backtest(result)
    header = f"{'origin':>12}  " + "  ".join(f"{m:>9}" for m in METRICS)
    lines = [
        f"backtest of {result['target']}: {len(result['folds'])} origin(s), "
        f"{result['horizon']} step(s) each",
        header,
    ]
    for fold in result["folds"]:
        where = fold["date"] or f"row {fold['origin']}"
        lines.append(
            f"{where:>12}  " + "  ".join(f"{fold[m]:>9.4g}" for m in METRICS)
        )
    lines.append(
        f"{'mean':>12}  "
        + "  ".join(f"{result['mean'][m]:>9.4g}" for m in METRICS)
    )
    lines += format_baselines(result)
    return "\n".join(lines)
