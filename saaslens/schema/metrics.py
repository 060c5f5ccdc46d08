"""Root fields for SaaS metrics and engagement; viewers may read all of them."""

from __future__ import annotations

import strawberry

from saaslens.resolvers import metrics
from saaslens.schema.connections import Connection
from saaslens.schema.permissions import IsViewer, needs
from saaslens.schema.types.metrics import (
    Engagement,
    MetricSeries,
    MovementCustomer,
    MrrMovements,
    SaasMetrics,
    Stickiness,
)


@strawberry.type
class MetricsQuery:
    mrr_movements: MrrMovements = strawberry.field(
        extensions=needs(IsViewer),
        resolver=metrics.mrr_movements,
        description="MRR, paying customers and each movement per period.",
    )
    movement_customers: Connection[MovementCustomer] = strawberry.field(
        extensions=needs(IsViewer),
        resolver=metrics.movement_customers,
        description="The customers behind one movement in the period holding `period`.",
    )
    saas_metrics: SaasMetrics = strawberry.field(
        extensions=needs(IsViewer),
        resolver=metrics.saas_metrics,
        description="ARR, churn and retention rates, ARPA, ASP, LTV, quick ratio and more.",
    )
    engagement: Engagement = strawberry.field(
        extensions=needs(IsViewer),
        resolver=metrics.engagement,
        description="DAU, WAU, MAU, stickiness and active accounts from product events.",
    )
    stickiness: Stickiness = strawberry.field(
        extensions=needs(IsViewer),
        resolver=metrics.stickiness,
        description="Users by the number of days they were active in each period.",
    )
    metric_series: MetricSeries = strawberry.field(
        extensions=needs(IsViewer),
        resolver=metrics.metric_series,
        description="One metric per period, one series per breakdown value.",
    )
