"""Correlation between two series on the periods they share.

Intervals come from Fisher's z = atanh(r) with a normal critical value and a
standard error that depends on the coefficient: 1 / sqrt(n - 3) for Pearson,
sqrt((1 + r^2 / 2) / (n - 3)) for Spearman (Bonett and Wright), and
sqrt(0.437 / (n - 4)) for Kendall's tau-b (Fieller, Hartley and Pearson).
The Spearman and Kendall intervals are therefore approximations that assume
moderate n; their p-values are scipy's (exact for Kendall on small samples
without ties).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
from scipy import stats

from saaslens.analytics.statistics._readings import number, p_value, significant
from saaslens.analytics.statistics._samples import Values, aligned, varying
from saaslens.analytics.statistics.intervals import Interval, confidence


class CorrelationMethod(StrEnum):
    PEARSON = "Pearson"
    SPEARMAN = "Spearman"
    KENDALL = "Kendall"


# Fisher's z needs n - 3 (Pearson, Spearman) or n - 4 (Kendall) above zero.
MINIMUM = {
    CorrelationMethod.PEARSON: 4,
    CorrelationMethod.SPEARMAN: 4,
    CorrelationMethod.KENDALL: 5,
}


INTERVAL_METHOD = {
    CorrelationMethod.PEARSON: "Fisher z, standard error 1/sqrt(n-3)",
    CorrelationMethod.SPEARMAN: "Fisher z, Bonett-Wright standard error sqrt((1+r²/2)/(n-3))",
    CorrelationMethod.KENDALL: "Fisher z, Fieller standard error sqrt(0.437/(n-4))",
}


@dataclass(frozen=True)
class Correlation:
    method: CorrelationMethod
    coefficient: float
    p_value: float
    interval: Interval
    interval_method: str
    n: int
    reading: str


def correlate(
    first: pd.Series, second: pd.Series, method: CorrelationMethod, level: float = 0.95
) -> Correlation:
    """One coefficient between two series, inner-joined on their periods."""
    purpose = f"a {method} correlation"
    x, y = aligned(first, second, minimum=MINIMUM[method], purpose=purpose)
    varying(x, purpose=f"{purpose} (first series)")
    varying(y, purpose=f"{purpose} (second series)")
    coefficient, p = _coefficient(x, y, method)
    interval = _interval(coefficient, x.size, method, confidence(level))
    return Correlation(
        method=method,
        coefficient=coefficient,
        p_value=p,
        interval=interval,
        interval_method=INTERVAL_METHOD[method],
        n=x.size,
        reading=_reading(method, coefficient, p, x.size),
    )


def correlations(first: pd.Series, second: pd.Series, level: float = 0.95) -> list[Correlation]:
    """Pearson, Spearman and Kendall between the same two series."""
    return [correlate(first, second, method, level) for method in CorrelationMethod]


def _coefficient(x: Values, y: Values, method: CorrelationMethod) -> tuple[float, float]:
    if method is CorrelationMethod.PEARSON:
        result = stats.pearsonr(x, y)
    elif method is CorrelationMethod.SPEARMAN:
        result = stats.spearmanr(x, y)
    else:
        result = stats.kendalltau(x, y)
    return float(result.statistic), float(result.pvalue)


def _interval(coefficient: float, n: int, method: CorrelationMethod, level: float) -> Interval:
    if method is CorrelationMethod.PEARSON:
        error = 1 / np.sqrt(n - 3)
    elif method is CorrelationMethod.SPEARMAN:
        error = np.sqrt((1 + coefficient**2 / 2) / (n - 3))
    else:
        error = np.sqrt(0.437 / (n - 4))
    critical = float(stats.norm.ppf((1 + level) / 2))
    # A perfect correlation has an infinite z; its interval collapses onto it.
    with np.errstate(divide="ignore"):
        z = np.arctanh(coefficient)
    return Interval(
        float(np.tanh(z - critical * error)), float(np.tanh(z + critical * error)), level
    )


def _strength(coefficient: float) -> str:
    size = abs(coefficient)
    if size < 0.3:
        return "weak"
    return "moderate" if size < 0.6 else "strong"


def _reading(method: CorrelationMethod, coefficient: float, p: float, n: int) -> str:
    numbers = f"{method} coefficient {number(coefficient)}, {p_value(p)}, {n} pairs"
    if not significant(p):
        return f"No significant {method} correlation ({numbers})."
    direction = "positive" if coefficient > 0 else "negative"
    return f"A {_strength(coefficient)} {direction} {method} correlation ({numbers})."
