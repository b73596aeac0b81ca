"""Forecasting: saved forecasters in original units, forecasts, metrics."""

from keras_seqlab.forecasting.forecast import forecast
from keras_seqlab.forecasting.forecaster import forecaster
from keras_seqlab.forecasting.forecaster import forecaster_spec
from keras_seqlab.forecasting.forecaster import load_forecaster

__all__ = [
    "forecast",
    "forecaster",
    "forecaster_spec",
    "load_forecaster",
]
