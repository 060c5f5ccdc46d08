"""Metrics: turn arguments into a scope, run the service, map the result."""

from __future__ import annotations

from datetime import date

from saaslens.analytics.saas_metrics import ChurnFormula
from saaslens.data.queries.mrr import Movement
from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.data.queries.segments import Breakdown, Segment
from saaslens.schema.connections import Connection, build_connection, decode_cursor, page_size
from saaslens.schema.context import Info
from saaslens.schema.types.metrics import (
    BreakdownInput,
    DateRangeInput,
    Engagement,
    Mapper,
    MetricSeries,
    MovementCustomer,
    MrrMovements,
    SaasMetrics,
    SegmentFilterInput,
    Stickiness,
    engagement_of,
    metric_series_of,
    stickiness_of,
)
from saaslens.services.engagement import EngagementQuestion, EngagementRunner, StickinessRunner
from saaslens.services.movements import MovementCustomersRunner, MovementQuestion, MovementsRunner
from saaslens.services.runner import Scope
from saaslens.services.saas import SaasMetricsRunner, SaasQuestion
from saaslens.services.series import MetricName
from saaslens.services.series import metric_series as series_of_metric


def scope_of(
    range: DateRangeInput,
    granularity: Granularity,
    filter: SegmentFilterInput | None,
    breakdown: BreakdownInput | None,
) -> Scope:
    segment = Segment()
    if filter is not None:
        attributes = tuple((item.key, item.value) for item in filter.attributes or ())
        segment = Segment(filter.plan, filter.country, filter.segment, attributes)
    split = None if breakdown is None else Breakdown(breakdown.dimension, breakdown.attribute)
    return Scope(DateRange(range.start, range.end), granularity, segment, split)


async def mrr_movements(
    info: Info,
    range: DateRangeInput,
    granularity: Granularity = Granularity.MONTH,
    filter: SegmentFilterInput | None = None,
    breakdown: BreakdownInput | None = None,
) -> MrrMovements:
    scope = scope_of(range, granularity, filter, breakdown)
    async with info.context.db() as session:
        result = await MovementsRunner(scope).run(session)
    return Mapper(info.context.settings.base_currency).mrr_movements(result)


async def movement_customers(
    info: Info,
    range: DateRangeInput,
    period: date,
    movement: Movement,
    granularity: Granularity = Granularity.MONTH,
    filter: SegmentFilterInput | None = None,
    breakdown: BreakdownInput | None = None,
    group: str | None = None,
    first: int = 20,
    after: str | None = None,
) -> Connection[MovementCustomer]:
    limit = page_size(first, info.context.settings)
    question = MovementQuestion(
        scope_of(range, granularity, filter, breakdown),
        period,
        movement,
        group,
        limit,
        decode_cursor(after),
    )
    async with info.context.db() as session:
        page = await MovementCustomersRunner(question).run(session)
    mapper = Mapper(info.context.settings.base_currency)
    return build_connection(
        page.rows, limit, page.total, lambda row: row.customer_id, mapper.movement_customer
    )


async def saas_metrics(
    info: Info,
    range: DateRangeInput,
    granularity: Granularity = Granularity.MONTH,
    churn_formula: ChurnFormula = ChurnFormula.PERIOD_START,
    filter: SegmentFilterInput | None = None,
    breakdown: BreakdownInput | None = None,
) -> SaasMetrics:
    question = SaasQuestion(scope_of(range, granularity, filter, breakdown), churn_formula)
    async with info.context.db() as session:
        result = await SaasMetricsRunner(question).run(session)
    return Mapper(info.context.settings.base_currency).saas_metrics(result)


async def engagement(
    info: Info,
    range: DateRangeInput,
    granularity: Granularity = Granularity.DAY,
    events: list[str] | None = None,
    filter: SegmentFilterInput | None = None,
    breakdown: BreakdownInput | None = None,
) -> Engagement:
    scope = scope_of(range, granularity, filter, breakdown)
    async with info.context.db() as session:
        result = await EngagementRunner(EngagementQuestion(scope, tuple(events or ()))).run(
            session
        )
    return engagement_of(result)


async def stickiness(
    info: Info,
    range: DateRangeInput,
    granularity: Granularity = Granularity.MONTH,
    events: list[str] | None = None,
    filter: SegmentFilterInput | None = None,
    breakdown: BreakdownInput | None = None,
) -> Stickiness:
    scope = scope_of(range, granularity, filter, breakdown)
    async with info.context.db() as session:
        result = await StickinessRunner(EngagementQuestion(scope, tuple(events or ()))).run(
            session
        )
    return stickiness_of(result)


async def metric_series(
    info: Info,
    metric: MetricName,
    range: DateRangeInput,
    granularity: Granularity = Granularity.MONTH,
    filter: SegmentFilterInput | None = None,
    breakdown: BreakdownInput | None = None,
    churn_formula: ChurnFormula = ChurnFormula.PERIOD_START,
    events: list[str] | None = None,
) -> MetricSeries:
    scope = scope_of(range, granularity, filter, breakdown)
    async with info.context.db() as session:
        found = await series_of_metric(session, metric, scope, churn_formula, tuple(events or ()))
    return metric_series_of(metric, found)
