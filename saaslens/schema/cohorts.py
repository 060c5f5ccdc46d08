"""Root fields for cohort analyses; viewers may read all of them."""

from __future__ import annotations

import strawberry

from saaslens.resolvers import cohorts
from saaslens.schema.permissions import IsViewer, needs
from saaslens.schema.types.cohorts import (
    Funnel,
    LeadPipeline,
    Lifecycle,
    Retention,
    RevenueRetention,
    Segmentation,
)


@strawberry.type
class CohortsQuery:
    retention: Retention = strawberry.field(
        extensions=needs(IsViewer),
        resolver=cohorts.retention,
        description="Cohorts starting in the range and the share of them active in each "
        "period after.",
    )
    lifecycle: Lifecycle = strawberry.field(
        extensions=needs(IsViewer),
        resolver=cohorts.lifecycle,
        description="Per period: new, returning, resurrecting and dormant members.",
    )
    funnel: Funnel = strawberry.field(
        extensions=needs(IsViewer),
        resolver=cohorts.funnel,
        description="Members entering at the first step within the range and how many reach "
        "each later step within the window (days from entry).",
    )
    revenue_retention: RevenueRetention = strawberry.field(
        extensions=needs(IsViewer),
        resolver=cohorts.revenue_retention,
        description="Paying cohorts (by the first period they ended with MRR) and the share "
        "of their starting MRR they keep in each period after.",
    )
    behavioural_segments: Segmentation = strawberry.field(
        extensions=needs(IsViewer),
        resolver=cohorts.behavioural_segments,
        description="k-means segments of the customers signed up by `asOf`, on engagement "
        "and revenue, each named by its profile, with RFM scores.",
    )
    lead_pipeline: LeadPipeline = strawberry.field(
        extensions=needs(IsViewer),
        resolver=cohorts.lead_pipeline,
        description="Leads created in the range: how many reach each stage (in the order "
        "given, the won stage last), how long they stay, and how many are won.",
    )
