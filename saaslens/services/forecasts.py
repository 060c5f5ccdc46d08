"""Forecasts of a metric's series: read the series, fit in the process pool, cache."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from saaslens.analytics.forecasting import DEFAULT_LEVELS, Forecast, forecast_series
from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.data.state import data_version
from saaslens.errors import InvalidInput
from saaslens.services.cache import cache_for
from saaslens.services.pool import end_reading, in_pool
from saaslens.services.runner import Scope
from saaslens.services.series import MetricName, metric_series

# The seasonal cycle each granularity repeats over: a week of days, a year of the rest.
SEASON_LENGTH = {
    Granularity.DAY: 7,
    Granularity.WEEK: 52,
    Granularity.MONTH: 12,
    Granularity.QUARTER: 4,
    Granularity.YEAR: 1,
}
# pandas period frequencies whose periods start where the store's do (weeks on Monday).
FREQUENCY = {
    Granularity.DAY: "D",
    Granularity.WEEK: "W-SUN",
    Granularity.MONTH: "M",
    Granularity.QUARTER: "Q",
    Granularity.YEAR: "Y",
}


async def metric_history(
    session: AsyncSession, metric: MetricName, range: DateRange, granularity: Granularity
) -> pd.Series:
    """The whole-store series of `metric`, indexed by periods, as forecasts take it."""
    (series,) = await metric_series(session, metric, Scope(range, granularity))
    if any(point.value is None for point in series.points):
        raise InvalidInput(
            f"{metric} is undefined in some periods of the range; forecast a range "
            "where every period has a value"
        )
    index = pd.PeriodIndex([point.start for point in series.points], freq=FREQUENCY[granularity])
    return pd.Series([point.value for point in series.points], index=index, dtype=float)


async def forecast_metric(
    session: AsyncSession,
    metric: MetricName,
    range: DateRange,
    granularity: Granularity,
    horizon: int,
    levels: Sequence[float] = DEFAULT_LEVELS,
) -> Forecast:
    engine: AsyncEngine = session.bind  # type: ignore[assignment]
    cache = cache_for(engine)
    key = (
        "forecast",
        metric,
        range,
        granularity,
        horizon,
        tuple(levels),
        await data_version(session),
    )
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[return-value]
    history = await metric_history(session, metric, range, granularity)
    await end_reading(session)
    forecast = await in_pool(
        forecast_series, history, SEASON_LENGTH[granularity], horizon, tuple(levels)
    )
    cache.put(key, forecast)
    return forecast
