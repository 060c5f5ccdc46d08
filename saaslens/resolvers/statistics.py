"""Statistics on series the client sends or the store computes; in a worker thread.

A metric series comes from the metrics service (and its cache by data
version); the statistics on it are not cached, being fast next to the query.

The scipy and statsmodels calls are CPU-bound, so each one runs through
anyio's thread pool and the event loop keeps serving other requests.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TypeVar

import anyio.to_thread
import pandas as pd

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
from saaslens.errors import InvalidInput
from saaslens.resolvers.metrics import scope_of
from saaslens.schema.context import Info
from saaslens.schema.types import statistics as types
from saaslens.schema.types.statistics import (
    FeatureInput,
    MetricSeriesInput,
    MovingAverageKind,
    OutlierMethod,
    RateInput,
    SeriesInput,
)
from saaslens.services.series import metric_series

# Bounds the memory and time one request can take.
MAX_VALUES = 100_000

Result = TypeVar("Result")


async def _computed(work: Callable[[], Result]) -> Result:
    return await anyio.to_thread.run_sync(work)


def _capped(count: int) -> int:
    if count > MAX_VALUES:
        raise InvalidInput(f"a request takes at most {MAX_VALUES} values; got {count}")
    return count


async def series_from(info: Info, data: SeriesInput) -> pd.Series:
    """The input as a float series indexed by period (positions 1, 2, ... for bare values)."""
    if isinstance(data.metric, MetricSeriesInput):
        return await _metric_series(info, data.metric)
    if isinstance(data.points, list):
        _capped(len(data.points))
        periods = [point.period for point in data.points]
        return pd.Series([point.value for point in data.points], index=periods, dtype=float)
    values = data.values if isinstance(data.values, list) else []
    return pd.Series(values, index=range(1, _capped(len(values)) + 1), dtype=float)


async def _metric_series(info: Info, wanted: MetricSeriesInput) -> pd.Series:
    scope = scope_of(wanted.range, wanted.granularity, wanted.filter, None)
    events = tuple(wanted.events or ())
    async with info.context.db() as session:
        (found,) = await metric_series(session, wanted.metric, scope, wanted.churn_formula, events)
    undefined = [point.start.isoformat() for point in found.points if point.value is None]
    if undefined:
        shown = ", ".join(undefined[:5])
        raise InvalidInput(
            f"{wanted.metric.name} has no value in {len(undefined)} period(s) of the range "
            f"({shown}); choose a range where it is defined"
        )
    starts = [point.start.isoformat() for point in found.points]
    return pd.Series([point.value for point in found.points], index=starts, dtype=float)


async def descriptive_statistics(
    info: Info, data: SeriesInput, confidence: float = 0.95, quantiles: list[float] | None = None
) -> types.Description:
    probabilities = descriptive.DEFAULT_QUANTILES if quantiles is None else quantiles
    _capped(len(probabilities))
    work = partial(descriptive.describe, await series_from(info, data), confidence, probabilities)
    return types.description_from(await _computed(work))


def _paired(first: SeriesInput, second: SeriesInput) -> None:
    """Bare values pair by position, so a length mismatch is a mistake, not a join."""
    if not (isinstance(first.values, list) and isinstance(second.values, list)):
        return
    if len(first.values) != len(second.values):
        raise InvalidInput(
            "paired values need the same length; got "
            f"{len(first.values)} and {len(second.values)} (give points to join by period)"
        )


async def correlation_between(
    info: Info, first: SeriesInput, second: SeriesInput, confidence: float = 0.95
) -> list[types.Correlation]:
    _paired(first, second)
    work = partial(
        correlation.correlations,
        await series_from(info, first),
        await series_from(info, second),
        confidence,
    )
    return [types.correlation_from(found) for found in await _computed(work)]


async def linear_trend(
    info: Info, data: SeriesInput, confidence: float = 0.95
) -> types.LinearTrend:
    work = partial(trend.linear_trend, await series_from(info, data), confidence)
    return types.linear_trend_from(await _computed(work))


async def robust_trend(
    info: Info, data: SeriesInput, confidence: float = 0.95
) -> types.RobustTrend:
    work = partial(trend.robust_trend, await series_from(info, data), confidence)
    return types.robust_trend_from(await _computed(work))


async def moving_average(
    info: Info,
    data: SeriesInput,
    kind: MovingAverageKind,
    window: int | None = None,
    alpha: float | None = None,
) -> types.MovingAverage:
    values = await series_from(info, data)
    if kind is MovingAverageKind.EXPONENTIAL:
        if alpha is None:
            raise InvalidInput("an exponential moving average needs alpha")
        work = partial(smoothing.exponential_moving_average, values, alpha)
    elif window is None:
        raise InvalidInput(f"a {kind.value} moving average needs a window")
    elif kind is MovingAverageKind.SIMPLE:
        work = partial(smoothing.simple_moving_average, values, window)
    else:
        work = partial(smoothing.centred_moving_average, values, window)
    return types.moving_average_from(await _computed(work))


async def rolling_statistics(
    info: Info, data: SeriesInput, window: int
) -> types.RollingStatistics:
    work = partial(smoothing.rolling_statistics, await series_from(info, data), window)
    return types.rolling_statistics_from(await _computed(work))


async def outliers_in(
    info: Info,
    data: SeriesInput,
    method: OutlierMethod = OutlierMethod.IQR,
    k: float = 1.5,
    threshold: float = 3.5,
    season: int | None = None,
) -> types.Outliers:
    values = await series_from(info, data)
    if method is OutlierMethod.IQR:
        work = partial(outliers.iqr_outliers, values, k)
    elif method is OutlierMethod.ROBUST_Z:
        work = partial(outliers.robust_z_outliers, values, threshold)
    else:
        work = partial(outliers.residual_outliers, values, season, threshold)
    return types.outliers_from(await _computed(work))


async def normality_of(info: Info, data: SeriesInput) -> types.Normality:
    work = partial(normality.normality, await series_from(info, data))
    return types.normality_from(await _computed(work))


async def compare_means(
    info: Info, first: SeriesInput, second: SeriesInput, confidence: float = 0.95
) -> types.MeanComparison:
    work = partial(
        comparison.welch_t,
        await series_from(info, first),
        await series_from(info, second),
        confidence,
    )
    return types.mean_comparison_from(await _computed(work))


async def compare_distributions(
    info: Info, first: SeriesInput, second: SeriesInput
) -> types.RankComparison:
    work = partial(
        comparison.mann_whitney, await series_from(info, first), await series_from(info, second)
    )
    return types.rank_comparison_from(await _computed(work))


async def compare_rates(
    first: RateInput, second: RateInput, confidence: float = 0.95
) -> types.ProportionComparison:
    successes, trials = (first.successes, second.successes), (first.trials, second.trials)
    result = comparison.two_proportions(successes, trials, confidence)
    return types.proportion_comparison_from(result)


async def chi_square(table: list[list[int]]) -> types.ChiSquare:
    _capped(sum(len(row) for row in table))
    return types.chi_square_from(await _computed(partial(comparison.chi_square, table)))


def _frame(target: FeatureInput, features: list[FeatureInput]) -> pd.DataFrame:
    names = [feature.name for feature in features]
    if target.name in names:
        raise InvalidInput(f"the target {target.name!r} cannot also be a feature")
    _capped(len(target.values) * (len(features) + 1))
    return regression.table({c.name: c.values for c in (target, *features)})


async def linear_regression(
    target: FeatureInput, features: list[FeatureInput], confidence: float = 0.95
) -> types.LinearRegression:
    frame = _frame(target, features)
    names = [feature.name for feature in features]
    work = partial(regression.linear_regression, frame, target.name, names, confidence)
    return types.linear_regression_from(await _computed(work))


async def logistic_regression(
    target: FeatureInput, features: list[FeatureInput], confidence: float = 0.95
) -> types.LogisticRegression:
    frame = _frame(target, features)
    names = [feature.name for feature in features]
    work = partial(regression.logistic_regression, frame, target.name, names, confidence)
    return types.logistic_regression_from(await _computed(work))
