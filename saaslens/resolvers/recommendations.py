"""Recommendations: findings worth acting on, read by viewers."""

from __future__ import annotations

from saaslens.data.queries.periods import DateRange
from saaslens.schema.context import Info
from saaslens.schema.types.metrics import DateRangeInput
from saaslens.schema.types.recommendations import Recommendations, recommendations_from
from saaslens.services import recommendations as service


async def recommendations(
    info: Info,
    range: DateRangeInput,
    alpha: float = 0.05,
    baseline_periods: int = 6,
    retention_period: int = 1,
    recent_cohorts: int = 3,
    alive_below: float = 0.5,
    leads_above: float = 0.5,
    limit: int = 10,
) -> Recommendations:
    question = service.RecommendationsQuestion(
        range=DateRange(range.start, range.end),
        alpha=alpha,
        baseline_periods=baseline_periods,
        retention_offset=retention_period,
        recent_cohorts=recent_cohorts,
        alive_below=alive_below,
        leads_above=leads_above,
        limit=limit,
    )
    async with info.context.db() as session:
        result = await service.recommendations(session, question)
    return recommendations_from(result)
