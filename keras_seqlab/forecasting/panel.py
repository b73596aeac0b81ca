"""One global model over many series: build, train, score, forecast.

A panel forecaster is one network for every series of a `Panel`
(`keras_seqlab.data.panel`), saved as one `.keras` file that takes raw
values and returns original units, also for a series it never saw:

    inputs   "past"    (B, window, 1 + P + F)  target, past inputs and the
                                                known inputs at those steps
             "future"  (B, horizon, F)         known inputs (future columns,
                                                calendar) at the forecast steps
             "static"  (B, C)                  one row per series

1. `Rescale`: the past and future columns and the statics to standard
   units by a scaler fit on the training steps of every series pooled
   (the target and the calendar codes pass unchanged);
2. `WindowStandardize`: the target by its window's own mean and standard
   deviation, the per-series scaling (see that layer for the rule);
3. the architecture (`keras_seqlab.build(name, ...)`) on the past window;
   with known-future or static inputs, the one mechanism for every
   architecture: its seq-to-vector head gives a `units`-wide summary of
   the window, joined at every forecast step h to that step's known
   inputs and the statics, and a small network per step (one hidden
   `Dense(units, relu)` layer; none for `linear`, which stays linear)
   gives the forecast of step h. `persistence` ignores every input but
   the target;
4. `Unstandardize`: back to original units.

Training minimizes the loss on the window-standardized targets (the
same statistics, `window_statistics`), so every series weighs alike
whatever its scale.
"""

import dataclasses

import keras
import numpy as np
from keras import layers
from keras import ops

from keras_seqlab.data.calendar import season_of
from keras_seqlab.data.panel import with_codes
from keras_seqlab.data.panel_windows import panel_splits
from keras_seqlab.data.panel_windows import shuffled
from keras_seqlab.data.panel_windows import training_rows
from keras_seqlab.data.scaling import Scaler
from keras_seqlab.forecasting.forecaster import SPEC_LAYER
from keras_seqlab.forecasting.metrics import PinballLoss
from keras_seqlab.forecasting.metrics import mae
from keras_seqlab.forecasting.metrics import naive_scale
from keras_seqlab.forecasting.metrics import rmse
from keras_seqlab.forecasting.metrics import smape
from keras_seqlab.layers.heads.forecast import ForecastSpec
from keras_seqlab.layers.heads.forecast import Rescale
from keras_seqlab.layers.heads.forecast import Unstandardize
from keras_seqlab.layers.heads.forecast import WindowStandardize
from keras_seqlab.layers.heads.forecast import window_statistics
from keras_seqlab.layers.heads.quantiles import QuantileHead
from keras_seqlab.layers.heads.quantiles import point_forecast
from keras_seqlab.models import build
from keras_seqlab.models.training import PREDICT_BATCH
from keras_seqlab.models.training import fit
from keras_seqlab.models.training import predict

OWNER = "panel"
# The share of training windows shown as of a series never seen, with an
# id embedding (its row 0 is what a new series gets).
UNKNOWN_SHARE = 0.1


def _pooled(values):
    """`(scale, offset)` lists standardizing `values`' columns."""
    scaler = Scaler("standard").fit(values)
    return (1.0 / np.atleast_1d(scaler.scale)).tolist(), (
        -np.atleast_1d(scaler.center) / np.atleast_1d(scaler.scale)
    ).tolist()


def _scalings(train):
    """The pooled `Rescale` parameters of the past, future and static
    inputs, fit on the training rows of every series (no later row)."""
    p = train.panel
    rows = training_rows(train)
    k_past = p.values.shape[1]
    n_future = len(p.future_columns)
    n_known = 0 if p.known is None else p.known.shape[1]
    scale = [1.0] * (k_past + n_known)
    offset = [0.0] * (k_past + n_known)
    if k_past > 1:
        s, o = _pooled(p.values[rows, 1:])
        scale[1:k_past], offset[1:k_past] = s, o
    if n_future:
        s, o = _pooled(p.known[rows, :n_future])
        scale[k_past : k_past + n_future] = s
        offset[k_past : k_past + n_future] = o
    static = None if p.static is None else _pooled(p.static)
    future = (scale[k_past:], offset[k_past:]) if n_known else None
    return (scale, offset), future, static


def panel_spec(panel, window, horizon, quantiles, id_embedding=0):
    """The `ForecastSpec` config of a panel forecaster of `panel`."""
    roles = {
        "id_column": panel.id_column,
        "past_columns": list(panel.columns[1:]),
        "future_columns": list(panel.future_columns),
        "calendar": list(panel.calendar),
        "static_columns": list(panel.static_columns),
    }
    if id_embedding:
        # The vocabulary of the embedding, in the order of its rows 1...
        roles["ids"] = list(panel.vocabulary)
        roles["id_embedding"] = int(id_embedding)
    return dict(
        columns=list(panel.columns) + list(panel.known_columns),
        target=panel.target,
        window=window,
        horizon=horizon,
        head="many_to_one" if horizon == 1 else "seq_to_vector",
        date_column=panel.date_column,
        quantiles=None if quantiles is None else list(quantiles),
        panel=roles,
    )


def _decoder(name, context, future, static, horizon, units, quantiles):
    """The per-step network joining the summary to the known inputs."""
    parts = [layers.RepeatVector(horizon, name="summary_per_step")(context)]
    if future is not None:
        parts.append(future)
    if static is not None:
        parts.append(
            layers.RepeatVector(horizon, name="static_per_step")(static)
        )
    z = layers.Concatenate(name="per_step_inputs")(parts)
    if name != "linear":
        z = layers.Dense(units, activation="relu", name="per_step_hidden")(z)
    if quantiles is None:
        z = layers.Dense(1, name="per_step_head")(z)
        return layers.Reshape((horizon,), name="forecast")(z)
    z = layers.Dense(len(quantiles), name="per_step_head")(z)
    return QuantileHead(quantiles, name="quantiles")(z)


def build_panel_forecaster(
    name, train, units=32, quantiles=None, id_embedding=0, **options
):
    """`(core, forecaster)` networks of architecture `name` for a panel.

    Args:
        name: an architecture (`keras_seqlab.models.names()`).
        train: the training `PanelWindows` (its panel gives the inputs,
            its rows the pooled scaling).
        units, quantiles, **options: the builder's.
        id_embedding: the width of a learned embedding of the series id,
            joined to the statics (0: none). The ids are the training
            panel's (`with_codes`); row 0 stands for a series the model
            never saw (trained on `ScaledWindows`' `unknown` share).

    Returns:
        `core` maps the raw inputs to window-standardized forecasts (what
        training fits); `forecaster` shares its layers and returns
        original units (what is saved).
    """
    p, window, horizon = train.panel, train.window, train.horizon
    past_scaling, future_scaling, static_scaling = _scalings(train)
    k = len(past_scaling[0])
    past = keras.Input((window, k), name="past")
    inputs = {"past": past}
    spec = panel_spec(p, window, horizon, quantiles, id_embedding)
    x = ForecastSpec(**spec, name=SPEC_LAYER)(past)
    x = Rescale(*past_scaling, name="scale_past")(x)
    x, center, scale = WindowStandardize(0, name="window_scaling")(x)
    future = static = None
    if future_scaling is not None:
        inputs["future"] = keras.Input(
            (horizon, len(future_scaling[0])), name="future"
        )
        future = Rescale(*future_scaling, name="scale_future")(inputs["future"])
    if static_scaling is not None:
        inputs["static"] = keras.Input((len(static_scaling[0]),), name="static")
        static = Rescale(*static_scaling, name="scale_static")(inputs["static"])
    if id_embedding:
        if p.codes is None:
            raise ValueError(
                f"{OWNER}: an id embedding needs the panel's codes "
                "(keras_seqlab.data.panel.with_codes)."
            )
        inputs["series"] = keras.Input((1,), dtype="int32", name="series")
        ids = layers.Embedding(
            len(p.vocabulary) + 1, int(id_embedding), name="id_embedding"
        )(inputs["series"])
        ids = layers.Reshape((int(id_embedding),), name="id_vector")(ids)
        static = (
            ids
            if static is None
            else layers.Concatenate(name="static_and_id")([static, ids])
        )
    head = "many_to_one" if horizon == 1 else "seq_to_vector"
    if name == "persistence":
        options.setdefault("target_index", 0)
    if (future is None and static is None) or name == "persistence":
        body = build(
            name,
            (window, k),
            head=head,
            horizon=horizon,
            units=units,
            quantiles=quantiles,
            **options,
        )
        y = body(x)
        if head == "many_to_one" and quantiles is None:
            y = layers.Reshape((1,), name="forecast")(y)
    else:
        body = build(
            name,
            (window, k),
            head="seq_to_vector",
            horizon=units,
            units=units,
            **options,
        )
        y = _decoder(name, body(x), future, static, horizon, units, quantiles)
    if len(inputs) == 1:
        inputs = past  # one array in, as `PanelWindows.batch` gives it
    core = keras.Model(inputs, y, name=f"{name}_panel")
    return core, panel_forecaster(core)


def panel_forecaster(core, name=None):
    """The forecaster of a core network (`build_panel_forecaster`'s first
    model, e.g. one a keras-tuner search restored): the core's forecast
    mapped back by its own window statistics; the layers are shared."""
    center, scale = core.get_layer("window_scaling").output[1:]
    out = Unstandardize(name="unscale")([core.output, center, scale])
    name = name or core.name.removesuffix("_panel") + "_panel_forecaster"
    return keras.Model(core.input, out, name=name)


class ScaledWindows(keras.utils.PyDataset):
    """Batches of `PanelWindows` with window-standardized targets.

    `(inputs, (y - c) / s)` with c, s the `window_statistics` of each
    window's target: the loss of the core network. Shuffled anew each
    epoch (every window of every series uniformly) when `shuffle`.
    """

    def __init__(
        self, windows, batch_size=32, shuffle=False, seed=0, unknown=0.0
    ):
        super().__init__()
        self.windows = windows
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.unknown = unknown
        self.epoch = 0

    def __len__(self):
        return -(-len(self.windows) // self.batch_size)

    def __getitem__(self, index):
        start = index * self.batch_size
        rows = np.arange(start, min(start + self.batch_size, len(self.windows)))
        if self.shuffle:
            rows = shuffled(rows, len(self.windows), [self.seed, self.epoch])
        inputs, y = self.windows.batch(rows)
        past = inputs["past"] if isinstance(inputs, dict) else inputs
        center, scale = window_statistics(past)
        center = ops.convert_to_numpy(center)
        scale = ops.convert_to_numpy(scale)
        if self.unknown and isinstance(inputs, dict) and "series" in inputs:
            # A share of the windows as if of a series never seen (code
            # 0), so that the embedding's row for new series is trained.
            rng = np.random.default_rng([self.seed, self.epoch, index])
            hidden = rng.random(len(rows)) < self.unknown
            inputs["series"] = np.where(hidden[:, None], 0, inputs["series"])
        return inputs, ((y - center) / scale).astype("float32")

    def on_epoch_end(self):
        self.epoch += 1


@dataclasses.dataclass
class PanelFit:
    """What `fit_panel` returns."""

    forecaster: keras.Model
    history: dict
    seconds: float
    train: object
    val: object
    test: object


def coded_splits(
    panel, window, horizon, val_size, test_size, max_windows, id_embedding=0
):
    """`panel_splits` of `panel`; with `id_embedding`, of the panel coded
    by the ids of the series with training windows (`with_codes`): the
    others (too short to train on) are unknown to the model, as a new
    series is."""
    splits = panel_splits(
        panel,
        window,
        horizon,
        val_size,
        test_size,
        max_windows=max_windows,
        owner=OWNER,
    )
    if not id_embedding:
        return splits
    trained = panel.ids[splits[0].counts > 0]
    panel = with_codes(panel, trained if len(trained) else panel.ids)
    return tuple(dataclasses.replace(w, panel=panel) for w in splits)


def fit_panel(
    name,
    panel,
    window,
    horizon=1,
    val_size=None,
    test_size=None,
    units=32,
    epochs=10,
    batch_size=32,
    patience=3,
    seed=42,
    quantiles=None,
    max_windows=None,
    restore_best=True,
    callbacks=(),
    id_embedding=0,
    **options,
):
    """Trains one global model of architecture `name` on every series.

    The splits are in steps per series (`panel_splits`): training windows
    sampled uniformly over every series (at most `max_windows` of each),
    early stopping on the validation windows (best weights restored).
    With `id_embedding` (a width), the model also learns a vector per
    series id; 10% of the training windows (`UNKNOWN_SHARE`) are shown as
    of an unknown series, whose vector new series get.

    Returns:
        A `PanelFit`: the forecaster (original units), the history, the
        training seconds and the three splits' `PanelWindows`.

    Raises:
        ValueError: naming `panel`, when no series has a training or a
            validation window.
    """
    splits = coded_splits(
        panel, window, horizon, val_size, test_size, max_windows, id_embedding
    )
    train, val, test = splits
    for part in (train, val):
        if not len(part):
            raise ValueError(
                f"{OWNER}: no series of {len(panel)} is long enough for a "
                f"{part.split} window (window {window}, horizon {horizon}, "
                f"validation {val.val_size} and test {val.test_size} steps; "
                f"series of {int(panel.lengths.min())} to "
                f"{int(panel.lengths.max())} steps)."
            )
    keras.utils.set_random_seed(seed)
    core, model = build_panel_forecaster(
        name,
        train,
        units=units,
        quantiles=quantiles,
        id_embedding=id_embedding,
        **options,
    )
    # The package's one training routine (Adam, early stopping on the
    # validation loss); the batches are the datasets' own.
    history, seconds = fit(
        core,
        (
            ScaledWindows(
                train,
                batch_size,
                shuffle=True,
                seed=seed,
                unknown=UNKNOWN_SHARE if id_embedding else 0.0,
            ),
        ),
        ScaledWindows(val, PREDICT_BATCH),
        epochs,
        patience=patience,
        loss="mse" if quantiles is None else PinballLoss(quantiles),
        callbacks=callbacks,
        restore_best=restore_best,
    )
    return PanelFit(model, history, seconds, *splits)


def predict_windows(model, windows):
    """The forecaster's forecasts of every window of `windows`
    (`PanelWindows`), `(N, H)` or `(N, H, Q)`, in original units."""
    parts = []
    for start in range(0, len(windows), 16 * PREDICT_BATCH):
        rows = np.arange(start, min(start + 16 * PREDICT_BATCH, len(windows)))
        inputs, _ = windows.batch(rows)
        parts.append(predict(model, inputs))
    return np.concatenate(parts)


def panel_seasons(panel, season=None):
    """`(S,)` the seasonal period of every series: `season`, or each
    series' own from its dates (`calendar.season_of`: daily 7, ...)."""
    if season is not None:
        return np.full(len(panel), int(season))
    if panel.dates is None:
        return np.ones(len(panel), dtype="int64")
    bounds = panel.offsets  # (S + 1,): series i is rows bounds[i]:bounds[i+1]
    return np.array(
        [season_of(panel.dates[a:b]) for a, b in zip(bounds, bounds[1:])]
    )


def common_season(seasons):
    """The seasonal period every series shares, or None if they differ."""
    found = set(np.asarray(seasons).tolist())
    return found.pop() if len(found) == 1 else None


def panel_scores(windows, predictions, quantiles=None, seasons=None):
    """Scores of forecasts of `windows` (e.g. the test split), per series
    and pooled, in original units.

    Per series: `mae`, `rmse`, `smape` over its windows' forecast steps,
    and `mase` (its MAE over the in-sample seasonal naive MAE of its own
    training steps, m = `seasons[i]` (default 1: the one-step naive);
    NaN where that is 0 or undefined). Pooled: `mae`, `rmse` and
    `smape` over every forecast step of every series, and `mase` the mean
    of the series' MASE (the M4 convention), NaN ones left out.

    Returns:
        `{"pooled": {...}, "series": {id: {..., "windows": n}}}`.
    """
    p = windows.panel
    y = windows.targets().astype("float64")
    f = point_forecast(np.asarray(predictions, dtype="float64"), quantiles)
    series = windows.locate(np.arange(len(windows)))[0]
    ends = windows.insample_end()
    per = {}
    for i in np.unique(series):
        pick = series == i
        start = p.offsets[i]
        insample = p.values[start : start + max(ends[i], 0), 0]
        per[str(p.ids[i])] = {
            "mae": mae(y[pick], f[pick]),
            "rmse": rmse(y[pick], f[pick]),
            "mase": mae(y[pick], f[pick])
            / naive_scale(insample, 1 if seasons is None else seasons[i]),
            "smape": smape(y[pick], f[pick]),
            "windows": int(pick.sum()),
        }
    mases = [s["mase"] for s in per.values() if np.isfinite(s["mase"])]
    pooled = {
        "mae": mae(y, f),
        "rmse": rmse(y, f),
        "mase": float(np.mean(mases)) if mases else float("nan"),
        "smape": smape(y, f),
    }
    return {"pooled": pooled, "series": per}
