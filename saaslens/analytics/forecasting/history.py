"""A metric series checked for forecasting, and the labels of the periods after it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from saaslens.analytics.forecasting.prediction import Vector
from saaslens.errors import InvalidInput


@dataclass(frozen=True)
class History:
    values: Vector
    index: pd.Index

    def future(self, horizon: int) -> pd.Index:
        """The labels of the `horizon` periods after the last observed one."""
        index = self.index
        if isinstance(index, pd.PeriodIndex):
            return pd.PeriodIndex([index[-1] + step for step in range(1, horizon + 1)])
        if isinstance(index, pd.DatetimeIndex):
            frequency = index.freq or pd.infer_freq(index)
            return pd.date_range(index[-1], periods=horizon + 1, freq=frequency)[1:]
        last = int(index[-1])
        return pd.Index(np.arange(last + 1, last + horizon + 1))


def checked_history(series: pd.Series) -> History:
    """Refuse series a forecast cannot be built on: gaps, missing values, odd indexes."""
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise InvalidInput("the series holds missing or non-numeric values")
    _check_regular(series.index)
    return History(values, series.index)


def _check_regular(index: pd.Index) -> None:
    if isinstance(index, pd.PeriodIndex):
        steps = np.diff(index.asi8)
    elif isinstance(index, pd.DatetimeIndex):
        if len(index) > 2 and index.freq is None and pd.infer_freq(index) is None:
            raise InvalidInput("the series' dates must be evenly spaced")
        steps = np.sign(np.diff(index.asi8))
    elif pd.api.types.is_integer_dtype(index):
        steps = np.diff(index.to_numpy(dtype=np.int64))
    else:
        raise InvalidInput("the series must be indexed by periods, dates or period numbers")
    if len(steps) and not np.all(steps == 1):
        raise InvalidInput("the series must hold consecutive periods in order, without gaps")
