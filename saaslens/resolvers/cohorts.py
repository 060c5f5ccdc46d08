"""Cohorts: turn arguments into a question, run the service, map the result."""

from __future__ import annotations

from datetime import date

from saaslens.data.queries.funnels import FunnelSteps
from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.data.queries.pipeline import LeadDimension
from saaslens.data.queries.retention import Unit
from saaslens.data.queries.segments import Segment
from saaslens.resolvers.metrics import scope_of
from saaslens.schema.context import Info
from saaslens.schema.types.cohorts import (
    CohortingInput,
    Funnel,
    LeadPipeline,
    Lifecycle,
    Retention,
    RevenueRetention,
    Segmentation,
    cohorting_of,
    funnel_of,
    lead_pipeline_of,
    lifecycle_of,
    retention_of,
    revenue_retention_of,
    segmentation_of,
)
from saaslens.schema.types.metrics import BreakdownInput, DateRangeInput, SegmentFilterInput
from saaslens.services.cohorts import (
    FunnelQuestion,
    FunnelRunner,
    LifecycleQuestion,
    LifecycleRunner,
    RetentionQuestion,
    RetentionRunner,
    RevenueRetentionQuestion,
    RevenueRetentionRunner,
)
from saaslens.services.pipeline import DEFAULT_STAGES, PipelineQuestion, PipelineRunner
from saaslens.services.segmentation import SegmentationQuestion
from saaslens.services.segmentation import behavioural_segments as segments_of_customers


async def retention(
    info: Info,
    range: DateRangeInput,
    granularity: Granularity = Granularity.MONTH,
    cohorting: CohortingInput | None = None,
    periods: int = 12,
    on_or_after: bool = False,
    filter: SegmentFilterInput | None = None,
    breakdown: BreakdownInput | None = None,
) -> Retention:
    question = RetentionQuestion(
        scope_of(range, granularity, filter, breakdown),
        cohorting_of(cohorting or CohortingInput()),
        periods,
        on_or_after,
    )
    async with info.context.db() as session:
        result = await RetentionRunner(question).run(session)
    return retention_of(result, on_or_after)


async def lifecycle(
    info: Info,
    range: DateRangeInput,
    granularity: Granularity = Granularity.WEEK,
    unit: Unit = Unit.CUSTOMER,
    events: list[str] | None = None,
    filter: SegmentFilterInput | None = None,
    breakdown: BreakdownInput | None = None,
) -> Lifecycle:
    scope = scope_of(range, granularity, filter, breakdown)
    async with info.context.db() as session:
        result = await LifecycleRunner(LifecycleQuestion(scope, unit, tuple(events or ()))).run(
            session
        )
    return lifecycle_of(result, unit)


async def funnel(
    info: Info,
    range: DateRangeInput,
    steps: list[str],
    window_days: int = 14,
    strict: bool = False,
    unit: Unit = Unit.CUSTOMER,
    filter: SegmentFilterInput | None = None,
    breakdown: BreakdownInput | None = None,
) -> Funnel:
    scope = scope_of(range, Granularity.DAY, filter, breakdown)
    question = FunnelQuestion(scope, FunnelSteps(tuple(steps), window_days, strict, unit))
    async with info.context.db() as session:
        result = await FunnelRunner(question).run(session)
    return funnel_of(result)


async def revenue_retention(
    info: Info,
    range: DateRangeInput,
    granularity: Granularity = Granularity.MONTH,
    periods: int = 12,
    filter: SegmentFilterInput | None = None,
    breakdown: BreakdownInput | None = None,
) -> RevenueRetention:
    question = RevenueRetentionQuestion(scope_of(range, granularity, filter, breakdown), periods)
    async with info.context.db() as session:
        result = await RevenueRetentionRunner(question).run(session)
    return revenue_retention_of(result, info.context.settings.base_currency)


async def behavioural_segments(
    info: Info,
    as_of: date,
    clusters: int = 4,
    filter: SegmentFilterInput | None = None,
) -> Segmentation:
    question = SegmentationQuestion(as_of, clusters, segment_of(filter))
    async with info.context.db() as session:
        result = await segments_of_customers(session, question)
    return segmentation_of(result, as_of)


def segment_of(filter: SegmentFilterInput | None) -> Segment:
    if filter is None:
        return Segment()
    attributes = tuple((item.key, item.value) for item in filter.attributes or ())
    return Segment(filter.plan, filter.country, filter.segment, attributes)


async def lead_pipeline(
    info: Info,
    range: DateRangeInput,
    stages: list[str] | None = None,
    lost_stage: str = "lost",
    breakdown: LeadDimension | None = None,
) -> LeadPipeline:
    question = PipelineQuestion(
        DateRange(range.start, range.end),
        tuple(stage.strip().lower() for stage in stages or DEFAULT_STAGES),
        lost_stage.strip().lower(),
        breakdown,
    )
    async with info.context.db() as session:
        result = await PipelineRunner(question).run(session)
    return lead_pipeline_of(result)
