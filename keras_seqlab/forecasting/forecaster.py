"""A trained model as a forecaster: raw windows in, original units out.

`forecaster(model, ...)` wraps a model trained on scaled data between a
`ForecastSpec` (what the inputs are), the input scaling and the output
un-scaling, all Keras layers without weights: the saved `.keras` file is
usable alone (`load_forecaster(path)`, or `keras.saving.load_model(path,
safe_mode=True)` after `import keras_seqlab`).
"""

import pathlib
import zipfile

import keras

from keras_seqlab.layers.heads.forecast import ForecastSpec
from keras_seqlab.layers.heads.forecast import Rescale
from keras_seqlab.layers.heads.quantiles import model_quantiles

SPEC_LAYER = "forecast_spec"
OWNER = "load_forecaster"
ZIP_START = b"PK\x03\x04"  # a zip archive's first local file header
CONFIG_MEMBER = "config.json"  # what every .keras archive holds


def forecaster(
    model,
    columns,
    target,
    head,
    horizon,
    scaler=None,
    date_column=None,
    freq=None,
    name=None,
):
    """`model` wrapped to take raw windows and forecast in original units.

    Args:
        model: a Keras model with inputs `(batch, window, len(columns))`
            (e.g. from `keras_seqlab.build`), trained on data scaled by
            `scaler` (or unscaled, `scaler=None`).
        columns: the names of the input columns, in the model's order.
        target: the forecast column; one of `columns`.
        head, horizon: the model's head and horizon (as given to `build`).
        scaler: the fitted `keras_seqlab.Scaler` of the training data (one
            center and scale per column of `columns`), or None.
        date_column, freq: the series' date column and step in days, if
            known; `forecast` then dates its forecasts.
        name: the forecaster's name (default: the model's + "_forecaster").

    Returns:
        A `keras.Model` from raw `(batch, window, len(columns))` windows to
        the model's outputs in the target's original units.
    """
    owner = "forecaster"
    if not isinstance(model, keras.Model) or not model.inputs:
        raise TypeError(
            f"{owner}: expected a built keras.Model with inputs, got "
            f"{type(model).__name__}."
        )
    columns = [columns] if isinstance(columns, str) else list(columns)
    shape = tuple(model.inputs[0].shape)
    if len(shape) != 3 or shape[1] is None or shape[2] != len(columns):
        raise ValueError(
            f"{owner}: the model takes inputs of shape {shape}; expected "
            f"(batch, window, {len(columns)}) for the columns {columns} "
            "with a fixed window."
        )
    if target not in columns:
        raise ValueError(
            f"{owner}: the target {target!r} must be one of the input "
            f"columns {columns}."
        )
    window = shape[1]
    quantiles = model_quantiles(model)
    inputs = keras.Input(shape[1:], name="raw_windows")
    x = ForecastSpec(
        columns,
        target,
        window,
        horizon,
        head,
        date_column=date_column,
        freq=freq,
        quantiles=quantiles,
        name=SPEC_LAYER,
    )(inputs)
    if scaler is not None:
        if not scaler.fitted:
            raise ValueError(f"{owner}: the scaler is not fitted.")
        size = scaler.center.size if scaler.center.ndim else 1
        if size != len(columns):
            raise ValueError(
                f"{owner}: the scaler was fitted on {size} column(s), the "
                f"model takes {len(columns)}."
            )
        x = Rescale.inputs_of(scaler, name="scale_inputs")(x)
    y = model(x)
    if scaler is not None:
        index = columns.index(target)
        y = Rescale.outputs_of(scaler, [index], name="unscale_outputs")(y)
    return keras.Model(inputs, y, name=name or f"{model.name}_forecaster")


def forecaster_spec(model):
    """The `ForecastSpec` config of a forecaster, as a dict.

    Raises:
        ValueError: `model` is not a keras_seqlab forecaster.
    """
    for layer in getattr(model, "layers", ()):
        if isinstance(layer, ForecastSpec):
            config = layer.get_config()
            keys = (
                "columns",
                "target",
                "window",
                "horizon",
                "head",
                "date_column",
                "freq",
                "quantiles",
                "panel",
            )
            return {key: config.get(key) for key in keys}
    raise ValueError(
        f"{getattr(model, 'name', model)!r} is not a keras_seqlab "
        "forecaster (it has no ForecastSpec layer); make one with "
        "keras_seqlab.forecaster(model, ...)."
    )


def load_forecaster(path):
    """Loads a forecaster saved as `.keras` (safe mode) and checks it.

    Raises:
        ValueError: naming `load_forecaster` and the file: it is missing,
            not named `.keras`, not a readable `.keras` file (empty,
            truncated, not a zip archive, a damaged member, no
            `config.json`), does not load as a Keras model, or is not a
            keras_seqlab forecaster.
        OSError: the file cannot be read (permissions).
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise ValueError(f"{OWNER}: no model file at {str(path)!r}.")
    if path.suffix != ".keras":
        raise ValueError(
            f"{OWNER}: {str(path)!r} is not a .keras model file (a "
            "keras_seqlab forecaster is saved as NAME.keras)."
        )
    damage = archive_damage(path)
    if damage is not None:
        raise ValueError(
            f"{OWNER}: {str(path)!r} is not a readable .keras file: {damage}."
        )
    try:
        model = keras.saving.load_model(path, safe_mode=True)
    except Exception as error:  # a foreign or damaged model inside
        first = str(error).strip().splitlines()[0] if str(error) else ""
        raise ValueError(
            f"{OWNER}: {str(path)!r} does not load as a Keras model: "
            f"{type(error).__name__}: {first}"
        ) from None
    forecaster_spec(model)
    return model


def archive_damage(path):
    """What makes `path` no `.keras` archive (a zip file holding
    `config.json`), in words; None when it is one. Keras itself says "File
    not found" of a file that is there but damaged."""
    size = path.stat().st_size
    if size == 0:
        return "the file is empty (0 bytes)"
    with open(path, "rb") as file:
        start = file.read(4)
    if not zipfile.is_zipfile(path):
        if start == ZIP_START:
            return (
                f"it begins as a zip archive but its end is missing ({size} "
                "bytes): a truncated copy or download"
            )
        return f"it is not a zip archive (it begins with {start!r})"
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if CONFIG_MEMBER not in names:
                return (
                    f"the archive holds no {CONFIG_MEMBER} (it holds "
                    f"{', '.join(names) or 'nothing'})"
                )
            bad = archive.testzip()
    except (zipfile.BadZipFile, EOFError, ValueError) as error:
        return f"the zip archive is damaged ({error})"
    if bad is not None:
        return f"its member {bad} is damaged (a checksum does not match)"
    return None
