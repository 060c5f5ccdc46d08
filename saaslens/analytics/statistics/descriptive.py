"""Descriptive statistics of one sample, with intervals for its centre.

The mean's interval is Student's t. The median's is distribution-free: the
order statistics x(r) and x(n+1-r) cover the median with probability
1 - 2 P(B <= r - 1) for B ~ Binomial(n, 1/2), so the narrowest pair reaching
the requested level is chosen and its exact coverage reported (always at
least the level asked for, because order statistics move in whole steps).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from saaslens.analytics.statistics._readings import number
from saaslens.analytics.statistics._samples import Numbers, Values, sample
from saaslens.analytics.statistics.intervals import Interval, confidence
from saaslens.errors import InvalidInput

MINIMUM = 4
MEDIAN_INTERVAL_METHOD = "order statistics, distribution-free (binomial coverage)"
DEFAULT_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class Quantile:
    probability: float
    value: float


@dataclass(frozen=True)
class Description:
    """Shape and centre of a sample; skewness and kurtosis are bias-corrected
    (excess kurtosis), and absent when all values are equal."""

    n: int
    mean: float
    median: float
    standard_deviation: float
    minimum: float
    maximum: float
    quantiles: tuple[Quantile, ...]
    skewness: float | None
    kurtosis: float | None
    mean_interval: Interval
    median_interval: Interval | None
    median_interval_method: str
    reading: str


def describe(
    values: Numbers,
    level: float = 0.95,
    probabilities: Sequence[float] = DEFAULT_QUANTILES,
) -> Description:
    """n, mean, median, sample standard deviation, quantiles, shape and intervals."""
    array = sample(values, minimum=MINIMUM, purpose="describing a sample")
    level = confidence(level)
    mean, median = float(np.mean(array)), float(np.median(array))
    spread = float(np.std(array, ddof=1))
    mean_interval = _mean_interval(array, level)
    median_interval = _median_interval(array, level)
    return Description(
        n=array.size,
        mean=mean,
        median=median,
        standard_deviation=spread,
        minimum=float(array.min()),
        maximum=float(array.max()),
        quantiles=_quantiles(array, probabilities),
        skewness=float(stats.skew(array, bias=False)) if spread > 0 else None,
        kurtosis=float(stats.kurtosis(array, bias=False)) if spread > 0 else None,
        mean_interval=mean_interval,
        median_interval=median_interval,
        median_interval_method=MEDIAN_INTERVAL_METHOD,
        reading=_reading(array.size, mean, mean_interval, median, median_interval),
    )


def _quantiles(array: Values, probabilities: Sequence[float]) -> tuple[Quantile, ...]:
    if any(not 0 <= probability <= 1 for probability in probabilities):
        raise InvalidInput("quantile probabilities must lie between 0 and 1")
    values = np.quantile(array, list(probabilities))
    return tuple(Quantile(float(p), float(v)) for p, v in zip(probabilities, values, strict=True))


def _mean_interval(array: Values, level: float) -> Interval:
    error = float(np.std(array, ddof=1)) / np.sqrt(array.size)
    half = float(stats.t.ppf((1 + level) / 2, array.size - 1)) * error
    mean = float(np.mean(array))
    return Interval(mean - half, mean + half, level)


def _median_interval(array: Values, level: float) -> Interval | None:
    ordered = np.sort(array)
    ranks = np.arange(1, ordered.size // 2 + 1)
    coverage = 1 - 2 * stats.binom.cdf(ranks - 1, ordered.size, 0.5)
    reaching = np.flatnonzero(coverage >= level)
    if not reaching.size:
        return None
    rank = int(ranks[reaching[-1]])
    return Interval(
        float(ordered[rank - 1]), float(ordered[ordered.size - rank]), float(coverage[rank - 1])
    )


def _reading(
    n: int, mean: float, mean_interval: Interval, median: float, median_interval: Interval | None
) -> str:
    median_part = (
        f"the median is {number(median)} ({median_interval})"
        if median_interval
        else f"the median is {number(median)} (too few values for an interval at this level)"
    )
    return f"Over {n} values the mean is {number(mean)} ({mean_interval}) and {median_part}."
