"""Root fields for statistics on series and samples the client sends; viewers may ask."""

from __future__ import annotations

import strawberry

from saaslens.resolvers import statistics
from saaslens.schema.permissions import IsViewer, needs
from saaslens.schema.types.statistics import (
    ChiSquare,
    Correlation,
    Description,
    LinearRegression,
    LinearTrend,
    LogisticRegression,
    MeanComparison,
    MovingAverage,
    Normality,
    Outliers,
    ProportionComparison,
    RankComparison,
    RobustTrend,
    RollingStatistics,
)


@strawberry.type
class StatisticsQuery:
    descriptive_statistics: Description = strawberry.field(
        resolver=statistics.descriptive_statistics,
        extensions=needs(IsViewer),
        description="n, mean, median, spread, quantiles and shape, with intervals for the "
        "mean and the median.",
    )
    correlation: list[Correlation] = strawberry.field(
        resolver=statistics.correlation_between,
        extensions=needs(IsViewer),
        description="Pearson, Spearman and Kendall on the periods (or ids) both series share.",
    )
    linear_trend: LinearTrend = strawberry.field(
        resolver=statistics.linear_trend,
        extensions=needs(IsViewer),
        description="Least-squares slope per period with its interval and R².",
    )
    robust_trend: RobustTrend = strawberry.field(
        resolver=statistics.robust_trend,
        extensions=needs(IsViewer),
        description="Mann-Kendall test and Theil-Sen slope (8 to 4000 values).",
    )
    moving_average: MovingAverage = strawberry.field(
        resolver=statistics.moving_average,
        extensions=needs(IsViewer),
        description="Simple or centred (needs window) or exponential (needs alpha) average.",
    )
    rolling_statistics: RollingStatistics = strawberry.field(
        resolver=statistics.rolling_statistics,
        extensions=needs(IsViewer),
        description="Mean, standard deviation, minimum and maximum over a trailing window.",
    )
    outliers: Outliers = strawberry.field(
        resolver=statistics.outliers_in,
        extensions=needs(IsViewer),
        description="Flagged values with their reasons: IQR fences (k), robust z (threshold), "
        "or the residual after trend and a season of `season` periods.",
    )
    normality: Normality = strawberry.field(
        resolver=statistics.normality_of,
        extensions=needs(IsViewer),
        description="Shapiro-Wilk, D'Agostino-Pearson (from 20 values) and Anderson-Darling.",
    )
    compare_means: MeanComparison = strawberry.field(
        resolver=statistics.compare_means,
        extensions=needs(IsViewer),
        description="Welch's t-test between two samples, with Cohen's d and Hedges' g.",
    )
    compare_distributions: RankComparison = strawberry.field(
        resolver=statistics.compare_distributions,
        extensions=needs(IsViewer),
        description="Mann-Whitney U between two samples, with the rank-biserial correlation.",
    )
    compare_rates: ProportionComparison = strawberry.field(
        resolver=statistics.compare_rates,
        extensions=needs(IsViewer),
        description="Two-proportion z-test, with the difference's interval and Cohen's h.",
    )
    chi_square: ChiSquare = strawberry.field(
        resolver=statistics.chi_square,
        extensions=needs(IsViewer),
        description="Chi-square test of independence on a table of counts, with Cramér's V.",
    )
    linear_regression: LinearRegression = strawberry.field(
        resolver=statistics.linear_regression,
        extensions=needs(IsViewer),
        description="Ordinary least squares of the target on the features.",
    )
    logistic_regression: LogisticRegression = strawberry.field(
        resolver=statistics.logistic_regression,
        extensions=needs(IsViewer),
        description="Logistic regression of a 0/1 target on the features.",
    )
