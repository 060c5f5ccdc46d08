"""Types, inputs and enums of the cohort queries, and the mapping onto them.

A retention cell is a Rate: members retained over the cohort's members,
with its 95% Wilson interval; null where the period lies after the range.
"""

from __future__ import annotations

import math
from datetime import date

import strawberry

from saaslens.analytics import segmentation
from saaslens.data.queries import pipeline as pipeline_queries
from saaslens.data.queries import retention
from saaslens.schema.types.metrics import Granularity, Rate, rate
from saaslens.schema.types.records import Money
from saaslens.schema.types.scalars import Long
from saaslens.services import cohorts, pipeline

CohortStart = strawberry.enum(
    retention.CohortStart,
    description="What puts a member into a cohort: signing up, a first payment, an event.",
)
RetentionUnit = strawberry.enum(
    retention.Unit, description="Whom retention counts: customer accounts or their users."
)


@strawberry.input(description="How members enter cohorts and what counts as coming back.")
class CohortingInput:
    start: CohortStart = retention.CohortStart.SIGNUP  # type: ignore[valid-type]
    unit: RetentionUnit = retention.Unit.CUSTOMER  # type: ignore[valid-type]
    recurring: bool = strawberry.field(
        default=False,
        description="Every period a member did the start event begins a cohort of its own; "
        "otherwise only the first one does.",
    )
    start_events: list[str] | None = strawberry.field(
        default=None, description="Events that start a FIRST_EVENT cohort; any event if null."
    )
    return_events: list[str] | None = strawberry.field(
        default=None, description="Events that count as coming back; any event if null."
    )


@strawberry.type
class CohortRetention:
    start: date = strawberry.field(description="The first day of the cohort's period.")
    members: int
    retained: list[Rate | None] = strawberry.field(
        description="Per period offset from 0: retained members / members; "
        "null where that period lies after the range."
    )


@strawberry.type
class RetentionSeries:
    group: str | None = strawberry.field(description="The breakdown value; null without one.")
    cohorts: list[CohortRetention]
    mean: list[Rate | None] = strawberry.field(
        description="Per offset: retained over members, summed over the cohorts observed there."
    )


@strawberry.type
class Retention:
    granularity: Granularity  # type: ignore[valid-type]
    periods: int
    on_or_after: bool = strawberry.field(
        description="Whether a member counts as retained in a period when active then "
        "or in any later period."
    )
    series: list[RetentionSeries]


def cohorting_of(value: CohortingInput) -> retention.Cohorting:
    return retention.Cohorting(
        value.start,
        value.unit,
        value.recurring,
        tuple(value.start_events or ()),
        tuple(value.return_events or ()),
    )


def retention_of(result: cohorts.Retention, on_or_after: bool) -> Retention:
    grid = result.grid
    return Retention(
        granularity=grid.granularity,
        periods=result.periods,
        on_or_after=on_or_after,
        series=[
            RetentionSeries(
                group=item.group,
                cohorts=[
                    CohortRetention(
                        start=grid.start_date(row.cohort),
                        members=row.members,
                        retained=[None if cell is None else rate(cell) for cell in row.retained],
                    )
                    for row in item.curve.cohorts
                ],
                mean=[None if cell is None else rate(cell) for cell in item.curve.mean],
            )
            for item in result.series
        ],
    )


@strawberry.type(description="Members per lifecycle status in one period.")
class LifecyclePeriod:
    start: date
    new: int = strawberry.field(description="Active for the first time ever.")
    returning: int = strawberry.field(description="Active now and in the period before.")
    resurrecting: int = strawberry.field(
        description="Active now, not in the period before, but at some time earlier."
    )
    dormant: int = strawberry.field(
        description="Active in the period before but not now; negative, as drawn below zero."
    )


@strawberry.type
class LifecycleSeries:
    group: str | None = strawberry.field(description="The breakdown value; null without one.")
    periods: list[LifecyclePeriod]


@strawberry.type
class Lifecycle:
    granularity: Granularity  # type: ignore[valid-type]
    unit: RetentionUnit  # type: ignore[valid-type]
    series: list[LifecycleSeries]


def lifecycle_of(result: cohorts.Lifecycle, unit: retention.Unit) -> Lifecycle:
    grid = result.grid
    return Lifecycle(
        granularity=grid.granularity,
        unit=unit,
        series=[
            LifecycleSeries(
                group=item.group,
                periods=[
                    LifecyclePeriod(
                        start=grid.start_date(row.period),
                        new=row.new,
                        returning=row.returning,
                        resurrecting=row.resurrecting,
                        dormant=row.dormant,
                    )
                    for row in item.periods
                ],
            )
            for item in result.series
        ],
    )


@strawberry.type
class FunnelStep:
    name: str = strawberry.field(description="The event of this step.")
    members: int = strawberry.field(description="Entrants who reached this step.")
    from_previous: Rate = strawberry.field(description="Reached this step / reached the last.")
    overall: Rate = strawberry.field(description="Reached this step / entered the funnel.")
    median_seconds_from_previous: float | None = strawberry.field(
        description="Median time from the step before to this one; null for the first step."
    )


@strawberry.type
class FunnelSeries:
    group: str | None = strawberry.field(description="The breakdown value; null without one.")
    steps: list[FunnelStep]


@strawberry.type
class Funnel:
    window_days: int
    strict: bool
    unit: RetentionUnit  # type: ignore[valid-type]
    series: list[FunnelSeries]


def funnel_of(result: cohorts.Funnel) -> Funnel:
    return Funnel(
        window_days=result.funnel.window_days,
        strict=result.funnel.strict,
        unit=result.funnel.unit,
        series=[
            FunnelSeries(
                group=item.group,
                steps=[
                    FunnelStep(
                        name=step.name,
                        members=step.members,
                        from_previous=rate(step.from_previous),
                        overall=rate(step.overall),
                        median_seconds_from_previous=step.median_seconds_from_previous,
                    )
                    for step in item.steps
                ],
            )
            for item in result.series
        ],
    )


@strawberry.type
class CohortRevenue:
    start: date = strawberry.field(description="The first day of the cohort's period.")
    customers: int = strawberry.field(description="Customers first ending a period paying.")
    starting_mrr: Money
    mrr: list[Money | None] = strawberry.field(
        description="The cohort's MRR at the end of each period from its own; null after "
        "the range."
    )
    net_retention: list[Rate | None] = strawberry.field(
        description="Cohort MRR now / cohort MRR at the end of its first period, expansion "
        "included, so it may exceed 1."
    )
    paying_retention: list[Rate | None] = strawberry.field(
        description="Cohort customers still paying / cohort customers."
    )


@strawberry.type
class RevenueRetentionSeries:
    group: str | None = strawberry.field(description="The breakdown value; null without one.")
    cohorts: list[CohortRevenue]


@strawberry.type
class RevenueRetention:
    granularity: Granularity  # type: ignore[valid-type]
    periods: int
    series: list[RevenueRetentionSeries]


def revenue_retention_of(result: cohorts.RevenueRetention, currency: str) -> RevenueRetention:
    def money(amount: int) -> Money:
        return Money(amount=Long(amount), currency=currency)

    grid = result.grid
    return RevenueRetention(
        granularity=grid.granularity,
        periods=result.periods,
        series=[
            RevenueRetentionSeries(
                group=item.group,
                cohorts=[
                    CohortRevenue(
                        start=grid.start_date(row.cohort),
                        customers=row.customers,
                        starting_mrr=money(row.starting_mrr),
                        mrr=[None if amount is None else money(amount) for amount in row.mrr],
                        net_retention=[None if r is None else rate(r) for r in row.net_retention],
                        paying_retention=[
                            None if r is None else rate(r) for r in row.paying_retention
                        ],
                    )
                    for row in item.cohorts
                ],
            )
            for item in result.series
        ],
    )


@strawberry.type
class FeatureMean:
    feature: str = strawberry.field(
        description="revenue and mrr in minor units; active_days and events in the last 90 "
        "days; recency_days; engagement_trend in events per week, per week."
    )
    mean: float | None = strawberry.field(description="Null when no member has a value.")


@strawberry.type
class BehaviouralSegment:
    label: int
    name: str = strawberry.field(description="Its profile, e.g. 'high value, highly engaged'.")
    customers: int
    means: list[FeatureMean]
    recency_score: float = strawberry.field(description="Mean RFM recency score, 1 to 5.")
    frequency_score: float = strawberry.field(description="Mean RFM frequency score, 1 to 5.")
    monetary_score: float = strawberry.field(description="Mean RFM monetary score, 1 to 5.")


@strawberry.type
class Segmentation:
    as_of: date
    silhouette: float | None = strawberry.field(
        description="Mean silhouette of the clustering, -1 to 1; null when undefined."
    )
    segments: list[BehaviouralSegment]


def segmentation_of(result: segmentation.Segmentation, as_of: date) -> Segmentation:
    return Segmentation(
        as_of=as_of,
        silhouette=result.silhouette,
        segments=[
            BehaviouralSegment(
                label=item.label,
                name=item.name,
                customers=item.customers,
                means=[
                    FeatureMean(feature=name, mean=None if math.isnan(mean) else mean)
                    for name, mean in item.means.items()
                ],
                recency_score=item.rfm[0],
                frequency_score=item.rfm[1],
                monetary_score=item.rfm[2],
            )
            for item in result.segments
        ],
    )


LeadDimension = strawberry.enum(
    pipeline_queries.LeadDimension, description="What a lead pipeline breaks down by."
)


@strawberry.type
class PipelineStage:
    name: str = strawberry.field(description="'created', then the stages in the order given.")
    leads: int = strawberry.field(description="Leads that reached this stage or a later one.")
    from_previous: Rate
    median_days_in_stage: float | None = strawberry.field(
        description="From entering this stage to entering a later one, over leads that moved on."
    )


@strawberry.type
class PipelineSeries:
    group: str | None = strawberry.field(description="The source or campaign; null without.")
    leads: int
    stages: list[PipelineStage]
    win_rate: Rate = strawberry.field(description="Won / leads created.")
    closed_win_rate: Rate = strawberry.field(description="Won / leads won or lost.")


@strawberry.type
class LeadPipeline:
    series: list[PipelineSeries]


def lead_pipeline_of(result: list[pipeline.PipelineSeries]) -> LeadPipeline:
    return LeadPipeline(
        series=[
            PipelineSeries(
                group=item.group,
                leads=item.summary.leads,
                stages=[
                    PipelineStage(
                        name=stage.name,
                        leads=stage.leads,
                        from_previous=rate(stage.from_previous),
                        median_days_in_stage=stage.median_days_in_stage,
                    )
                    for stage in item.summary.stages
                ],
                win_rate=rate(item.summary.win_rate),
                closed_win_rate=rate(item.summary.closed_win_rate),
            )
            for item in result
        ]
    )
