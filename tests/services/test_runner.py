"""The shared lifecycle: results are cached by arguments and data version, and the
rows that reach Python are bounded by periods, never by events or changes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from saaslens.analytics.saas_metrics import ChurnFormula
from saaslens.data.engine import create_engine, create_session_factory
from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.data.queries.segments import Breakdown, Dimension
from saaslens.services.cache import ResultCache, cache_for
from saaslens.services.engagement import EngagementQuestion, EngagementRunner, StickinessRunner
from saaslens.services.movements import MovementsRunner
from saaslens.services.runner import Scope
from saaslens.services.saas import SaasMetricsRunner, SaasQuestion
from tests.metrics.book import Book
from tests.metrics.scenario import at, hand_made

Sessions = async_sessionmaker[AsyncSession]
HALF = Scope(DateRange(date(2024, 1, 1), date(2024, 6, 30)), Granularity.MONTH)


@pytest.fixture
def fetched_rows(engine: AsyncEngine) -> Iterator[list[int]]:
    """The number of rows each SELECT handed back to Python, in order."""
    counts: list[int] = []

    def count(_conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            # Both async drivers buffer the whole result on the cursor at execute.
            counts.append(len(cursor._rows))

    event.listen(engine.sync_engine, "after_cursor_execute", count)
    yield counts
    event.remove(engine.sync_engine, "after_cursor_execute", count)


def busy_book(events_per_user: int, prefix: str = "") -> Book:
    """Three customers with 40 subscription changes each, and many events."""
    book = Book()
    for customer in ("a", "b", "c"):
        book.customer(customer, at(2024, 1, 1))
        for step in range(40):
            status = "canceled" if step % 5 == 4 else "active"
            mrr = 0 if status == "canceled" else 1000 + 100 * step
            moment = at(2024, 1, 1) + timedelta(days=4 * step)
            book.change(f"{customer}1", customer, moment, status, mrr)
        for user in range(4):
            for index in range(events_per_user):
                moment = at(2024, 1, 1) + timedelta(hours=7 * index)
                book.event(customer, f"{customer}{user}", moment)
    for row in book.events:
        row["id"] = prefix + row["id"]
    return book


async def run_dashboard(sessions: Sessions) -> None:
    async with sessions() as session:
        await MovementsRunner(HALF).run(session)
        await SaasMetricsRunner(SaasQuestion(HALF, ChurnFormula.DAILY_SUM)).run(session)
        await EngagementRunner(EngagementQuestion(HALF)).run(session)
        await StickinessRunner(EngagementQuestion(HALF)).run(session)


async def test_rows_returned_grow_with_periods_not_with_events_or_changes(
    sessions: Sessions, fetched_rows: list[int]
) -> None:
    book = busy_book(events_per_user=400)
    await book.write(sessions)
    fetched_rows.clear()

    await run_dashboard(sessions)

    # The largest frame is per day: the daily churn history (6 months of LTV
    # look-back before the range) or the activity spans, 3 kinds per day.
    days = (date(2024, 6, 30) - date(2023, 7, 1)).days + 1
    assert (len(book.events), len(book.changes)) == (4800, 120)
    assert max(fetched_rows) <= 3 * days
    assert sum(fetched_rows) < len(book.events) / 4


async def test_twice_the_events_return_no_more_rows(
    sessions: Sessions, fetched_rows: list[int]
) -> None:
    await busy_book(events_per_user=200).write(sessions)
    fetched_rows.clear()
    await run_dashboard(sessions)
    before = list(fetched_rows)
    more = busy_book(events_per_user=200, prefix="again-")
    more.customers.clear()
    more.changes.clear()
    await more.write(sessions)
    fetched_rows.clear()

    await run_dashboard(sessions)

    # Statements of one runner run concurrently, so their order may differ.
    assert sorted(fetched_rows) == sorted(before)


async def test_results_are_cached_until_the_data_version_moves(sessions: Sessions) -> None:
    await hand_made().write(sessions)
    cache = cache_for(sessions.kw["bind"])
    by_plan = Scope(HALF.range, HALF.granularity, breakdown=Breakdown(Dimension.PLAN))

    async with sessions() as session:
        first = await MovementsRunner(HALF).run(session)
        again = await MovementsRunner(HALF).run(session)
        other = await MovementsRunner(by_plan).run(session)
    assert again is first
    assert other is not first
    assert (cache.hits, cache.misses) == (1, 2)

    late = Book()
    late.customer("z", at(2024, 1, 1))
    late.change("z1", "z", at(2024, 6, 1), "active", 100)
    await late.write(sessions)
    async with sessions() as session:
        fresh = await MovementsRunner(HALF).run(session)

    assert fresh.series[0].periods[-1].mrr == first.series[0].periods[-1].mrr + 100
    assert cache.misses == 3


def test_the_cache_forgets_its_least_recently_used_entry() -> None:
    cache = ResultCache(capacity=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)

    assert (cache.get("b"), cache.get("a"), cache.get("c")) == (None, 1, 3)
    assert len(cache) == 2


async def test_many_at_once_ask_for_one_result_and_it_is_computed_once(
    sessions: Sessions, fetched_rows: list[int]
) -> None:
    await hand_made().write(sessions)
    async with sessions() as session:
        alone = await MovementsRunner(HALF).run(session)
    cache_for(sessions.kw["bind"]).clear()
    fetched_rows.clear()

    async def ask() -> object:
        async with sessions() as session:
            return await MovementsRunner(HALF).run(session)

    results = await asyncio.gather(*(ask() for _ in range(12)))

    assert all(result is results[0] for result in results)
    assert results[0] == alone
    # Each asker reads the data version; the movements' statements run once.
    assert len(fetched_rows) == 12 + 1


async def test_more_cold_askers_than_connections_do_not_starve_the_pool(store_url: str) -> None:
    # A small pool and a short wait: askers that each held a connection while
    # waiting for their statements' ones would time out here.
    engine = create_engine(store_url, pool_size=2, max_overflow=0, pool_timeout=5)
    sessions = create_session_factory(engine)
    try:
        await hand_made().write(sessions)
        months = [date(2024, month, 1) for month in range(1, 13)]

        async def ask(start: date) -> object:
            scope = Scope(DateRange(start, date(2024, 12, 31)), Granularity.MONTH)
            async with sessions() as session:
                return await SaasMetricsRunner(SaasQuestion(scope)).run(session)

        results = await asyncio.gather(*(ask(start) for start in months))
    finally:
        await engine.dispose()

    assert [len(result.series[0].periods) for result in results] == list(range(12, 0, -1))


async def test_a_failed_computation_reaches_every_waiter_and_is_not_kept() -> None:
    cache = ResultCache()
    attempts = 0

    async def fail() -> object:
        nonlocal attempts
        attempts += 1
        await asyncio.sleep(0.01)
        raise LookupError("gone")

    outcomes = await asyncio.gather(
        *(cache.once("k", fail) for _ in range(3)), return_exceptions=True
    )
    assert [type(outcome) for outcome in outcomes] == [LookupError] * 3
    assert attempts == 1

    async def succeed() -> object:
        return "found"

    assert await cache.once("k", succeed) == "found"
    assert cache.get("k") == "found"


async def test_an_asker_that_gives_up_leaves_the_others_their_result() -> None:
    cache = ResultCache()
    release = asyncio.Event()

    async def slow() -> object:
        await release.wait()
        return 42

    impatient = asyncio.ensure_future(cache.once("k", slow))
    patient = asyncio.ensure_future(cache.once("k", slow))
    await asyncio.sleep(0)
    impatient.cancel()
    release.set()

    assert await patient == 42
    assert impatient.cancelled()
