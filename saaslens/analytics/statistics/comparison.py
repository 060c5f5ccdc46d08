"""Comparing two samples (two periods or two segments), with effect sizes.

Cohen's d divides the difference of means by the pooled sample standard
deviation; Hedges' g multiplies it by 1 - 3 / (4 (n1 + n2) - 9). The
rank-biserial correlation is 2 U / (n1 n2) - 1 with U counted for the first
sample, so it is positive when the first tends to be larger. For rates, z
uses the pooled proportion while the interval for the difference is Wald's
(unpooled); Cohen's h is 2 asin(sqrt p1) - 2 asin(sqrt p2). The chi-square
test has no continuity correction, so Cramér's V matches its statistic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from saaslens.analytics.statistics._readings import p_value, percent, significant
from saaslens.analytics.statistics._samples import Numbers, sample
from saaslens.analytics.statistics.intervals import Interval, confidence
from saaslens.errors import InvalidInput

WELCH_MINIMUM = 2
MANN_WHITNEY_MINIMUM = 3
PROPORTIONS_METHOD = "z with the pooled rate; Wald (unpooled) interval for the difference"


@dataclass(frozen=True)
class MeanComparison:
    t: float
    degrees_of_freedom: float
    p_value: float
    mean_first: float
    mean_second: float
    difference: float
    difference_interval: Interval
    cohens_d: float
    hedges_g: float
    n_first: int
    n_second: int
    reading: str


@dataclass(frozen=True)
class RankComparison:
    u: float
    p_value: float
    rank_biserial: float
    median_first: float
    median_second: float
    n_first: int
    n_second: int
    reading: str


@dataclass(frozen=True)
class ProportionComparison:
    rate_first: float
    rate_second: float
    difference: float
    difference_interval: Interval
    z: float
    p_value: float
    cohens_h: float
    method: str
    reading: str


@dataclass(frozen=True)
class ChiSquare:
    statistic: float
    degrees_of_freedom: int
    p_value: float
    cramers_v: float
    smallest_expected: float
    reading: str


def welch_t(first: Numbers, second: Numbers, level: float = 0.95) -> MeanComparison:
    """Welch's t-test for a difference of means, first minus second."""
    a = sample(first, minimum=WELCH_MINIMUM, purpose="Welch's t-test (first sample)")
    b = sample(second, minimum=WELCH_MINIMUM, purpose="Welch's t-test (second sample)")
    pooled = _pooled_deviation(a, b)
    if pooled == 0:
        raise InvalidInput("Welch's t-test needs values that vary within at least one sample")
    result = stats.ttest_ind(a, b, equal_var=False)
    band = result.confidence_interval(confidence(level))
    difference = float(np.mean(a) - np.mean(b))
    d = difference / pooled
    interval = Interval(float(band.low), float(band.high), level)
    t, p = float(result.statistic), float(result.pvalue)
    return MeanComparison(
        t=t,
        degrees_of_freedom=float(result.df),
        p_value=p,
        mean_first=float(np.mean(a)),
        mean_second=float(np.mean(b)),
        difference=difference,
        difference_interval=interval,
        cohens_d=d,
        hedges_g=d * (1 - 3 / (4 * (a.size + b.size) - 9)),
        n_first=a.size,
        n_second=b.size,
        reading=_difference_reading("mean", difference, f"Welch's t = {t:.2f}, {p_value(p)}", p),
    )


def mann_whitney(first: Numbers, second: Numbers) -> RankComparison:
    """Mann-Whitney U (two-sided) for whether one sample tends to be larger."""
    a = sample(first, minimum=MANN_WHITNEY_MINIMUM, purpose="the Mann-Whitney test (first)")
    b = sample(second, minimum=MANN_WHITNEY_MINIMUM, purpose="the Mann-Whitney test (second)")
    if np.ptp(np.concatenate([a, b])) == 0:
        raise InvalidInput("the Mann-Whitney test needs values that vary; all values are equal")
    result = stats.mannwhitneyu(a, b, alternative="two-sided")
    u, p = float(result.statistic), float(result.pvalue)
    r = 2 * u / (a.size * b.size) - 1
    numbers = f"Mann-Whitney U = {u:g}, {p_value(p)}, rank-biserial r = {r:.2f}"
    return RankComparison(
        u=u,
        p_value=p,
        rank_biserial=r,
        median_first=float(np.median(a)),
        median_second=float(np.median(b)),
        n_first=a.size,
        n_second=b.size,
        reading=_difference_reading("distribution", r, numbers, p),
    )


def two_proportions(
    successes: tuple[int, int], trials: tuple[int, int], level: float = 0.95
) -> ProportionComparison:
    """Two-proportion z-test on rates successes / trials, first minus second."""
    for count, total in zip(successes, trials, strict=True):
        if total <= 0 or not 0 <= count <= total:
            raise InvalidInput(
                f"a rate needs 0 <= successes <= trials and trials > 0; got {count} of {total}"
            )
    (x1, x2), (n1, n2) = successes, trials
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    if pooled in (0, 1):
        raise InvalidInput("comparing rates needs some successes and some failures overall")
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p = float(2 * stats.norm.sf(abs(z)))
    half = float(stats.norm.ppf((1 + confidence(level)) / 2)) * np.sqrt(
        p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
    )
    difference = p1 - p2
    numbers = f"{percent(p1)} against {percent(p2)}, z = {z:.2f}, {p_value(p)}"
    return ProportionComparison(
        rate_first=p1,
        rate_second=p2,
        difference=difference,
        difference_interval=Interval(difference - half, difference + half, level),
        z=float(z),
        p_value=p,
        cohens_h=float(2 * np.arcsin(np.sqrt(p1)) - 2 * np.arcsin(np.sqrt(p2))),
        method=PROPORTIONS_METHOD,
        reading=_difference_reading("rate", difference, numbers, p),
    )


def chi_square(table: Sequence[Sequence[int]]) -> ChiSquare:
    """Pearson's chi-square test of independence on a table of counts."""
    if len({len(row) for row in table}) > 1:
        raise InvalidInput("a chi-square table needs the same number of columns in every row")
    counts = np.asarray(table, dtype=np.float64)
    if counts.ndim != 2 or min(counts.shape) < 2:
        raise InvalidInput("a chi-square test needs a table of at least 2 rows and 2 columns")
    if (counts < 0).any() or (counts != np.round(counts)).any():
        raise InvalidInput("a chi-square table holds counts: whole numbers, none negative")
    if (counts.sum(axis=0) == 0).any() or (counts.sum(axis=1) == 0).any():
        raise InvalidInput("a chi-square table needs every row and column to have some counts")
    result = stats.chi2_contingency(counts, correction=False)
    statistic, p = float(result.statistic), float(result.pvalue)
    v = np.sqrt(statistic / (counts.sum() * (min(counts.shape) - 1)))
    numbers = f"chi² = {statistic:.2f}, {p_value(p)}, Cramér's V = {v:.2f}"
    reading = (
        f"The rows and columns are associated ({numbers})."
        if significant(p)
        else f"No significant association ({numbers})."
    )
    return ChiSquare(
        statistic, int(result.dof), p, float(v), float(result.expected_freq.min()), reading
    )


def _pooled_deviation(a: Numbers, b: Numbers) -> float:
    first, second = np.asarray(a), np.asarray(b)
    squares = (first.size - 1) * np.var(first, ddof=1) + (second.size - 1) * np.var(second, ddof=1)
    return float(np.sqrt(squares / (first.size + second.size - 2)))


def _difference_reading(what: str, difference: float, numbers: str, p: float) -> str:
    if not significant(p):
        return f"No significant difference between the two samples ({numbers})."
    direction = "higher" if difference > 0 else "lower"
    return f"The first sample's {what} is significantly {direction} ({numbers})."
