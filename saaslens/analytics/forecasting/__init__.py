"""Forecasts of metric series, chosen by a rolling-origin backtest."""

from saaslens.analytics.forecasting.backtest import Accuracy
from saaslens.analytics.forecasting.forecast import (
    DEFAULT_LEVELS,
    Forecast,
    Interval,
    Step,
    forecast_series,
    minimum_history,
)

__all__ = [
    "DEFAULT_LEVELS",
    "Accuracy",
    "Forecast",
    "Interval",
    "Step",
    "forecast_series",
    "minimum_history",
]
