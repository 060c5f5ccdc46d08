"""Lifecycle statuses against each member's active periods in pandas."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.data.queries.retention import Unit
from saaslens.data.queries.segments import Breakdown, Dimension
from saaslens.errors import InvalidInput
from saaslens.services.cohorts import Lifecycle, LifecycleQuestion, LifecycleRunner
from saaslens.services.runner import Scope
from tests.cohorts.lifecycle_oracle import expected_lifecycle
from tests.cohorts.scenario import busy_book, new_york

Sessions = async_sessionmaker[AsyncSession]
FREQ = {Granularity.MONTH: "M", Granularity.WEEK: "W-SUN"}


async def lifecycle(sessions: Sessions, question: LifecycleQuestion) -> Lifecycle:
    async with sessions() as session:
        return await LifecycleRunner(question).run(session)


def found(result: Lifecycle, freq: str) -> dict[tuple[str, pd.Period], tuple[int, int, int, int]]:
    return {
        (series.group or "", pd.Period(result.grid.start_date(row.period), freq)): (
            row.new,
            row.returning,
            row.resurrecting,
            row.dormant,
        )
        for series in result.series
        for row in series.periods
    }


@pytest.mark.parametrize(
    ("granularity", "unit", "names", "group_by"),
    [
        (Granularity.MONTH, Unit.CUSTOMER, (), None),
        (Granularity.WEEK, Unit.USER, (), None),
        (Granularity.WEEK, Unit.CUSTOMER, ("share",), "segment"),
        (Granularity.MONTH, Unit.USER, ("share",), "segment"),
    ],
)
async def test_lifecycle_matches_pandas(
    sessions: Sessions,
    granularity: Granularity,
    unit: Unit,
    names: tuple[str, ...],
    group_by: str | None,
) -> None:
    book = busy_book(seed=9)
    await book.write(sessions)
    span = DateRange(date(2024, 2, 1), date(2024, 6, 30))
    if granularity is Granularity.WEEK:
        span = DateRange(date(2024, 2, 5), date(2024, 5, 26))
    breakdown = None if group_by is None else Breakdown(Dimension(group_by))

    result = await lifecycle(
        sessions, LifecycleQuestion(Scope(span, granularity, breakdown=breakdown), unit, names)
    )

    expected = expected_lifecycle(
        book, granularity.value, span.start, span.end, unit.value, set(names), group_by
    )
    assert found(result, FREQ[granularity]) == expected
    # Every status occurs somewhere, so each rule was exercised.
    assert all(any(counts[status] for counts in expected.values()) for status in range(4))


async def test_hand_made_lifecycle_in_new_york_time(sessions: Sessions) -> None:
    await new_york().write(sessions)
    spring = Scope(DateRange(date(2024, 1, 1), date(2024, 5, 31)), Granularity.MONTH)

    result = await lifecycle(sessions, LifecycleQuestion(spring))

    # once: new in January, dormant in February. late: new in February (its first
    # event, late on 29 February in New York, not its January signup), dormant in
    # March, resurrecting in April, dormant in May. feb: new in March, dormant in April.
    rows = [(p.new, p.returning, p.resurrecting, p.dormant) for p in result.series[0].periods]
    assert rows == [(1, 0, 0, 0), (1, 0, 0, -1), (1, 0, 0, -1), (0, 0, 1, -1), (0, 0, 0, -1)]


async def test_an_unknown_event_is_refused(sessions: Sessions) -> None:
    await new_york().write(sessions)
    spring = Scope(DateRange(date(2024, 1, 1), date(2024, 5, 31)), Granularity.MONTH)

    with pytest.raises(InvalidInput, match="'nope'"):
        await lifecycle(sessions, LifecycleQuestion(spring, events=("nope",)))
