"""Customer lifetime values: purchase days from SQL, both models fitted in the pool."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

import pandas as pd
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from saaslens.analytics.lifetime_value import CustomerValuation, purchase_summary, value_customers
from saaslens.data.buckets import date_of_day
from saaslens.data.queries.frames import fetch_frame
from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.data.queries.purchases import purchase_days
from saaslens.data.state import data_version
from saaslens.services.cache import cache_for
from saaslens.services.pool import end_reading, in_pool
from saaslens.services.runner import Scope
from saaslens.services.series import MetricName, metric_series

# Weeks keep the models' rates near one, which suits their optimiser.
UNIT_DAYS = 7.0


@dataclass(frozen=True)
class LifetimeValues:
    valuation: CustomerValuation
    simple_ltv: float | None


async def purchase_history(session: AsyncSession, range: DateRange) -> pd.DataFrame:
    """The summary (frequency, recency, age, monetary value) of each purchasing customer.

    A local day stands for its purchases as that day's midnight in UTC, so the
    summary counts the reporting zone's days, as every other metric does.
    """
    days = await fetch_frame(session, purchase_days(range))
    purchases = pd.DataFrame(
        {
            "customer_id": days["customer_id"],
            "occurred_at": pd.to_datetime([date_of_day(int(d)) for d in days["day"]], utc=True),
            "amount": days["amount"].astype(float),
        }
    )
    return purchase_summary(purchases, observed_until(range), UNIT_DAYS)


def observed_until(range: DateRange) -> datetime:
    return datetime.combine(range.end, time(), tzinfo=UTC)


async def lifetime_values(
    session: AsyncSession, range: DateRange, horizon_months: int, monthly_discount: float
) -> LifetimeValues:
    engine: AsyncEngine = session.bind  # type: ignore[assignment]
    cache = cache_for(engine)
    key = ("lifetime_values", range, horizon_months, monthly_discount, await data_version(session))
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[return-value]
    summary = await purchase_history(session, range)
    await end_reading(session)
    valuation = await in_pool(
        value_customers, summary, horizon_months, monthly_discount, UNIT_DAYS
    )
    result = LifetimeValues(valuation, await _simple_ltv(session, range))
    cache.put(key, result)
    return result


async def _simple_ltv(session: AsyncSession, range: DateRange) -> float | None:
    """The metrics' LTV (ARPA over churn) in the range's last month."""
    last_month = DateRange(range.end.replace(day=1), range.end)
    (series,) = await metric_series(session, MetricName.LTV, Scope(last_month, Granularity.MONTH))
    return series.points[-1].value
