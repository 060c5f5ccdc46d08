"""Event brokers: in-process and through PostgreSQL, and watchers catching up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.automation import executions, scripts
from saaslens.automation.eventbrokers import broker_for
from saaslens.automation.eventbrokers.abc import (
    Event,
    EventBroker,
    OutputAppended,
    Resync,
    Subscription,
)
from saaslens.automation.eventbrokers.base import BACKLOG
from saaslens.automation.eventbrokers.local import LocalEventBroker
from saaslens.automation.eventbrokers.postgresql import asyncpg_dsn
from saaslens.automation.executions import LogLine
from saaslens.automation.scripts import ScriptSettings
from saaslens.automation.updates import Output, StateChange, follow


@pytest.fixture
async def broker(store_url: str) -> AsyncIterator[EventBroker]:
    broker = broker_for(store_url)
    await broker.start()
    yield broker
    await broker.stop()


async def listening(broker: EventBroker, events: Subscription) -> None:
    """Wait until events published now will arrive; PostgreSQL says so with a Resync."""
    if not isinstance(broker, LocalEventBroker):
        async with asyncio.timeout(10):
            assert isinstance(await anext(events), Resync)


async def received(events: Subscription, count: int) -> list[Event]:
    async with asyncio.timeout(10):
        return [await anext(events) for _ in range(count)]


async def test_every_subscriber_gets_every_event_in_order(broker: EventBroker) -> None:
    sent = [OutputAppended(7, number) for number in range(1, 201)]

    async with broker.subscribe() as first, broker.subscribe() as second:
        await listening(broker, first)
        await listening(broker, second)
        for event in sent:
            await broker.publish(event)
        assert await received(first, len(sent)) == sent
        assert await received(second, len(sent)) == sent


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
async def test_a_lost_listener_reconnects_and_its_subscribers_resync(
    broker: EventBroker, store_url: str
) -> None:
    async with broker.subscribe() as events:
        await listening(broker, events)
        connection = await asyncpg.connect(asyncpg_dsn(store_url))
        try:
            ended = await connection.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND query LIKE 'LISTEN%'"
            )
        finally:
            await connection.close()

        assert ended == 1
        assert await received(events, 1) == [Resync()]
        await broker.publish(OutputAppended(1, 1))
        assert await received(events, 1) == [OutputAppended(1, 1)]


async def test_a_subscriber_too_far_behind_is_told_to_resync() -> None:
    broker = LocalEventBroker()

    async with broker.subscribe() as events:
        for number in range(BACKLOG + 3):
            await broker.publish(OutputAppended(1, number))

        assert await received(events, 3) == [
            Resync(),
            OutputAppended(1, BACKLOG + 1),
            OutputAppended(1, BACKLOG + 2),
        ]


async def test_a_watcher_catches_up_on_what_it_missed_after_a_resync(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    broker = LocalEventBroker()
    async with sessions() as session:
        stored = await scripts.create(session, "print(1)\n", ScriptSettings(name="quiet"))
        execution = await executions.enqueue(session, stored, {}, None, "manual", None)
    watcher = follow(sessions, broker, execution.id)
    assert isinstance(await anext(watcher), StateChange)

    async with sessions() as session:
        await executions.claim(session, "elsewhere:1", 1)
        lines = [LogLine("stdout", f"missed {number}", execution.queued_at) for number in (1, 2)]
        await executions.append_output(session, execution.id, 1, lines, False)
    await broker.publish(Resync())
    output, state = await anext(watcher), await anext(watcher)
    await watcher.aclose()

    assert isinstance(output, Output)
    assert [line.line for line in output.lines] == ["missed 1", "missed 2"]
    assert isinstance(state, StateChange)
    assert state.state == "RUNNING"
