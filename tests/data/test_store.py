"""The storage contract: each test runs against SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from saaslens.data.migrate import current_revision, head_revision
from saaslens.data.models import Customer
from saaslens.data.models.base import Base
from saaslens.data.state import bump_data_version, data_version
from saaslens.errors import InvalidInput
from tests import factories


async def test_migrations_reach_head(engine: AsyncEngine) -> None:
    assert await current_revision(engine) == head_revision()


async def test_migrations_build_what_the_models_describe(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        differences = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )

    assert differences == []


async def test_times_come_back_aware_and_in_utc(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tokyo = timezone(timedelta(hours=9))
    async with sessions() as session:
        await factories.add_all(
            session, factories.customer("c1", datetime(2024, 3, 1, 9, tzinfo=tokyo))
        )

    async with sessions() as session:
        stored = await session.scalar(select(Customer.created_at))

    assert stored == datetime(2024, 3, 1, 0, tzinfo=UTC)
    assert stored is not None
    assert stored.utcoffset() == timedelta(0)


async def test_naive_times_are_refused(sessions: async_sessionmaker[AsyncSession]) -> None:
    row = factories.customer("c1")
    row.created_at = datetime(2024, 1, 1)

    async with sessions() as session:
        session.add(row)
        with pytest.raises(Exception, match="naive"):
            await session.commit()


async def test_json_documents_round_trip(sessions: async_sessionmaker[AsyncSession]) -> None:
    attributes = {"seats": 12, "tags": ["a", "b"], "trial": {"days": 14}}
    async with sessions() as session:
        await factories.add_all(session, factories.customer("c1", attributes=attributes))

    async with sessions() as session:
        assert await session.scalar(select(Customer.attributes)) == attributes


async def test_data_version_advances_in_the_callers_transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        assert await data_version(session) == 0
        assert await bump_data_version(session, "UTC") == 1
        await session.rollback()

    async with sessions() as session:
        assert await data_version(session) == 0
        await bump_data_version(session, "UTC")
        await session.commit()

    async with sessions() as session:
        assert await data_version(session) == 1


async def test_a_changed_reporting_zone_is_refused_once_data_exists(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        await bump_data_version(session, "Europe/Berlin")
        await session.commit()

    async with sessions() as session:
        with pytest.raises(InvalidInput, match="Europe/Berlin"):
            await bump_data_version(session, "UTC")
