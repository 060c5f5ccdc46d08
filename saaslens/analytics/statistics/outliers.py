"""Outlying values, each flagged with the rule it broke.

Three rules: Tukey's fences (beyond Q1 - k IQR or Q3 + k IQR, quartiles
interpolated linearly); the modified z-score 0.6745 (x - median) / MAD of
Iglewicz and Hoaglin, flagged beyond 3.5; and, for a series, that same
score on the residual left after removing trend and seasonality. The
residual comes from STL (LOESS, statsmodels' defaults) when the series spans
at least three seasons; a shorter or non-seasonal series only has its
least-squares line removed, and the result says so.

STL runs without its robustness weights: on a few seasons statsmodels'
robust fit shrinks most residuals to almost zero, so every period looked
extreme. The cost: a large outlier leaks into its season's estimate, so the
same period one season away can be flagged too, with the opposite sign.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tsa.seasonal import STL

from saaslens.analytics.statistics._readings import number
from saaslens.analytics.statistics._samples import Values, series
from saaslens.analytics.statistics.periods import label
from saaslens.errors import InvalidInput

MINIMUM = 4
STL_SEASONS = 3
ROBUST_Z_SCALE = 0.6745


@dataclass(frozen=True)
class OutlierFlag:
    """One flagged period. `score` is what the rule thresholds: the distance
    beyond the fence for IQR, the modified z-score for the other two."""

    period: str
    value: float
    score: float
    reason: str


@dataclass(frozen=True)
class Outliers:
    method: str
    flags: tuple[OutlierFlag, ...]
    n: int
    reading: str


def iqr_outliers(values: pd.Series, k: float = 1.5) -> Outliers:
    """Values beyond Tukey's fences Q1 - k IQR and Q3 + k IQR."""
    ordered = series(values, minimum=MINIMUM, purpose="IQR outlier detection")
    if k <= 0:
        raise InvalidInput(f"the IQR multiplier k must be positive; got {k}")
    q1, q3 = (float(q) for q in np.percentile(ordered.to_numpy(), [25, 75]))
    low, high = q1 - k * (q3 - q1), q3 + k * (q3 - q1)
    flags = []
    for period, value in ordered.items():
        if value > high:
            reason = f"above Q3 + {k:g} IQR = {number(high)}"
            flags.append(OutlierFlag(label(period), float(value), value - high, reason))
        elif value < low:
            reason = f"below Q1 - {k:g} IQR = {number(low)}"
            flags.append(OutlierFlag(label(period), float(value), low - value, reason))
    method = f"IQR (Tukey fences, k = {k:g})"
    return Outliers(method, tuple(flags), ordered.size, _reading(method, flags, ordered.size))


def robust_z_outliers(values: pd.Series, threshold: float = 3.5) -> Outliers:
    """Values whose modified z-score (median and MAD) exceeds the threshold."""
    ordered = series(values, minimum=MINIMUM, purpose="robust z-score outlier detection")
    _check_threshold(threshold)
    scores = robust_z_scores(ordered.to_numpy(np.float64))
    centre = float(np.median(ordered))
    flags = [
        OutlierFlag(
            label(period),
            float(value),
            float(score),
            f"modified z = {score:.2f} from the median {number(centre)} (|z| > {threshold:g})",
        )
        for (period, value), score in zip(ordered.items(), scores, strict=True)
        if abs(score) > threshold
    ]
    method = f"robust z-score (MAD, threshold {threshold:g})"
    return Outliers(method, tuple(flags), ordered.size, _reading(method, flags, ordered.size))


def residual_outliers(
    values: pd.Series, season: int | None = None, threshold: float = 3.5
) -> Outliers:
    """Periods whose residual after trend and seasonality is a robust-z outlier."""
    ordered = series(values, minimum=MINIMUM, purpose="residual outlier detection")
    if season is not None and season < 2:
        raise InvalidInput(f"a season must span at least 2 periods; got {season}")
    y = ordered.to_numpy(np.float64)
    residual, source = _residual(y, season)
    _check_threshold(threshold)
    scores = robust_z_scores(residual, "the residuals")
    flags = [
        OutlierFlag(
            label(period),
            float(value),
            float(score),
            f"{number(value)} is {number(float(rest))} from the expected "
            f"{number(float(value - rest))} given the {source} (modified z = {score:.2f})",
        )
        for (period, value), rest, score in zip(ordered.items(), residual, scores, strict=True)
        if abs(score) > threshold
    ]
    method = f"residual after {source}, robust z threshold {threshold:g}"
    return Outliers(method, tuple(flags), y.size, _reading(method, flags, y.size))


def _residual(y: Values, season: int | None) -> tuple[Values, str]:
    """What is left after the trend (and the season, when STL can fit it), and how."""
    if season is not None and y.size >= STL_SEASONS * season:
        residual = np.asarray(STL(y, period=season).fit().resid, dtype=np.float64)
        return residual, f"STL trend and season of {season} periods"
    positions = np.arange(y.size, dtype=np.float64)
    fit = stats.linregress(positions, y)
    shortfall = f" (fewer than {STL_SEASONS} seasons of {season} periods)" if season else ""
    return y - (fit.intercept + fit.slope * positions), "least-squares trend" + shortfall


def robust_z_scores(values: Values, what: str = "the values") -> Values:
    """0.6745 (x - median) / MAD; refused when the MAD is zero."""
    centre = np.median(values)
    mad = float(np.median(np.abs(values - centre)))
    if mad == 0:
        raise InvalidInput(
            f"robust z-scores need a spread, but at least half of {what} equal their median, "
            "so the median absolute deviation is 0"
        )
    return np.asarray(ROBUST_Z_SCALE * (values - centre) / mad, dtype=np.float64)


def _check_threshold(threshold: float) -> None:
    if threshold <= 0:
        raise InvalidInput(f"a robust z threshold must be positive; got {threshold}")


def _reading(method: str, flags: list[OutlierFlag], n: int) -> str:
    if not flags:
        return f"No outliers among {n} values by {method}."
    periods = ", ".join(flag.period for flag in flags[:5])
    more = f" and {len(flags) - 5} more" if len(flags) > 5 else ""
    return f"{len(flags)} of {n} values are outliers by {method}: {periods}{more}."
