"""Moving averages and rolling statistics of a series, period by period.

Where a window is not yet full the value is missing (NaN), never a partial
average. A centred average over an even window is the classical 2 x m
average: half weight on the two end periods, so it centres on a period.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from saaslens.analytics.statistics._readings import number
from saaslens.analytics.statistics._samples import series
from saaslens.analytics.statistics.periods import label
from saaslens.errors import InvalidInput


class MovingAverageKind(StrEnum):
    SIMPLE = "simple"
    EXPONENTIAL = "exponential"
    CENTRED = "centred"


@dataclass(frozen=True)
class MovingAverage:
    kind: MovingAverageKind
    window: int | None
    alpha: float | None
    values: pd.Series
    reading: str


@dataclass(frozen=True)
class RollingStatistics:
    window: int
    frame: pd.DataFrame
    """Columns mean, std (sample), min and max, indexed by period."""
    reading: str


def simple_moving_average(values: pd.Series, window: int) -> MovingAverage:
    """The mean of each period and the window - 1 before it."""
    ordered = _windowed(values, window, "a simple moving average")
    averaged = ordered.rolling(window).mean()
    return _moving_average(MovingAverageKind.SIMPLE, averaged, window=window)


def centred_moving_average(values: pd.Series, window: int) -> MovingAverage:
    """The mean of a window centred on each period (2 x m for an even window)."""
    # The 2 x m average of an even window spans m + 1 periods.
    span = window if window % 2 else window + 1
    ordered = _windowed(values, window, "a centred moving average", span)
    if window % 2:
        averaged = ordered.rolling(window, center=True).mean()
    else:
        averaged = ordered.rolling(window).mean().rolling(2).mean().shift(-(window // 2))
    return _moving_average(MovingAverageKind.CENTRED, averaged, window=window)


def exponential_moving_average(values: pd.Series, alpha: float) -> MovingAverage:
    """s(0) = x(0), then s(t) = alpha x(t) + (1 - alpha) s(t - 1)."""
    if not 0 < alpha <= 1:
        raise InvalidInput(f"an exponential moving average needs 0 < alpha <= 1; got {alpha}")
    ordered = series(values, minimum=1, purpose="an exponential moving average")
    averaged = ordered.ewm(alpha=alpha, adjust=False).mean()
    return _moving_average(MovingAverageKind.EXPONENTIAL, averaged, alpha=alpha)


def rolling_statistics(values: pd.Series, window: int) -> RollingStatistics:
    """Mean, sample standard deviation, minimum and maximum over each window."""
    if window < 2:
        raise InvalidInput(f"rolling statistics need a window of at least 2; got {window}")
    rolling = _windowed(values, window, "rolling statistics").rolling(window)
    frame = pd.DataFrame(
        {"mean": rolling.mean(), "std": rolling.std(), "min": rolling.min(), "max": rolling.max()}
    )
    spread = frame["std"].dropna()
    reading = (
        f"Over {window}-period windows the standard deviation ranges from "
        f"{number(spread.min())} to {number(spread.max())}."
    )
    return RollingStatistics(window, frame, reading)


def _windowed(values: pd.Series, window: int, purpose: str, span: int | None = None) -> pd.Series:
    if window < 1:
        raise InvalidInput(f"{purpose} needs a window of at least 1; got {window}")
    return series(values, minimum=span or window, purpose=f"{purpose} over {window} periods")


def _moving_average(
    kind: MovingAverageKind,
    averaged: pd.Series,
    window: int | None = None,
    alpha: float | None = None,
) -> MovingAverage:
    known = averaged.dropna()
    what = f"{window}-period {kind}" if window else f"{kind} (alpha = {alpha:g})"
    reading = (
        f"The {what} moving average goes from {number(known.iloc[0])} at "
        f"{label(known.index[0])} to {number(known.iloc[-1])} at {label(known.index[-1])}."
    )
    return MovingAverage(kind, window, alpha, averaged, reading)
