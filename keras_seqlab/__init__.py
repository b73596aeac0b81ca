"""keras_seqlab: sequence-model layers for Keras 3 on TensorFlow, JAX, PyTorch.

Every cell and layer here is checked, forward values and gradients, against
the pure-Python reference in `keras_seqlab.reference` on each backend.

`import keras_seqlab` loads the layers, the data utilities, the model
builders, the forecasting functions and the stepper `stream` (and so
registers every public class for `.keras` files). The experiment runner
(`keras_seqlab.experiments`), the test harness (`keras_seqlab.testing`)
and the search spaces (`keras_seqlab.tuning`) are imported when used.

If `KERAS_BACKEND` is unset and Keras's configured backend (`keras.json`,
else TensorFlow) is not installed, the first installed of JAX, PyTorch and
TensorFlow is used (`keras_seqlab.utils.backend`); with none installed, or
an explicit `KERAS_BACKEND` that is not, the import fails with one line.
"""

from keras_seqlab.utils.backend import choose as _choose_backend

_choose_backend()  # before anything below imports Keras

from keras_seqlab import data
from keras_seqlab import forecasting
from keras_seqlab import layers
from keras_seqlab import models
from keras_seqlab.data import Scaler
from keras_seqlab.data import SeriesData
from keras_seqlab.data import WindowedSeries
from keras_seqlab.data import datasets
from keras_seqlab.data import load_csv
from keras_seqlab.data import load_weather
from keras_seqlab.data import make_windows
from keras_seqlab.data import split_gap
from keras_seqlab.data import synthetic_series
from keras_seqlab.data import temporal_split
from keras_seqlab.data import window_count
from keras_seqlab.data import windows
from keras_seqlab.forecasting import backtest
from keras_seqlab.forecasting import forecast
from keras_seqlab.forecasting import forecaster
from keras_seqlab.forecasting import forecaster_spec
from keras_seqlab.forecasting import load_forecaster
from keras_seqlab.layers import *  # noqa: F403 (the layers' __all__)
from keras_seqlab.models import build
from keras_seqlab.models import build_classifier
from keras_seqlab.models import forecast_autoregressive
from keras_seqlab.streaming import Stepper
from keras_seqlab.streaming import stream

__version__ = "0.1.0"

__all__ = [
    *layers.__all__,
    "Scaler",
    "SeriesData",
    "Stepper",
    "WindowedSeries",
    "backtest",
    "build",
    "build_classifier",
    "data",
    "datasets",
    "forecast",
    "forecast_autoregressive",
    "forecaster",
    "forecaster_spec",
    "forecasting",
    "layers",
    "load_csv",
    "load_forecaster",
    "load_weather",
    "make_windows",
    "models",
    "split_gap",
    "stream",
    "synthetic_series",
    "temporal_split",
    "window_count",
    "windows",
]
