"""A statistic on stored data is computed once per data version, not once per request."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.analytics.statistics import descriptive
from saaslens.services.attributes import AttributeQuestion, Entity, attribute_values
from saaslens.services.cache import cache_for
from saaslens.services.statistics import kept
from tests.metrics.book import Book
from tests.metrics.scenario import at, hand_made

Sessions = async_sessionmaker[AsyncSession]
MRR = AttributeQuestion(Entity.CUSTOMER, "mrr", as_of=date(2024, 6, 30))


async def test_a_statistic_is_kept_until_the_data_version_moves(sessions: Sessions) -> None:
    await hand_made().write(sessions)
    computed: list[int] = []

    async def describe() -> descriptive.Description:
        async with sessions() as session:
            values = await attribute_values(session, MRR)
        computed.append(len(values))
        return descriptive.describe(values)

    async def ask() -> descriptive.Description:
        async with sessions() as session:
            return await kept(session, ("describe", MRR), describe)

    first, again = await ask(), await ask()
    late = Book()
    late.customer("z", at(2024, 1, 1))
    late.change("z1", "z", at(2024, 6, 1), "active", 100)
    await late.write(sessions)
    fresh = await ask()

    assert again is first
    assert computed == [first.n, first.n + 1]
    assert fresh.n == first.n + 1
    assert cache_for(sessions.kw["bind"]).hits >= 1


async def test_values_the_client_sends_are_not_kept(sessions: Sessions) -> None:
    computed: list[str] = []

    async def count() -> str:
        computed.append("once more")
        return "done"

    async with sessions() as session:
        for _ in range(3):
            assert await kept(session, None, count) == "done"

    assert len(computed) == 3
    assert len(cache_for(sessions.kw["bind"])) == 0
