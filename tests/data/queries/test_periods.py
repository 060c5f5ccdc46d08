"""Period keys computed in SQL agree with the calendar, on both stores."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncEngine

from saaslens.data.buckets import day_number
from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.errors import InvalidInput


def calendar_key(day: date, granularity: Granularity) -> int:
    """The key from the calendar itself, not from saaslens's arithmetic."""
    if granularity is Granularity.DAY:
        return day_number(day)
    if granularity is Granularity.WEEK:
        return day_number(day - timedelta(days=day.weekday())) // 7 + 1
    months = day.year * 12 + day.month - 1
    return (
        months // {Granularity.MONTH: 1, Granularity.QUARTER: 3, Granularity.YEAR: 12}[granularity]
    )


async def test_sql_period_keys_follow_the_calendar(engine: AsyncEngine) -> None:
    days = [date(1970, 1, 1) + timedelta(days=offset) for offset in range(0, 40000, 121)]
    days = sorted(
        [*days, date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1), date(2100, 3, 1)]
    )
    # SQLite caps a compound SELECT at 500 terms; 335 days stay under it.
    grid = union_all(*(select(literal(day_number(day)).label("day")) for day in days)).subquery()
    keys = [granularity.sql_key_of_day(grid.c.day) for granularity in Granularity]

    async with engine.connect() as connection:
        rows = (await connection.execute(select(grid.c.day, *keys).order_by(grid.c.day))).all()

    expected = [[calendar_key(day, granularity) for granularity in Granularity] for day in days]
    assert [list(row[1:]) for row in rows] == expected


@pytest.mark.parametrize("granularity", list(Granularity))
def test_a_grid_covers_whole_periods(granularity: Granularity) -> None:
    grid = DateRange(date(2024, 2, 14), date(2024, 11, 3)).grid(granularity)

    assert granularity.key_of_day(grid.first_day) == grid.first
    assert granularity.key_of_day(grid.first_day - 1) == grid.first - 1
    assert granularity.key_of_day(grid.last_day + 1) == grid.last + 1


def test_a_range_must_run_forwards_and_stay_small() -> None:
    with pytest.raises(InvalidInput, match="after its end"):
        DateRange(date(2024, 2, 1), date(2024, 1, 1))
    with pytest.raises(InvalidInput, match="at most 4000"):
        DateRange(date(1990, 1, 1), date(2024, 1, 1)).grid(Granularity.DAY)
