"""Predictions: lead conversion models and scored leads, and metric forecasts."""

from __future__ import annotations

from saaslens.analytics.forecasting import DEFAULT_LEVELS
from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.errors import InvalidInput
from saaslens.schema.connections import Connection, build_connection, decode_cursor, page_size
from saaslens.schema.context import Info
from saaslens.schema.types.metrics import DateRangeInput
from saaslens.schema.types.predictions import (
    LeadModel,
    LeadScore,
    MetricForecast,
    forecast_from,
    lead_model_from,
    lead_score_from,
)
from saaslens.services import forecasts, leads
from saaslens.services.series import MetricName


async def train_lead_model(info: Info) -> LeadModel:
    viewer = info.context.viewer
    async with info.context.db() as session:
        row = await leads.train_lead_model(
            session, viewer.user.id if viewer is not None else None, info.context.clock()
        )
    return lead_model_from(row)


async def lead_model(info: Info) -> LeadModel | None:
    async with info.context.db() as session:
        row = await leads.latest_lead_model(session)
    return lead_model_from(row) if row is not None else None


async def lead_scores(
    info: Info, first: int = 20, after: str | None = None
) -> Connection[LeadScore]:
    limit = page_size(first, info.context.settings)
    async with info.context.db() as session:
        scored = await leads.lead_scores(session)
    start = 0
    cursor = decode_cursor(after)
    if cursor is not None:
        ids = [lead.lead_id for lead in scored]
        if cursor not in ids:
            raise InvalidInput("`after` names no scored lead; the scores may have changed")
        start = ids.index(cursor) + 1
    return build_connection(
        scored[start : start + limit + 1],
        limit,
        len(scored),
        lambda lead: lead.lead_id,
        lead_score_from,
    )


async def forecast(
    info: Info,
    metric: MetricName,
    range: DateRangeInput,
    horizon: int,
    granularity: Granularity = Granularity.MONTH,
    levels: list[float] | None = None,
) -> MetricForecast:
    async with info.context.db() as session:
        result = await forecasts.forecast_metric(
            session,
            metric,
            DateRange(range.start, range.end),
            granularity,
            horizon,
            DEFAULT_LEVELS if levels is None else tuple(levels),
        )
    return forecast_from(result)
