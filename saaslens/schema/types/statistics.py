"""Types for statistical results: numbers with their intervals and a reading.

Every result carries `reading`, one sentence that says what the numbers
mean for a person, with the direction and the p-value where there is one.
"""

from __future__ import annotations

import math
from datetime import date
from enum import Enum

import strawberry

from saaslens.analytics.saas_metrics import ChurnFormula
from saaslens.analytics.statistics import (
    comparison,
    correlation,
    descriptive,
    normality,
    outliers,
    regression,
    smoothing,
    trend,
)
from saaslens.analytics.statistics.intervals import Interval as IntervalResult
from saaslens.analytics.statistics.periods import label
from saaslens.data.queries.periods import Granularity

# Importing the metrics types also registers these enums with strawberry.
from saaslens.schema.types.metrics import DateRangeInput, SegmentFilterInput
from saaslens.services import attributes
from saaslens.services.series import MetricName

Entity = strawberry.enum(attributes.Entity, description="Whose attribute is measured.")


@strawberry.input(description="One period's value.")
class PointInput:
    period: str = strawberry.field(
        description="ISO-8601 period, such as 2024-03 or 2024-03-01; periods sort as text."
    )
    value: float


@strawberry.input(
    description="A metric's series as metricSeries computes it, for one segment. Its periods "
    "are named by their first day (2024-03-01), so points given that way join with it."
)
class MetricSeriesInput:
    metric: MetricName
    range: DateRangeInput
    granularity: Granularity = Granularity.MONTH
    filter: SegmentFilterInput | None = None
    churn_formula: ChurnFormula = ChurnFormula.PERIOD_START
    events: list[str] | None = None


@strawberry.input(description="Which leads an attribute covers; all conditions must hold.")
class LeadFilterInput:
    source: str | None = None
    campaign: str | None = None
    country: str | None = None
    industry: str | None = None
    outcome: str | None = strawberry.field(default=None, description="open, won or lost.")


@strawberry.input(
    description="One number per customer or per lead, from the feature frames. Customers: "
    "tenure_days, recency_days, active_days, events, revenue and mrr (minor units), "
    "engagement_trend, churned (1 or 0; null if never subscribed). Leads: company_size, "
    "days_in_pipeline, stage_changes, won (1 or 0; null while open). Either: "
    "attribute.<key> for a custom attribute. Those without a value are left out."
)
class AttributeInput:
    name: str
    entity: Entity = attributes.Entity.CUSTOMER  # type: ignore[valid-type]
    filter: SegmentFilterInput | None = strawberry.field(
        default=None, description="Which customers; plan is the plan paying the most."
    )
    lead_filter: LeadFilterInput | None = None
    as_of: date | None = strawberry.field(
        default=None, description="The day customers are described as of; default today (UTC)."
    )


@strawberry.input(
    one_of=True,
    description="A series to analyse: dated points, bare values numbered 1, 2, 3, ..., "
    "a metric's series from the store, or an attribute of customers or leads (by id).",
)
class SeriesInput:
    points: list[PointInput] | None = strawberry.UNSET
    values: list[float] | None = strawberry.UNSET
    metric: MetricSeriesInput | None = strawberry.UNSET
    attribute: AttributeInput | None = strawberry.UNSET


@strawberry.input(
    description="A rate: successes out of trials, or an attribute of 0s and 1s "
    "(successes are its 1s, trials the customers or leads with a value)."
)
class RateInput:
    successes: int | None = None
    trials: int | None = None
    attribute: AttributeInput | None = None


@strawberry.input(
    description="A regression column: a name and one value per row, or an attribute "
    "(named after it unless a name is given). Attribute columns join on the id."
)
class FeatureInput:
    name: str | None = None
    values: list[float] | None = None
    attribute: AttributeInput | None = None


@strawberry.enum
class CorrelationMethod(Enum):
    PEARSON = "Pearson"
    SPEARMAN = "Spearman"
    KENDALL = "Kendall"


@strawberry.enum
class MovingAverageKind(Enum):
    SIMPLE = "simple"
    EXPONENTIAL = "exponential"
    CENTRED = "centred"


@strawberry.enum
class OutlierMethod(Enum):
    IQR = "iqr"
    ROBUST_Z = "robust_z"
    RESIDUAL = "residual"


@strawberry.type(description="A confidence interval; `level` is the coverage it reaches.")
class Interval:
    low: float
    high: float
    level: float


@strawberry.type
class Quantile:
    probability: float
    value: float


@strawberry.type(
    description="Descriptive statistics. The standard deviation is the sample one (n - 1); "
    "skewness and excess kurtosis are bias-corrected and null when all values are equal. "
    "The mean's interval is Student's t; the median's is distribution-free, between two "
    "order statistics, so its level is the exact coverage (at least the one asked for)."
)
class Description:
    n: int
    mean: float
    median: float
    standard_deviation: float
    minimum: float
    maximum: float
    quantiles: list[Quantile]
    skewness: float | None
    kurtosis: float | None
    mean_interval: Interval
    median_interval: Interval | None = strawberry.field(
        description="Null when the sample is too small to reach the level."
    )
    median_interval_method: str
    reading: str


@strawberry.type(
    description="A correlation on the periods (or ids) both series share. The interval is "
    "Fisher's z with standard error 1/sqrt(n-3) (Pearson), Bonett-Wright (Spearman) or "
    "Fieller (Kendall)."
)
class Correlation:
    method: CorrelationMethod
    coefficient: float
    p_value: float
    interval: Interval
    interval_method: str
    n: int = strawberry.field(description="Pairs used: the periods or ids both series have.")
    reading: str


@strawberry.type(description="Least-squares line over period positions 0, 1, 2, ...")
class LinearTrend:
    slope: float = strawberry.field(description="Change per period.")
    intercept: float
    slope_interval: Interval
    r_squared: float
    p_value: float
    n: int
    reading: str


@strawberry.type(
    description="Mann-Kendall test (tie-corrected variance, continuity correction) and the "
    "Theil-Sen slope with its interval."
)
class RobustTrend:
    mann_kendall_s: float
    variance: float
    z: float
    p_value: float
    tau: float = strawberry.field(description="S over the number of pairs (Kendall's tau-a).")
    theil_sen_slope: float
    theil_sen_intercept: float
    slope_interval: Interval
    n: int
    reading: str


@strawberry.type
class SmoothedPoint:
    period: str
    value: float | None = strawberry.field(description="Null where the window is not full.")


@strawberry.type
class MovingAverage:
    kind: MovingAverageKind
    window: int | None
    alpha: float | None
    points: list[SmoothedPoint]
    reading: str


@strawberry.type(description="Statistics of the window ending at a period; null until full.")
class RollingPoint:
    period: str
    mean: float | None
    standard_deviation: float | None
    minimum: float | None
    maximum: float | None


@strawberry.type
class RollingStatistics:
    window: int
    points: list[RollingPoint]
    reading: str


@strawberry.type
class OutlierFlag:
    period: str
    value: float
    score: float = strawberry.field(
        description="What the rule thresholds: distance beyond the fence for IQR, "
        "the modified z-score otherwise."
    )
    reason: str


@strawberry.type
class Outliers:
    method: str
    n: int
    flags: list[OutlierFlag]
    reading: str


@strawberry.type
class NormalityTest:
    name: str
    statistic: float
    p_value: float
    n: int
    reading: str


@strawberry.type
class CriticalValue:
    significance_percent: float
    value: float


@strawberry.type
class AndersonDarling:
    statistic: float
    p_value: float
    critical_values: list[CriticalValue]
    n: int
    reading: str


@strawberry.type
class Normality:
    shapiro_wilk: NormalityTest
    dagostino_pearson: NormalityTest | None = strawberry.field(
        description="Null below 20 values, where its kurtosis test is not valid."
    )
    anderson_darling: AndersonDarling
    reading: str


@strawberry.type(description="Welch's t-test, first minus second, with effect sizes.")
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


@strawberry.type(description="Mann-Whitney U (for the first sample), two-sided.")
class RankComparison:
    u: float
    p_value: float
    rank_biserial: float = strawberry.field(
        description="2U / (n1 n2) - 1: positive when the first sample tends to be larger."
    )
    median_first: float
    median_second: float
    n_first: int
    n_second: int
    reading: str


@strawberry.type(
    description="Two-proportion z-test (pooled), the difference's Wald interval, Cohen's h."
)
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


@strawberry.type(description="Pearson's chi-square test of independence, no continuity fix.")
class ChiSquare:
    statistic: float
    degrees_of_freedom: int
    p_value: float
    cramers_v: float
    smallest_expected: float
    reading: str


@strawberry.type
class Coefficient:
    name: str
    estimate: float
    standard_error: float
    interval: Interval
    p_value: float


@strawberry.type(description="Ordinary least squares with an intercept.")
class LinearRegression:
    coefficients: list[Coefficient]
    r_squared: float
    adjusted_r_squared: float
    f_p_value: float
    n: int
    reading: str


@strawberry.type(description="Logistic regression with an intercept; McFadden's pseudo R².")
class LogisticRegression:
    coefficients: list[Coefficient]
    pseudo_r_squared: float
    log_likelihood: float
    likelihood_ratio_p_value: float
    n: int
    reading: str


def interval_from(result: IntervalResult) -> Interval:
    return Interval(low=result.low, high=result.high, level=result.level)


def description_from(result: descriptive.Description) -> Description:
    return Description(
        n=result.n,
        mean=result.mean,
        median=result.median,
        standard_deviation=result.standard_deviation,
        minimum=result.minimum,
        maximum=result.maximum,
        quantiles=[Quantile(probability=q.probability, value=q.value) for q in result.quantiles],
        skewness=result.skewness,
        kurtosis=result.kurtosis,
        mean_interval=interval_from(result.mean_interval),
        median_interval=interval_from(result.median_interval) if result.median_interval else None,
        median_interval_method=result.median_interval_method,
        reading=result.reading,
    )


def correlation_from(result: correlation.Correlation) -> Correlation:
    return Correlation(
        method=CorrelationMethod(result.method.value),
        coefficient=result.coefficient,
        p_value=result.p_value,
        interval=interval_from(result.interval),
        interval_method=result.interval_method,
        n=result.n,
        reading=result.reading,
    )


def linear_trend_from(result: trend.LinearTrend) -> LinearTrend:
    return LinearTrend(
        slope=result.slope,
        intercept=result.intercept,
        slope_interval=interval_from(result.slope_interval),
        r_squared=result.r_squared,
        p_value=result.p_value,
        n=result.n,
        reading=result.reading,
    )


def robust_trend_from(result: trend.RobustTrend) -> RobustTrend:
    return RobustTrend(
        mann_kendall_s=result.mann_kendall_s,
        variance=result.variance,
        z=result.z,
        p_value=result.p_value,
        tau=result.tau,
        theil_sen_slope=result.theil_sen_slope,
        theil_sen_intercept=result.theil_sen_intercept,
        slope_interval=interval_from(result.slope_interval),
        n=result.n,
        reading=result.reading,
    )


def _known(value: float) -> float | None:
    """GraphQL has no NaN: a window that is not yet full becomes null."""
    return None if math.isnan(value) else float(value)


def moving_average_from(result: smoothing.MovingAverage) -> MovingAverage:
    return MovingAverage(
        kind=MovingAverageKind(result.kind.value),
        window=result.window,
        alpha=result.alpha,
        points=[
            SmoothedPoint(period=label(period), value=_known(value))
            for period, value in result.values.items()
        ],
        reading=result.reading,
    )


def rolling_statistics_from(result: smoothing.RollingStatistics) -> RollingStatistics:
    return RollingStatistics(
        window=result.window,
        points=[
            RollingPoint(
                period=label(period),
                mean=_known(row["mean"]),
                standard_deviation=_known(row["std"]),
                minimum=_known(row["min"]),
                maximum=_known(row["max"]),
            )
            for period, row in result.frame.iterrows()
        ],
        reading=result.reading,
    )


def outliers_from(result: outliers.Outliers) -> Outliers:
    return Outliers(
        method=result.method,
        n=result.n,
        flags=[
            OutlierFlag(period=f.period, value=f.value, score=f.score, reason=f.reason)
            for f in result.flags
        ],
        reading=result.reading,
    )


def normality_test_from(result: normality.NormalityTest) -> NormalityTest:
    return NormalityTest(
        name=result.name,
        statistic=result.statistic,
        p_value=result.p_value,
        n=result.n,
        reading=result.reading,
    )


def normality_from(result: normality.Normality) -> Normality:
    anderson = result.anderson_darling
    dagostino = result.dagostino_pearson
    return Normality(
        shapiro_wilk=normality_test_from(result.shapiro_wilk),
        dagostino_pearson=normality_test_from(dagostino) if dagostino else None,
        anderson_darling=AndersonDarling(
            statistic=anderson.statistic,
            p_value=anderson.p_value,
            critical_values=[
                CriticalValue(significance_percent=c.significance_percent, value=c.value)
                for c in anderson.critical_values
            ],
            n=anderson.n,
            reading=anderson.reading,
        ),
        reading=result.reading,
    )


def mean_comparison_from(result: comparison.MeanComparison) -> MeanComparison:
    return MeanComparison(
        **{**vars(result), "difference_interval": interval_from(result.difference_interval)}
    )


def rank_comparison_from(result: comparison.RankComparison) -> RankComparison:
    return RankComparison(**vars(result))


def proportion_comparison_from(result: comparison.ProportionComparison) -> ProportionComparison:
    return ProportionComparison(
        **{**vars(result), "difference_interval": interval_from(result.difference_interval)}
    )


def chi_square_from(result: comparison.ChiSquare) -> ChiSquare:
    return ChiSquare(**vars(result))


def _coefficients(found: tuple[regression.Coefficient, ...]) -> list[Coefficient]:
    return [
        Coefficient(
            name=c.name,
            estimate=c.estimate,
            standard_error=c.standard_error,
            interval=interval_from(c.interval),
            p_value=c.p_value,
        )
        for c in found
    ]


def linear_regression_from(result: regression.LinearRegression) -> LinearRegression:
    return LinearRegression(**{**vars(result), "coefficients": _coefficients(result.coefficients)})


def logistic_regression_from(result: regression.LogisticRegression) -> LogisticRegression:
    return LogisticRegression(
        **{**vars(result), "coefficients": _coefficients(result.coefficients)}
    )
