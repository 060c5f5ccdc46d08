"""DAU, WAU, MAU, stickiness and active accounts against a day-by-day count in pandas."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.data.queries.segments import Breakdown, Dimension, Segment
from saaslens.errors import InvalidInput
from saaslens.services.engagement import (
    Engagement,
    EngagementQuestion,
    EngagementRunner,
    StickinessRunner,
)
from saaslens.services.runner import Scope
from tests.metrics.book import Book
from tests.metrics.oracle import Oracle, periods_of, wilson
from tests.metrics.scenario import at, generated, hand_made

Sessions = async_sessionmaker[AsyncSession]
SPRING = DateRange(date(2024, 2, 20), date(2024, 4, 10))


async def engagement(sessions: Sessions, question: EngagementQuestion) -> Engagement:
    async with sessions() as session:
        return await EngagementRunner(question).run(session)


async def test_daily_active_users_match_rolling_distinct_counts(sessions: Sessions) -> None:
    book = generated(seed=3)
    await book.write(sessions)

    result = await engagement(sessions, EngagementQuestion(Scope(SPRING, Granularity.DAY)))

    expected = Oracle.of(book).active_users(SPRING.start, SPRING.end)
    (series,) = result.series
    found = [(p.users.dau, p.users.wau, p.users.mau) for p in series.periods]
    assert found == list(expected[["dau", "wau", "mau"]].itertuples(index=False, name=None))
    assert expected["mau"].sum() > 0
    for period, (_, row) in zip(series.periods, expected.iterrows(), strict=True):
        stickiness = period.users.stickiness
        assert (stickiness.numerator, stickiness.denominator) == (row.dau, row.mau)
        if row.mau:
            assert stickiness.value == pytest.approx(row.dau / row.mau)
            lower, upper = wilson(row.dau, row.mau)
            assert (stickiness.lower, stickiness.upper) == (
                pytest.approx(lower),
                pytest.approx(upper),
            )


async def test_weekly_periods_average_dau_and_read_mau_on_the_last_day(
    sessions: Sessions,
) -> None:
    book = generated(seed=3)
    await book.write(sessions)
    weeks = DateRange(date(2024, 2, 19), date(2024, 4, 7))

    result = await engagement(sessions, EngagementQuestion(Scope(weeks, Granularity.WEEK)))

    oracle = Oracle.of(book)
    daily = oracle.active_users(weeks.start, weeks.end)
    by_week = daily.groupby(periods_of(daily.index, "week"))
    accounts = oracle.active_accounts("week")
    (series,) = result.series
    assert len(series.periods) == 7
    for period, (week, days) in zip(series.periods, by_week, strict=True):
        assert period.users.dau == pytest.approx(days["dau"].mean())
        assert (period.users.wau, period.users.mau) == (days["wau"].iloc[-1], days["mau"].iloc[-1])
        assert period.users.stickiness.numerator == days["dau"].sum()
        assert period.active_accounts == accounts.get(week, 0)


async def test_the_stickiness_distribution_counts_users_by_active_days(
    sessions: Sessions,
) -> None:
    book = generated(seed=5)
    await book.write(sessions)
    months = DateRange(date(2024, 1, 1), date(2024, 5, 31))

    async with sessions() as session:
        result = await StickinessRunner(EngagementQuestion(Scope(months, Granularity.MONTH))).run(
            session
        )

    expected = Oracle.of(book).active_day_counts("month")
    (series,) = result.series
    grid = months.grid(Granularity.MONTH)
    assert {
        pd.Period(grid.start_date(key), freq="M"): dict(pairs)
        for key, pairs in series.periods.items()
    } == expected


async def test_event_names_limit_the_count_and_unknown_names_are_refused(
    sessions: Sessions,
) -> None:
    book = Book()
    book.customer("a", at(2024, 1, 1), country="JP")
    book.customer("b", at(2024, 1, 1), country="US")
    book.event("a", "u1", at(2024, 3, 1), "open")
    book.event("a", "u2", at(2024, 3, 1), "share")
    book.event("b", "u3", at(2024, 3, 1), "share")
    await book.write(sessions)
    day = Scope(DateRange(date(2024, 3, 1), date(2024, 3, 1)), Granularity.DAY)

    shares = await engagement(sessions, EngagementQuestion(day, ("share",)))
    japan = await engagement(
        sessions, EngagementQuestion(Scope(day.range, day.granularity, Segment(country="JP")))
    )
    by_country = await engagement(
        sessions,
        EngagementQuestion(
            Scope(day.range, day.granularity, breakdown=Breakdown(Dimension.COUNTRY))
        ),
    )
    with pytest.raises(InvalidInput, match="'shares'"):
        await engagement(sessions, EngagementQuestion(day, ("share", "shares")))

    assert shares.series[0].periods[0].users.dau == 2
    assert japan.series[0].periods[0].users.dau == 2
    assert japan.series[0].periods[0].active_accounts == 1
    assert [(s.group, s.periods[0].users.dau) for s in by_country.series] == [("JP", 2), ("US", 1)]


async def test_plans_group_users_by_their_customers_live_subscriptions(
    sessions: Sessions,
) -> None:
    book = hand_made()
    # a is on pro now (its add-on was cancelled), c on basic, b has cancelled everything.
    for customer in ("a", "b", "c"):
        book.event(customer, f"{customer}-user", at(2024, 7, 1))
    await book.write(sessions)
    day = DateRange(date(2024, 7, 1), date(2024, 7, 1))

    by_plan = await engagement(
        sessions,
        EngagementQuestion(Scope(day, Granularity.DAY, breakdown=Breakdown(Dimension.PLAN))),
    )
    addon = await engagement(
        sessions, EngagementQuestion(Scope(day, Granularity.DAY, Segment(plan="addon")))
    )

    assert [(s.group, s.periods[0].users.dau) for s in by_plan.series] == [
        ("basic", 1),
        ("pro", 1),
    ]
    assert addon.series[0].periods[0].users.dau == 0
