"""Trend of a series over its periods: least squares, and a robust pair.

Time is the period's position (0, 1, 2, ...) in period order, so every slope
is a change per period whatever the periods are. The Mann-Kendall test uses
the normal approximation with the tie-corrected variance
(n(n-1)(2n+5) - sum over tie groups t(t-1)(2t+5)) / 18 and a continuity
correction of one; the Theil-Sen slope is the median of pairwise slopes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from saaslens.analytics.statistics._readings import number, p_value, significant
from saaslens.analytics.statistics._samples import Values, series, varying
from saaslens.analytics.statistics.intervals import Interval, confidence
from saaslens.errors import InvalidInput

LINEAR_MINIMUM = 3
# Below about eight points the normal approximation to S is too coarse.
MANN_KENDALL_MINIMUM = 8
# Theil-Sen holds all n(n-1)/2 pairwise slopes in memory (about 64 MB here).
ROBUST_MAXIMUM = 4000


@dataclass(frozen=True)
class LinearTrend:
    slope: float
    intercept: float
    slope_interval: Interval
    r_squared: float
    p_value: float
    n: int
    reading: str


@dataclass(frozen=True)
class RobustTrend:
    mann_kendall_s: float
    variance: float
    z: float
    p_value: float
    tau: float
    theil_sen_slope: float
    theil_sen_intercept: float
    slope_interval: Interval
    n: int
    reading: str


def linear_trend(values: pd.Series, level: float = 0.95) -> LinearTrend:
    """The ordinary least-squares line through the series, slope per period."""
    purpose = "a linear trend"
    y = series(values, minimum=LINEAR_MINIMUM, purpose=purpose).to_numpy(np.float64)
    # A flat series has no residual spread, so its slope has no p-value or interval.
    varying(y, purpose=purpose)
    level = confidence(level)
    fit = stats.linregress(np.arange(y.size, dtype=np.float64), y)
    half = float(stats.t.ppf((1 + level) / 2, y.size - 2)) * float(fit.stderr)
    slope, p = float(fit.slope), float(fit.pvalue)
    interval = Interval(slope - half, slope + half, level)
    r_squared = float(fit.rvalue) ** 2
    return LinearTrend(
        slope=slope,
        intercept=float(fit.intercept),
        slope_interval=interval,
        r_squared=r_squared,
        p_value=p,
        n=y.size,
        reading=_linear_reading(slope, interval, p, r_squared),
    )


def robust_trend(values: pd.Series, level: float = 0.95) -> RobustTrend:
    """Mann-Kendall's test for a monotonic trend, with the Theil-Sen slope."""
    purpose = "the Mann-Kendall test"
    y = series(values, minimum=MANN_KENDALL_MINIMUM, purpose=purpose).to_numpy(np.float64)
    varying(y, purpose=purpose)
    if y.size > ROBUST_MAXIMUM:
        raise InvalidInput(f"{purpose} takes at most {ROBUST_MAXIMUM} values; got {y.size}")
    level = confidence(level)
    s, variance = _mann_kendall(y)
    z = (s - np.sign(s)) / np.sqrt(variance)
    p = float(2 * stats.norm.sf(abs(z)))
    slope, intercept, low, high = stats.theilslopes(y, alpha=level)
    interval = Interval(float(low), float(high), level)
    return RobustTrend(
        mann_kendall_s=s,
        variance=variance,
        z=float(z),
        p_value=p,
        tau=s / (y.size * (y.size - 1) / 2),
        theil_sen_slope=float(slope),
        theil_sen_intercept=float(intercept),
        slope_interval=interval,
        n=y.size,
        reading=_robust_reading(float(slope), interval, s, p),
    )


def _mann_kendall(y: Values) -> tuple[float, float]:
    # Row by row, so memory stays linear in n.
    s = float(sum(np.sign(y[i + 1 :] - y[i]).sum() for i in range(y.size - 1)))
    _, ties = np.unique(y, return_counts=True)
    n = y.size
    tied = float(np.sum(ties * (ties - 1) * (2 * ties + 5)))
    return s, (n * (n - 1) * (2 * n + 5) - tied) / 18


def _direction(slope: float) -> str:
    return "positive" if slope > 0 else "negative"


def _linear_reading(slope: float, interval: Interval, p: float, r_squared: float) -> str:
    numbers = f"{number(slope)} per period ({interval}), {p_value(p)}, R² = {r_squared:.2f}"
    if not significant(p):
        return f"No significant linear trend: the slope is {numbers}."
    return f"The slope is {_direction(slope)}: {numbers}."


def _robust_reading(slope: float, interval: Interval, s: float, p: float) -> str:
    numbers = f"Mann-Kendall S = {s:g}, {p_value(p)}; Theil-Sen slope {number(slope)} per period"
    if not significant(p):
        return f"No significant monotonic trend ({numbers}, {interval})."
    trend = "upward" if s > 0 else "downward"
    return f"A significant {trend} trend ({numbers}, {interval})."
