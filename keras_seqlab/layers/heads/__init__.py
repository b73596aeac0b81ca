"""The forecasting layers around a model: scaling in the model
(`forecast.Rescale`) and its description (`forecast.ForecastSpec`),
quantile and conformal heads (`quantiles`), the naive forecast
(`persistence`) and the window guard (`window.FixedWindow`)."""
