"""Funnels against a member-by-member walk over the events in pandas."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from statistics import median

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.data.queries.funnels import FunnelSteps
from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.data.queries.retention import Unit
from saaslens.data.queries.segments import Breakdown, Dimension
from saaslens.errors import InvalidInput
from saaslens.services.cohorts import Funnel, FunnelQuestion, FunnelRunner
from saaslens.services.runner import Scope
from tests.cohorts.funnel_oracle import expected_funnel
from tests.cohorts.scenario import busy_book, utc
from tests.metrics.book import Book
from tests.metrics.oracle import wilson

Sessions = async_sessionmaker[AsyncSession]
SPRING = DateRange(date(2024, 2, 1), date(2024, 5, 31))


async def funnel(
    sessions: Sessions, range: DateRange, steps: FunnelSteps, **scope: object
) -> Funnel:
    question = FunnelQuestion(Scope(range, Granularity.DAY, **scope), steps)  # type: ignore[arg-type]
    async with sessions() as session:
        return await FunnelRunner(question).run(session)


def assert_matches(result: Funnel, expected: dict[str, list[list[datetime]]]) -> None:
    assert sorted(s.group or "" for s in result.series) == sorted(expected) or not expected
    for series in result.series:
        paths = expected.get(series.group or "", [])
        entered = len(paths)
        before = entered
        for number, step in enumerate(series.steps):
            reaching = [path for path in paths if len(path) > number]
            assert step.members == len(reaching)
            assert (step.overall.numerator, step.overall.denominator) == (len(reaching), entered)
            assert step.from_previous.denominator == before
            if before:
                lower, upper = wilson(len(reaching), before)
                assert step.from_previous.lower == pytest.approx(lower)
                assert step.from_previous.upper == pytest.approx(upper)
            if number and reaching:
                waits = [(p[number] - p[number - 1]).total_seconds() for p in reaching]
                assert step.median_seconds_from_previous == pytest.approx(median(waits), abs=1e-3)
            before = len(reaching)


@pytest.mark.parametrize(
    "steps",
    [
        FunnelSteps(("open", "share")),
        FunnelSteps(("open", "share"), window_days=3, strict=True),
        FunnelSteps(("share", "open", "export"), window_days=30, unit=Unit.USER),
        FunnelSteps(("share", "open", "export"), window_days=30, strict=True),
    ],
)
async def test_funnels_match_pandas(sessions: Sessions, steps: FunnelSteps) -> None:
    book = busy_book(seed=4)
    add_exports(book)
    await book.write(sessions)

    result = await funnel(sessions, SPRING, steps)

    expected = expected_funnel(
        book,
        steps.steps,
        SPRING.start,
        SPRING.end,
        steps.window_days,
        steps.strict,
        steps.unit.value,
    )
    assert len(expected[""]) > 5
    assert any(len(path) > 1 for path in expected[""])
    assert_matches(result, expected)


async def test_a_funnel_breaks_down_by_country(sessions: Sessions) -> None:
    book = busy_book(seed=4)
    await book.write(sessions)
    steps = FunnelSteps(("open", "share"))

    result = await funnel(sessions, SPRING, steps, breakdown=Breakdown(Dimension.COUNTRY))

    expected = expected_funnel(book, steps.steps, SPRING.start, SPRING.end, group_by="country")
    assert [s.group for s in result.series] == ["DE", "US"]
    assert_matches(result, expected)


async def test_hand_made_windows_order_and_boundaries(sessions: Sessions) -> None:
    book = Book(zone="Asia/Tokyo")
    book.customer("a", utc(2024, 1, 1, 0))
    book.customer("b", utc(2024, 1, 1, 0))
    book.customer("c", utc(2024, 1, 1, 0))
    # a enters on 1 March in Tokyo (29 February, 20:00 UTC) and shares exactly 14 days later.
    book.event("a", "ua", utc(2024, 2, 29, 20), "open")
    book.event("a", "ua", utc(2024, 3, 14, 20), "share")
    # b shares 14 days and a minute later: outside the window.
    book.event("b", "ub", utc(2024, 3, 2, 10), "open")
    book.event("b", "ub", utc(2024, 3, 16, 10, 1), "share")
    # c opens again before sharing: converts in sequence, not in strict order.
    book.event("c", "uc", utc(2024, 3, 3, 10), "open")
    book.event("c", "uc", utc(2024, 3, 3, 11), "open")
    book.event("c", "uc", utc(2024, 3, 3, 12), "share")
    await book.write(sessions)
    march = DateRange(date(2024, 3, 1), date(2024, 3, 31))

    loose = await funnel(sessions, march, FunnelSteps(("open", "share")))
    strict = await funnel(sessions, march, FunnelSteps(("open", "share"), strict=True))
    february = await funnel(
        sessions, DateRange(date(2024, 2, 1), date(2024, 2, 29)), FunnelSteps(("open", "share"))
    )

    entered, shared = loose.series[0].steps
    assert (entered.members, shared.members) == (3, 2)
    assert shared.median_seconds_from_previous == median(
        [timedelta(days=14).total_seconds(), 7200.0]
    )
    assert strict.series[0].steps[1].members == 1
    assert february.series[0].steps[0].members == 0


async def test_bad_funnels_are_refused(sessions: Sessions) -> None:
    book = busy_book(seed=4)
    await book.write(sessions)

    with pytest.raises(InvalidInput, match="'nope'"):
        await funnel(sessions, SPRING, FunnelSteps(("open", "nope")))
    with pytest.raises(InvalidInput, match="2 to"):
        await funnel(sessions, SPRING, FunnelSteps(("open",)))
    with pytest.raises(InvalidInput, match="different"):
        await funnel(sessions, SPRING, FunnelSteps(("open", "open")))
    with pytest.raises(InvalidInput, match="window"):
        await funnel(sessions, SPRING, FunnelSteps(("open", "share"), window_days=0))


def add_exports(book: Book) -> None:
    """A third event name, shortly after some shares."""
    for index, event in enumerate(list(book.events)):
        if event["name"] == "share" and index % 2 == 0:
            book.event(
                event["customer_id"],
                event["user_id"],
                event["occurred_at"] + timedelta(hours=index % 50),
                "export",
            )
