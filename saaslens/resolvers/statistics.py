"""Statistics on series the client sends or the store computes, and on attributes.

A statistic whose inputs all come from the store (metric series, customer
and lead attributes) is kept until the next ingestion; see
saaslens.services.statistics. The scipy calls are CPU-bound, so each runs
through anyio's thread pool and the event loop keeps serving other
requests; regressions, which fit a model, run in the process pool.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import anyio.to_thread
import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession

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
from saaslens.errors import InvalidInput
from saaslens.resolvers.cohorts import segment_of
from saaslens.resolvers.metrics import scope_of
from saaslens.schema.context import Info
from saaslens.schema.types import statistics as types
from saaslens.schema.types.statistics import (
    AttributeInput,
    FeatureInput,
    MetricSeriesInput,
    MovingAverageKind,
    OutlierMethod,
    RateInput,
    SeriesInput,
)
from saaslens.services.attributes import AttributeQuestion, Entity, LeadFilter, attribute_values
from saaslens.services.pool import end_reading, in_pool
from saaslens.services.runner import Scope
from saaslens.services.series import MetricName, metric_series
from saaslens.services.statistics import kept

# Bounds the memory and time one request can take.
MAX_VALUES = 100_000

Result = TypeVar("Result")


@dataclass(frozen=True)
class MetricQuestion:
    """A metric series from the store, as a cache key can hold it."""

    metric: MetricName
    scope: Scope
    churn_formula: ChurnFormula
    events: tuple[str, ...]


Stored = MetricQuestion | AttributeQuestion


async def _computed(work: Callable[[], Result]) -> Result:
    return await anyio.to_thread.run_sync(work)


def _capped(count: int) -> int:
    if count > MAX_VALUES:
        raise InvalidInput(f"a request takes at most {MAX_VALUES} values; got {count}")
    return count


def attribute_question(info: Info, wanted: AttributeInput) -> AttributeQuestion:
    """The attribute asked for; customers are described as of today unless told."""
    entity = Entity(wanted.entity)
    as_of = wanted.as_of
    if entity is Entity.CUSTOMER and as_of is None:
        as_of = info.context.clock().date()
    leads = wanted.lead_filter
    return AttributeQuestion(
        entity=entity,
        name=wanted.name,
        as_of=as_of,
        segment=segment_of(wanted.filter),
        leads=LeadFilter() if leads is None else LeadFilter(**vars(leads)),
    )


def stored(info: Info, data: SeriesInput) -> Stored | None:
    """What the input reads from the store, or None for values the client sent."""
    if isinstance(data.attribute, AttributeInput):
        return attribute_question(info, data.attribute)
    if isinstance(data.metric, MetricSeriesInput):
        wanted = data.metric
        scope = scope_of(wanted.range, wanted.granularity, wanted.filter, None)
        events = tuple(wanted.events or ())
        return MetricQuestion(wanted.metric, scope, wanted.churn_formula, events)
    return None


async def series_from(
    session: AsyncSession, data: SeriesInput, question: Stored | None
) -> pd.Series:
    """The input as a float series indexed by period (positions 1, 2, ... for bare values),
    or, for an attribute, by the customer's or lead's id; `question` is what it reads
    from the store."""
    if isinstance(question, AttributeQuestion):
        found = await attribute_values(session, question)
        _capped(len(found))
        return found
    if isinstance(question, MetricQuestion):
        return await _metric_series(session, question)
    if isinstance(data.points, list):
        _capped(len(data.points))
        periods = [point.period for point in data.points]
        return pd.Series([point.value for point in data.points], index=periods, dtype=float)
    values = data.values if isinstance(data.values, list) else []
    return pd.Series(values, index=range(1, _capped(len(values)) + 1), dtype=float)


async def _metric_series(session: AsyncSession, wanted: MetricQuestion) -> pd.Series:
    (found,) = await metric_series(
        session, wanted.metric, wanted.scope, wanted.churn_formula, wanted.events
    )
    undefined = [point.start.isoformat() for point in found.points if point.value is None]
    if undefined:
        shown = ", ".join(undefined[:5])
        raise InvalidInput(
            f"{wanted.metric.name} has no value in {len(undefined)} period(s) of the range "
            f"({shown}); choose a range where it is defined"
        )
    starts = [point.start.isoformat() for point in found.points]
    return pd.Series([point.value for point in found.points], index=starts, dtype=float)


def _key(kind: str, sources: Sequence[Stored | None], *arguments: Hashable) -> Hashable | None:
    """A cache key when every input comes from the store, else None (not kept)."""
    if any(source is None for source in sources):
        return None
    return (kind, tuple(sources), arguments)


async def _statistic(
    info: Info,
    kind: str,
    inputs: Sequence[SeriesInput],
    compute: Callable[..., Result],
    *arguments: Hashable,
) -> Result:
    """`compute(*series, *arguments)` on a worker thread, kept when the inputs are stored."""
    sources = [stored(info, data) for data in inputs]
    async with info.context.db() as session:

        async def fresh() -> Result:
            pairs = zip(inputs, sources, strict=True)
            series = [await series_from(session, data, source) for data, source in pairs]
            await end_reading(session)
            return await _computed(partial(compute, *series, *arguments))

        return await kept(session, _key(kind, sources, *arguments), fresh)


def _ordered(data: SeriesInput, purpose: str) -> SeriesInput:
    """The input, refused when it is an attribute: customers and leads have no order."""
    if isinstance(data.attribute, AttributeInput):
        raise InvalidInput(
            f"{purpose} needs a series over periods; an attribute's values have no order"
        )
    return data


async def descriptive_statistics(
    info: Info, data: SeriesInput, confidence: float = 0.95, quantiles: list[float] | None = None
) -> types.Description:
    probabilities = descriptive.DEFAULT_QUANTILES if quantiles is None else quantiles
    _capped(len(probabilities))
    result = await _statistic(
        info, "describe", [data], descriptive.describe, confidence, tuple(probabilities)
    )
    return types.description_from(result)


def _paired(first: SeriesInput, second: SeriesInput) -> None:
    """Bare values pair by position, so a length mismatch is a mistake, not a join."""
    if not (isinstance(first.values, list) and isinstance(second.values, list)):
        return
    if len(first.values) != len(second.values):
        raise InvalidInput(
            "paired values need the same length; got "
            f"{len(first.values)} and {len(second.values)} (give points to join by period)"
        )


def _same_records(first: SeriesInput, second: SeriesInput) -> None:
    """An attribute pairs by id, so only with an attribute of the same kind of record."""
    kinds = [
        str(data.attribute.entity) if isinstance(data.attribute, AttributeInput) else "a series"
        for data in (first, second)
    ]
    if kinds[0] != kinds[1]:
        raise InvalidInput(
            "an attribute pairs by id, so only with an attribute of the same records; "
            f"got {kinds[0]} and {kinds[1]}"
        )


async def correlation_between(
    info: Info, first: SeriesInput, second: SeriesInput, confidence: float = 0.95
) -> list[types.Correlation]:
    _paired(first, second)
    _same_records(first, second)
    found = await _statistic(
        info, "correlation", [first, second], correlation.correlations, confidence
    )
    return [types.correlation_from(result) for result in found]


async def linear_trend(
    info: Info, data: SeriesInput, confidence: float = 0.95
) -> types.LinearTrend:
    data = _ordered(data, "a linear trend")
    result = await _statistic(info, "linear_trend", [data], trend.linear_trend, confidence)
    return types.linear_trend_from(result)


async def robust_trend(
    info: Info, data: SeriesInput, confidence: float = 0.95
) -> types.RobustTrend:
    data = _ordered(data, "a robust trend")
    result = await _statistic(info, "robust_trend", [data], trend.robust_trend, confidence)
    return types.robust_trend_from(result)


async def moving_average(
    info: Info,
    data: SeriesInput,
    kind: MovingAverageKind,
    window: int | None = None,
    alpha: float | None = None,
) -> types.MovingAverage:
    data = _ordered(data, "a moving average")
    if kind is MovingAverageKind.EXPONENTIAL:
        if alpha is None:
            raise InvalidInput("an exponential moving average needs alpha")
        exponential = smoothing.exponential_moving_average
        result = await _statistic(info, "exponential_average", [data], exponential, alpha)
    elif window is None:
        raise InvalidInput(f"a {kind.value} moving average needs a window")
    elif kind is MovingAverageKind.SIMPLE:
        simple = smoothing.simple_moving_average
        result = await _statistic(info, "simple_average", [data], simple, window)
    else:
        centred = smoothing.centred_moving_average
        result = await _statistic(info, "centred_average", [data], centred, window)
    return types.moving_average_from(result)


async def rolling_statistics(
    info: Info, data: SeriesInput, window: int
) -> types.RollingStatistics:
    data = _ordered(data, "rolling statistics")
    result = await _statistic(info, "rolling", [data], smoothing.rolling_statistics, window)
    return types.rolling_statistics_from(result)


async def outliers_in(
    info: Info,
    data: SeriesInput,
    method: OutlierMethod = OutlierMethod.IQR,
    k: float = 1.5,
    threshold: float = 3.5,
    season: int | None = None,
) -> types.Outliers:
    if method is OutlierMethod.IQR:
        result = await _statistic(info, "iqr", [data], outliers.iqr_outliers, k)
    elif method is OutlierMethod.ROBUST_Z:
        result = await _statistic(info, "robust_z", [data], outliers.robust_z_outliers, threshold)
    else:
        data = _ordered(data, "outliers on the residual after trend and season")
        result = await _statistic(
            info, "residual", [data], outliers.residual_outliers, season, threshold
        )
    return types.outliers_from(result)


async def normality_of(info: Info, data: SeriesInput) -> types.Normality:
    result = await _statistic(info, "normality", [data], normality.normality)
    return types.normality_from(result)


async def compare_means(
    info: Info, first: SeriesInput, second: SeriesInput, confidence: float = 0.95
) -> types.MeanComparison:
    result = await _statistic(info, "welch", [first, second], comparison.welch_t, confidence)
    return types.mean_comparison_from(result)


async def compare_distributions(
    info: Info, first: SeriesInput, second: SeriesInput
) -> types.RankComparison:
    result = await _statistic(info, "mann_whitney", [first, second], comparison.mann_whitney)
    return types.rank_comparison_from(result)


async def _counts(session: AsyncSession, info: Info, rate: RateInput) -> tuple[int, int]:
    """(successes, trials) as given, or counted from an attribute of 0s and 1s."""
    if rate.attribute is None:
        if rate.successes is None or rate.trials is None:
            raise InvalidInput("a rate needs successes and trials, or an attribute")
        return rate.successes, rate.trials
    if rate.successes is not None or rate.trials is not None:
        raise InvalidInput("a rate takes successes and trials, or an attribute, not both")
    question = attribute_question(info, rate.attribute)
    values = await attribute_values(session, question)
    odd = values[~values.isin([0.0, 1.0])]
    if len(odd):
        raise InvalidInput(
            f"a rate needs an attribute of 0s and 1s; {question.described} is "
            f"{odd.iloc[0]:g} for {question.entity} {odd.index[0]}"
        )
    return int(values.sum()), len(values)


async def compare_rates(
    info: Info, first: RateInput, second: RateInput, confidence: float = 0.95
) -> types.ProportionComparison:
    async with info.context.db() as session:
        x1, n1 = await _counts(session, info, first)
        x2, n2 = await _counts(session, info, second)
    result = comparison.two_proportions((x1, x2), (n1, n2), confidence)
    return types.proportion_comparison_from(result)


async def _table(
    info: Info, table: list[list[int]] | None, rates: list[RateInput] | None
) -> list[list[int]]:
    if (table is None) == (rates is None):
        raise InvalidInput("a chi-square test takes a table of counts or rates, exactly one")
    if table is not None:
        return table
    async with info.context.db() as session:
        counts = [await _counts(session, info, rate) for rate in rates or ()]
    return [[successes, trials - successes] for successes, trials in counts]


async def chi_square(
    info: Info, table: list[list[int]] | None = None, rates: list[RateInput] | None = None
) -> types.ChiSquare:
    counts = await _table(info, table, rates)
    _capped(sum(len(row) for row in counts))
    return types.chi_square_from(await _computed(partial(comparison.chi_square, counts)))


def _column_name(column: FeatureInput) -> str:
    if column.name is not None:
        return column.name
    if column.attribute is not None:
        return column.attribute.name
    raise InvalidInput("a regression column given by values needs a name")


def _attribute_columns(
    info: Info, columns: Sequence[FeatureInput]
) -> tuple[AttributeQuestion, ...] | None:
    """Each column's attribute, or None when every column is given by values."""
    given = [column.values is not None for column in columns]
    asked = [column.attribute is not None for column in columns]
    if any(g == a for g, a in zip(given, asked, strict=True)) or len(set(given)) > 1:
        raise InvalidInput(
            "a regression takes every column as values or every column as an attribute"
        )
    if all(given):
        return None
    questions = tuple(
        attribute_question(info, column.attribute) for column in columns if column.attribute
    )
    if len({question.entity for question in questions}) > 1:
        raise InvalidInput("a regression's attributes must all be of customers or all of leads")
    return questions


async def _regression_frame(
    session: AsyncSession,
    names: Sequence[str],
    columns: Sequence[FeatureInput],
    questions: Sequence[AttributeQuestion] | None,
) -> pd.DataFrame:
    """Values pair by row; attributes join on the id, keeping the ids with every value."""
    if questions is None:
        _capped(sum(len(column.values or ()) for column in columns))
        return regression.table(
            {name: column.values or [] for name, column in zip(names, columns, strict=True)}
        )
    values = [await attribute_values(session, question) for question in questions]
    joined = pd.concat(values, axis=1, join="inner", keys=list(names))
    if joined.empty:
        raise InvalidInput("no customer or lead has a value for every column of the regression")
    _capped(joined.size)
    return joined


async def _regression(
    info: Info,
    kind: str,
    fit: Callable[..., Result],
    target: FeatureInput,
    features: list[FeatureInput],
    confidence: float,
) -> Result:
    """Fits the model in the process pool, kept when every column is an attribute."""
    columns = (target, *features)
    names = [_column_name(column) for column in columns]
    if names[0] in names[1:]:
        raise InvalidInput(f"the target {names[0]!r} cannot also be a feature")
    questions = _attribute_columns(info, columns)
    async with info.context.db() as session:

        async def fresh() -> Result:
            frame = await _regression_frame(session, names, columns, questions)
            await end_reading(session)
            return await in_pool(fit, frame, names[0], names[1:], confidence)

        sources = None if questions is None else tuple(zip(names, questions, strict=True))
        key = None if sources is None else (kind, sources, confidence)
        return await kept(session, key, fresh)


async def linear_regression(
    info: Info, target: FeatureInput, features: list[FeatureInput], confidence: float = 0.95
) -> types.LinearRegression:
    result = await _regression(
        info, "linear_regression", regression.linear_regression, target, features, confidence
    )
    return types.linear_regression_from(result)


async def logistic_regression(
    info: Info, target: FeatureInput, features: list[FeatureInput], confidence: float = 0.95
) -> types.LogisticRegression:
    result = await _regression(
        info, "logistic_regression", regression.logistic_regression, target, features, confidence
    )
    return types.logistic_regression_from(result)
