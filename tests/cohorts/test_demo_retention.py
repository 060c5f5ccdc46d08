"""Retention on the demo generator's simulated business, against pandas."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.config import load_settings
from saaslens.data.demo import Scenario, simulate
from saaslens.data.demo.loading import write
from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.data.queries.retention import Cohorting, CohortStart
from saaslens.services.cohorts import RetentionQuestion, RetentionRunner
from saaslens.services.runner import Scope
from tests.cohorts.retention_oracle import expected_retention
from tests.cohorts.test_retention import assert_matches
from tests.metrics.book import Book

Sessions = async_sessionmaker[AsyncSession]
SCENARIO = Scenario(customers=200, seed=5, end=date(2025, 1, 1), months=8, events_per_user=2)
MONTHS = DateRange(date(2024, 6, 1), date(2024, 12, 31))


async def demo_book(sessions: Sessions) -> Book:
    """The stored demo records, read back raw, as the pandas side's book."""
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    await write(
        simulate(SCENARIO),
        sessions,
        load_settings(database_url=url),
        batch_size=5000,
        progress=lambda *_: None,
    )
    queries = {
        "customers": "SELECT id, created_at, country, segment FROM customers",
        "payments": "SELECT customer_id, kind, amount, occurred_at FROM payments",
        "events": "SELECT customer_id, user_id, name, occurred_at FROM events",
    }
    frames: dict[str, list[dict[str, object]]] = {}
    async with sessions() as session:
        for name, query in queries.items():
            result = await session.execute(text(query))
            frames[name] = [dict(row) for row in result.mappings()]
    return Book(
        customers=frames["customers"], payments=frames["payments"], events=frames["events"]
    )


async def test_demo_retention_by_signup_and_first_payment_matches_pandas(
    sessions: Sessions,
) -> None:
    book = await demo_book(sessions)
    assert len(book.customers) >= 150

    for start, on_or_after in ((CohortStart.SIGNUP, False), (CohortStart.FIRST_PAYMENT, True)):
        question = RetentionQuestion(
            Scope(MONTHS, Granularity.MONTH), Cohorting(start), 6, on_or_after
        )
        async with sessions() as session:
            result = await RetentionRunner(question).run(session)
        expected = expected_retention(
            book, "month", MONTHS.start, MONTHS.end, 6, start=start.value, on_or_after=on_or_after
        )
        assert_matches(result, expected, "M")
        assert sum(row.members for row in result.series[0].curve.cohorts) == sum(
            expected.sizes.values()
        )
