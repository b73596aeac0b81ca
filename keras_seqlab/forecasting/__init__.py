"""Forecasting: saved forecasters in original units, forecasts, metrics,
backtests, classical baselines (`baselines`) and their comparison
(`significance`)."""

from keras_seqlab.forecasting.backtesting import backtest
from keras_seqlab.forecasting.backtesting import format_backtest
from keras_seqlab.forecasting.conformal import conformal_margin
from keras_seqlab.forecasting.conformal import conformalize
from keras_seqlab.forecasting.conformal import widen
from keras_seqlab.forecasting.forecast import forecast
from keras_seqlab.forecasting.forecaster import forecaster
from keras_seqlab.forecasting.forecaster import forecaster_spec
from keras_seqlab.forecasting.forecaster import load_forecaster
from keras_seqlab.forecasting.metrics import LastTimeStepMSE
from keras_seqlab.forecasting.metrics import PinballLoss
from keras_seqlab.forecasting.metrics import coverage
from keras_seqlab.forecasting.metrics import interval_width
from keras_seqlab.forecasting.metrics import last_time_step_mse
from keras_seqlab.forecasting.metrics import mae
from keras_seqlab.forecasting.metrics import mase
from keras_seqlab.forecasting.metrics import naive_scale
from keras_seqlab.forecasting.metrics import pinball
from keras_seqlab.forecasting.metrics import rmse
from keras_seqlab.forecasting.metrics import smape
from keras_seqlab.forecasting.panel import fit_panel
from keras_seqlab.forecasting.panel import panel_scores
from keras_seqlab.forecasting.panel import predict_windows
from keras_seqlab.forecasting.panel_forecast import forecast_panel
from keras_seqlab.forecasting.significance import diebold_mariano
from keras_seqlab.forecasting.significance import skill

__all__ = [
    "LastTimeStepMSE",
    "PinballLoss",
    "backtest",
    "conformal_margin",
    "conformalize",
    "coverage",
    "interval_width",
    "last_time_step_mse",
    "mae",
    "mase",
    "naive_scale",
    "diebold_mariano",
    "skill",
    "panel_scores",
    "pinball",
    "predict_windows",
    "rmse",
    "smape",
    "widen",
    "fit_panel",
    "forecast",
    "forecast_panel",
    "format_backtest",
    "forecaster",
    "forecaster_spec",
    "load_forecaster",
]
