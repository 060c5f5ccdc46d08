"""The scheduler on a real store: runs queued by schedules, pause, catch-up, leader election."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.automation import schedules, scripts
from saaslens.automation.alerting import Alerting
from saaslens.automation.engine import Engine
from saaslens.automation.eventbrokers.postgresql import asyncpg_dsn
from saaslens.automation.scheduler import LEADER_LOCK, Scheduler
from saaslens.automation.schedules import ScheduleKind, ScheduleSpec
from saaslens.automation.scripts import ScriptSettings
from saaslens.config import Settings
from saaslens.data.models import Execution, Schedule

Sessions = async_sessionmaker[AsyncSession]


@asynccontextmanager
async def running_scheduler(
    settings: Settings, sessions: Sessions, check_seconds: float = 0.2
) -> AsyncIterator[Scheduler]:
    """A scheduler queueing into an engine that does not run anything, so runs stay QUEUED."""
    engine = Engine.for_settings(settings, sessions)
    await engine.broker.start()
    alerting = Alerting(sessions, engine, settings.reporting_time_zone)
    scheduler = Scheduler(sessions, engine, alerting, settings.database_url, check_seconds)
    await scheduler.start()
    try:
        yield scheduler
    finally:
        await scheduler.stop()
        await engine.broker.stop()


async def a_script(sessions: Sessions) -> int:
    async with sessions() as session:
        stored = await scripts.create(session, "print('hi')", ScriptSettings(name="tick"), None)
    return stored.script.id


async def scheduled_runs(sessions: Sessions) -> list[datetime]:
    """The fire time of each queued run, in the order they were queued."""
    async with sessions() as session:
        rows = await session.scalars(
            select(Execution).where(Execution.trigger == "schedule").order_by(Execution.id)
        )
        return [
            datetime.fromisoformat(row.snapshot["schedule"]["fire_time"])
            for row in rows
            if row.snapshot is not None
        ]


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Polls, because the runs show up in another process's rows, not as an event here."""
    async with asyncio.timeout(10.0):
        while not await check():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def at_least(sessions: Sessions, count: int) -> None:
    async def enough() -> bool:
        return len(await scheduled_runs(sessions)) >= count

    await eventually(enough)


async def test_an_interval_schedule_queues_a_run_each_second(
    settings: Settings, sessions: Sessions
) -> None:
    script = await a_script(sessions)
    async with running_scheduler(settings, sessions) as scheduler:
        await scheduler.leading.wait()
        async with sessions() as session:
            row = await schedules.create(
                session,
                ScheduleSpec(script, ScheduleKind.INTERVAL, interval_seconds=1),
                datetime.now(UTC),
            )
        await scheduler.sync(row.id)
        await at_least(sessions, 3)

    runs = await scheduled_runs(sessions)
    assert [b - a for a, b in itertools.pairwise(runs)] == [timedelta(seconds=1)] * (len(runs) - 1)
    assert all((run - row.created_at) % timedelta(seconds=1) == timedelta(0) for run in runs)
    async with sessions() as session:
        stored = await session.get(Schedule, row.id)
    assert stored is not None
    assert stored.last_run_at == runs[-1]


async def test_a_paused_schedule_queues_nothing_until_resumed(
    settings: Settings, sessions: Sessions
) -> None:
    script = await a_script(sessions)
    async with running_scheduler(settings, sessions) as scheduler:
        await scheduler.leading.wait()
        async with sessions() as session:
            spec = ScheduleSpec(script, ScheduleKind.INTERVAL, interval_seconds=1)
            row = await schedules.create(session, spec, datetime.now(UTC))
            await schedules.set_paused(session, row.id, True, datetime.now(UTC))
        await scheduler.sync(row.id)
        await asyncio.sleep(1.5)
        assert await scheduled_runs(sessions) == []

        async with sessions() as session:
            await schedules.set_paused(session, row.id, False, datetime.now(UTC))
        await scheduler.sync(row.id)
        await at_least(sessions, 1)


async def a_schedule_down_for_a_day(
    sessions: Sessions, interval: int, ago: timedelta, coalesce: bool = True
) -> Schedule:
    """A schedule whose newest fire time was `ago`, last run a day before that."""
    now = datetime.now(UTC)
    anchor = now - ago - timedelta(days=1)
    async with sessions() as session:
        row = Schedule(
            script_id=await a_script(sessions),
            kind="interval",
            interval_seconds=interval,
            misfire_grace_seconds=300,
            coalesce=coalesce,
            created_at=anchor,
            last_run_at=anchor,
        )
        session.add(row)
        await session.commit()
    return row


async def start_and_stop(settings: Settings, sessions: Sessions) -> None:
    async with running_scheduler(settings, sessions) as scheduler:
        await scheduler.leading.wait()


async def test_after_downtime_one_coalesced_run_catches_up(
    settings: Settings, sessions: Sessions
) -> None:
    # Every minute, the newest due 30 s ago: five runs fall within the 300 s grace.
    row = await a_schedule_down_for_a_day(sessions, 60, timedelta(seconds=30))

    await start_and_stop(settings, sessions)

    newest = row.created_at + timedelta(days=1)
    assert await scheduled_runs(sessions) == [newest]


async def test_without_coalescing_each_run_within_the_grace_catches_up(
    settings: Settings, sessions: Sessions
) -> None:
    row = await a_schedule_down_for_a_day(sessions, 60, timedelta(seconds=30), coalesce=False)

    await start_and_stop(settings, sessions)

    newest = row.created_at + timedelta(days=1)
    assert await scheduled_runs(sessions) == [
        newest - timedelta(minutes=n) for n in range(4, -1, -1)
    ]


async def test_a_run_missed_beyond_the_grace_is_skipped(
    settings: Settings, sessions: Sessions
) -> None:
    await a_schedule_down_for_a_day(sessions, 3600, timedelta(seconds=1000))

    await start_and_stop(settings, sessions)
    await start_and_stop(settings, sessions)

    assert await scheduled_runs(sessions) == []


async def test_a_caught_up_run_is_not_repeated_at_the_next_start(
    settings: Settings, sessions: Sessions
) -> None:
    await a_schedule_down_for_a_day(sessions, 60, timedelta(seconds=30))

    await start_and_stop(settings, sessions)
    await start_and_stop(settings, sessions)

    assert len(await scheduled_runs(sessions)) == 1


async def leader_backend(url: str) -> int:
    """The server process whose connection holds the scheduler's lock."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        pid: int = await connection.fetchval(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted",
            LEADER_LOCK,
        )
        await connection.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await connection.close()
    return pid


@pytest.mark.postgres
async def test_two_schedulers_run_each_fire_time_once_and_a_standby_takes_over(
    postgres_store: str, sessions: Sessions
) -> None:
    settings = Settings(database_url=postgres_store)
    script = await a_script(sessions)
    async with sessions() as session:
        spec = ScheduleSpec(script, ScheduleKind.INTERVAL, interval_seconds=1)
        await schedules.create(session, spec, datetime.now(UTC))
    async with (
        running_scheduler(settings, sessions) as first,
        running_scheduler(settings, sessions) as second,
    ):
        await eventually(lambda: _one_leads(first, second))
        leader, standby = (first, second) if first.is_leader else (second, first)
        await at_least(sessions, 3)

        await leader_backend(postgres_store)
        await standby.leading.wait()
        before = len(await scheduled_runs(sessions))
        await at_least(sessions, before + 3)
        assert not leader.is_leader

    runs = await scheduled_runs(sessions)
    assert len(runs) == len(set(runs))
    assert runs == sorted(runs)


async def _one_leads(first: Scheduler, second: Scheduler) -> bool:
    return first.is_leader != second.is_leader
