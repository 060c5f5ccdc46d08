"""The root field for recommendations; viewers may read it."""

from __future__ import annotations

import strawberry

from saaslens.resolvers import recommendations
from saaslens.schema.permissions import IsViewer, needs
from saaslens.schema.types.recommendations import Recommendations


@strawberry.type
class RecommendationsQuery:
    recommendations: Recommendations = strawberry.field(
        extensions=needs(IsViewer),
        resolver=recommendations.recommendations,
        description="Findings in the range's latest complete month, ranked: a significant "
        "change in customer churn (against the `baselinePeriods` months before, at `alpha`) "
        "or in new-business MRR's trend, recent cohorts retaining worse in month "
        "`retentionPeriod` than the cohorts before them, paying customers whose use falls "
        "and whose probability of being alive is below `aliveBelow`, and open leads above "
        "`leadsAbove` under the latest lead model. Each holds its evidence, an action and, "
        "where one fits, the automation template that acts on it. Subjects are capped at "
        "`limit` per finding.",
    )
