"""Revenue retention by paying cohort against daily MRR expanded in pandas."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.data.queries.segments import Breakdown, Dimension
from saaslens.errors import InvalidInput
from saaslens.services.cohorts import (
    RevenueRetention,
    RevenueRetentionQuestion,
    RevenueRetentionRunner,
)
from saaslens.services.runner import Scope
from tests.metrics.book import Book
from tests.metrics.oracle import Oracle, periods_of
from tests.metrics.scenario import generated, hand_made

Sessions = async_sessionmaker[AsyncSession]
FREQ = {Granularity.MONTH: "M", Granularity.WEEK: "W-SUN"}


def expected_revenue(
    book: Book, granularity: str, span: DateRange, periods: int, group_by: str | None = None
) -> dict[tuple[str, pd.Period], list[tuple[int, int]]]:
    """(group, cohort) -> per observed offset, (cohort MRR, paying customers) at period end."""
    ids = {row["id"] for row in book.customers}
    daily = Oracle.of(book).daily_mrr(span.end, ids)
    ends = daily.groupby(periods_of(daily.index, granularity)).last()
    low, high = periods_of(pd.DatetimeIndex([span.start, span.end]), granularity)
    groups = {row["id"]: row.get(group_by) or "" for row in book.customers} if group_by else {}
    members: dict[tuple[str, pd.Period], list[str]] = {}
    for customer in daily.columns:
        paid_days = daily.index[daily[customer] > 0]
        if paid_days.empty:
            continue
        cohort = periods_of(paid_days[:1], granularity)[0]
        if ends.loc[cohort, customer] > 0 and low <= cohort <= high:
            members.setdefault((groups.get(customer, ""), cohort), []).append(customer)
    result = {}
    for (group, cohort), chosen in members.items():
        cells = []
        for offset in range(periods):
            period = cohort + offset
            if period > high:
                break
            values = ends.loc[period, chosen]
            cells.append((int(values.sum()), int((values > 0).sum())))
        result[(group, cohort)] = cells
    return result


def found(
    result: RevenueRetention, freq: str
) -> dict[tuple[str, pd.Period], list[tuple[int, int]]]:
    table = {}
    for series in result.series:
        for row in series.cohorts:
            if not row.customers:
                continue
            cells = []
            for amount, paying in zip(row.mrr, row.paying_retention, strict=True):
                if amount is None or paying is None:
                    break
                cells.append((amount, int(paying.numerator)))
            table[(series.group or "", pd.Period(result.grid.start_date(row.cohort), freq))] = (
                cells
            )
    return table


async def revenue(sessions: Sessions, question: RevenueRetentionQuestion) -> RevenueRetention:
    async with sessions() as session:
        return await RevenueRetentionRunner(question).run(session)


@pytest.mark.parametrize(
    ("book", "span", "granularity"),
    [
        (hand_made(), DateRange(date(2024, 1, 1), date(2024, 6, 30)), Granularity.MONTH),
        (generated(seed=3), DateRange(date(2024, 1, 1), date(2024, 8, 31)), Granularity.MONTH),
        (generated(seed=8), DateRange(date(2024, 1, 1), date(2024, 4, 28)), Granularity.WEEK),
    ],
)
async def test_revenue_retention_matches_daily_mrr(
    sessions: Sessions, book: Book, span: DateRange, granularity: Granularity
) -> None:
    await book.write(sessions)

    result = await revenue(sessions, RevenueRetentionQuestion(Scope(span, granularity), 6))

    expected = expected_revenue(book, granularity.value, span, 6)
    assert len(expected) >= 3
    assert found(result, FREQ[granularity]) == expected
    for row in result.series[0].cohorts:
        for amount, rate in zip(row.mrr, row.net_retention, strict=True):
            if amount is not None and row.starting_mrr:
                assert rate is not None
                assert rate.value == pytest.approx(amount / row.starting_mrr)


async def test_revenue_retention_breaks_down_by_segment(sessions: Sessions) -> None:
    book = generated(seed=3)
    await book.write(sessions)
    span = DateRange(date(2024, 1, 1), date(2024, 8, 31))
    scope = Scope(span, Granularity.MONTH, breakdown=Breakdown(Dimension.SEGMENT))

    result = await revenue(sessions, RevenueRetentionQuestion(scope, 4))

    assert [s.group for s in result.series] == ["enterprise", "smb"]
    assert found(result, "M") == expected_revenue(book, "month", span, 4, "segment")


async def test_daily_cohorts_are_refused(sessions: Sessions) -> None:
    span = DateRange(date(2024, 1, 1), date(2024, 1, 31))
    with pytest.raises(InvalidInput, match="weekly or monthly"):
        await revenue(sessions, RevenueRetentionQuestion(Scope(span, Granularity.DAY)))
