"""Predictions: lead conversion models and scored leads, and metric forecasts."""

from __future__ import annotations

from saaslens.analytics.forecasting import DEFAULT_LEVELS
from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.errors import InvalidInput
from saaslens.schema.connections import Connection, build_connection, decode_cursor, page_size
from saaslens.schema.context import Info
from saaslens.schema.types.metrics import DateRangeInput
from saaslens.schema.types.predictions import (
    CustomerLifetimeValues,
    CustomerValueSort,
    LeadModel,
    LeadScore,
    MetricForecast,
    customer_value_from,
    forecast_from,
    lead_model_from,
    lead_score_from,
    parameters_from,
)
from saaslens.services import forecasts, leads, lifetime_values
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
    start = _after([lead.lead_id for lead in scored], after)
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


async def customer_lifetime_values(
    info: Info,
    range: DateRangeInput,
    horizon_months: int = 12,
    monthly_discount: float = 0.01,
    sort: CustomerValueSort = CustomerValueSort.LIFETIME_VALUE,
    first: int = 20,
    after: str | None = None,
) -> CustomerLifetimeValues:
    limit = page_size(first, info.context.settings)
    async with info.context.db() as session:
        result = await lifetime_values.lifetime_values(
            session, DateRange(range.start, range.end), horizon_months, monthly_discount
        )
    valuation = result.valuation
    customers = valuation.customers.rename_axis("customer_id").reset_index()
    ordered = customers.sort_values(
        [sort.value, "customer_id"], ascending=[False, True], kind="stable"
    ).set_index("customer_id")
    start = _after([str(key) for key in ordered.index], after)
    rows = list(ordered.iloc[start : start + limit + 1].itertuples())
    return CustomerLifetimeValues(
        horizon_months=valuation.horizon_months,
        monthly_discount=valuation.monthly_discount,
        parameters=parameters_from(valuation),
        simple_ltv=result.simple_ltv,
        warnings=list(valuation.warnings),
        customers=build_connection(
            rows, limit, len(ordered), lambda row: str(row.Index), customer_value_from
        ),
    )


def _after(keys: list[str], after: str | None) -> int:
    """Where the page after cursor `after` starts in `keys`."""
    cursor = decode_cursor(after)
    if cursor is None:
        return 0
    if cursor not in keys:
        raise InvalidInput("`after` names no row of this result; the data may have changed")
    return keys.index(cursor) + 1
