"""Runs schedules: APScheduler fires them, the engine queues their executions.

APScheduler keeps its jobs in memory only. The schedules table is the
truth: at start the jobs are built from it, and every change made through
the API, in any process, reaches the leading scheduler as an event through
the broker. After the broker reconnects, the leader rebuilds its jobs.

Runs missed while no process was scheduling (a downtime, a hand-over) are
found at start from each schedule's `last_run_at`: the fire times after it
that are at most the schedule's misfire grace old are caught up, only the
newest of them when the schedule coalesces. Older ones are skipped. While
running, APScheduler applies the same grace and coalescing to late jobs.

On PostgreSQL several processes may serve the API, but only the one holding
a session-level advisory lock schedules. It holds the lock on a connection
of its own and checks that connection every few seconds; the others try to
take the lock as often. If the leader's connection dies, the server frees
the lock, the leader stops scheduling at its next check, and a standby
takes over, catching up as at start. Each run is also claimed by a
conditional update of `last_run_at`, so no fire time runs twice even while
an old leader has not yet noticed it lost the lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

import asyncpg
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.automation import alerts, schedules
from saaslens.automation.alerting import Alerting
from saaslens.automation.engine import Engine
from saaslens.automation.eventbrokers.abc import Resync, TriggerChanged
from saaslens.automation.eventbrokers.postgresql import asyncpg_dsn
from saaslens.automation.exceptions import InvalidParameters, ScriptDisabled, ScriptNotFound
from saaslens.data.engine import finish_then_cancel
from saaslens.data.models import AlertRule, Schedule

logger = logging.getLogger(__name__)

# The advisory lock's key: any fixed number no other part of saaslens uses.
LEADER_LOCK = 0x5AA5_1E25
SCHEDULE = "schedule"
ALERT_RULE = "alert rule"
# A backend terminated in the middle of a query can surface as asyncpg's
# InternalClientError rather than a connection error; either way the lock is gone.
LOST_CONNECTION = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


def _system_now() -> datetime:
    return datetime.now(UTC)


class Scheduler:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        engine: Engine,
        alerting: Alerting,
        database_url: str,
        check_seconds: float = 5.0,
        now: Callable[[], datetime] = _system_now,
        on_lag: Callable[[float], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.engine = engine
        self.alerting = alerting
        self._dsn = asyncpg_dsn(database_url) if database_url.startswith("postgresql") else None
        self._check_seconds = check_seconds
        self._now = now
        self._on_lag = on_lag
        self._aps: AsyncIOScheduler | None = None
        self._lock_connection: Any = None
        self._watch: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._firing: set[asyncio.Task[None]] = set()
        self.leading = asyncio.Event()

    @property
    def is_leader(self) -> bool:
        return self._aps is not None

    async def start(self) -> None:
        """Begin in the background: lead at once on SQLite, or contend on PostgreSQL.

        Like the engine, the scheduler waits for a store that does not answer yet.
        """
        self._watch = asyncio.create_task(self._contend(), name="scheduler leadership")
        self._listener = asyncio.create_task(self._follow_changes(), name="schedule changes")

    async def stop(self) -> None:
        for task in (self._watch, self._listener):
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
        self._step_down()
        await asyncio.gather(*self._firing, return_exceptions=True)
        await self._drop_lock_connection()

    async def sync(self, schedule_id: int) -> None:
        """Tell whichever process leads that the schedule's row changed."""
        await self.engine.broker.publish(TriggerChanged(SCHEDULE, schedule_id))

    async def sync_rule(self, rule_id: int) -> None:
        """Likewise for an alert rule's checks."""
        await self.engine.broker.publish(TriggerChanged(ALERT_RULE, rule_id))

    async def _follow_changes(self) -> None:
        async with self.engine.broker.subscribe() as events:
            async for event in events:
                if self._aps is None:
                    continue
                try:
                    if isinstance(event, TriggerChanged):
                        await finish_then_cancel(self._apply(event))
                    elif isinstance(event, Resync):
                        await finish_then_cancel(self._reload())
                except SQLAlchemyError:
                    # The jobs are rebuilt from the tables at the next Resync or change of leader.
                    logger.exception("the scheduler could not apply %s", event)

    async def _apply(self, change: TriggerChanged) -> None:
        """Make the running scheduler match the row: add, replace or remove its job."""
        async with self.sessions() as session:
            if change.trigger == SCHEDULE:
                row = await session.get(Schedule, change.id)
                self._unload(_schedule_job(change.id))
                if row is not None and not row.paused:
                    self._load(row)
            else:
                rule = await session.get(AlertRule, change.id)
                self._unload(_rule_job(change.id))
                if rule is not None and rule.enabled:
                    self._load_rule(rule)

    async def _reload(self) -> None:
        """Rebuild every job, after changes may have been missed; no runs are caught up."""
        async with self.sessions() as session:
            rows = [row for row in await schedules.listing(session) if not row.paused]
            rules = [rule for rule in await alerts.listing(session) if rule.enabled]
        if self._aps is None:
            return
        self._aps.remove_all_jobs()
        for row in rows:
            self._load(row)
        for rule in rules:
            self._load_rule(rule)

    async def _contend(self) -> None:
        while True:
            try:
                if self._dsn is None:
                    await finish_then_cancel(self._lead())
                    return
                await self._hold_or_take_lock()
            except (*LOST_CONNECTION, SQLAlchemyError) as error:
                logger.warning("the scheduler stands by: %s", error)
                self._step_down()
                await self._drop_lock_connection()
            await asyncio.sleep(self._check_seconds)

    async def _hold_or_take_lock(self) -> None:
        if self._lock_connection is None:
            self._lock_connection = await asyncpg.connect(self._dsn)
        if self.is_leader:
            await self._lock_connection.fetchval("SELECT 1")
        elif await self._lock_connection.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK):
            await finish_then_cancel(self._lead())

    async def _drop_lock_connection(self) -> None:
        """Closing the connection also frees the lock, if it was still held."""
        if self._lock_connection is not None:
            with suppress(*LOST_CONNECTION):
                await self._lock_connection.close()
            self._lock_connection = None

    async def _lead(self) -> None:
        self._aps = AsyncIOScheduler(timezone=UTC)
        self._aps.start()
        async with self.sessions() as session:
            rows = [row for row in await schedules.listing(session) if not row.paused]
            rules = [rule for rule in await alerts.listing(session) if rule.enabled]
        for rule in rules:
            self._load_rule(rule)
        now = self._now()
        for row in rows:
            trigger = self._load(row)
            late = schedules.missed(trigger, row.last_run_at, row.misfire_grace_seconds, now)
            if late:
                self._spawn(row.id, late[-1:] if row.coalesce else late)
        self.leading.set()
        logger.info("scheduling %d schedules", len(rows))

    def _step_down(self) -> None:
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        self.leading.clear()

    def _load(self, row: Schedule) -> BaseTrigger:
        trigger = schedules.trigger_for(schedules.spec_of(row), row.created_at)
        assert self._aps is not None
        self._aps.add_job(
            self._fire,
            trigger,
            args=[row.id, trigger],
            id=_schedule_job(row.id),
            misfire_grace_time=row.misfire_grace_seconds,
            coalesce=row.coalesce,
            replace_existing=True,
        )
        return trigger

    def _load_rule(self, rule: AlertRule) -> None:
        spec = alerts.evaluation_schedule(alerts.spec_of(rule))
        assert self._aps is not None
        # A check judges the data as it is now, so a late one is as good as
        # any and missed ones are not repeated.
        self._aps.add_job(
            self.alerting.check,
            schedules.trigger_for(spec, rule.created_at),
            args=[rule.id],
            id=_rule_job(rule.id),
            misfire_grace_time=None,
            coalesce=True,
            replace_existing=True,
        )

    def _unload(self, job: str) -> None:
        if self._aps is not None and self._aps.get_job(job) is not None:
            self._aps.remove_job(job)

    async def _fire(self, schedule_id: int, trigger: BaseTrigger) -> None:
        """APScheduler's job: run the fire time due now that the schedule has not run yet.

        Coalescing takes the newest of those; otherwise APScheduler calls once
        for each, and each call takes the oldest left.
        """
        async with self.sessions() as session:
            row = await session.get(Schedule, schedule_id)
        if row is None:
            return
        grace = row.misfire_grace_seconds
        due = schedules.missed(trigger, row.last_run_at, grace, self._now())
        if due:
            await self._run(schedule_id, due[-1] if row.coalesce else due[0])

    def _spawn(self, schedule_id: int, fire_times: list[datetime]) -> None:
        task = asyncio.create_task(self._catch_up(schedule_id, fire_times))
        self._firing.add(task)
        task.add_done_callback(self._firing.discard)

    async def _catch_up(self, schedule_id: int, fire_times: list[datetime]) -> None:
        """Missed runs in order, since a run is only claimed after every earlier one."""
        for fire_time in fire_times:
            logger.info("schedule %d catches up on its run due at %s", schedule_id, fire_time)
            await self._run(schedule_id, fire_time)

    async def _run(self, schedule_id: int, fire_time: datetime) -> None:
        async with self.sessions() as session:
            if not await schedules.claim_run(session, schedule_id, fire_time):
                return
            row = await schedules.read(session, schedule_id)
        if self._on_lag is not None:
            self._on_lag(max(0.0, (self._now() - fire_time).total_seconds()))
        snapshot = {"schedule": {"id": schedule_id, "fire_time": fire_time.isoformat()}}
        try:
            await self.engine.submit(row.script_id, row.parameters, snapshot, "schedule")
        except (ScriptNotFound, ScriptDisabled, InvalidParameters) as error:
            logger.warning("schedule %d did not run its script: %s", schedule_id, error)


def _schedule_job(schedule_id: int) -> str:
    return f"schedule {schedule_id}"


def _rule_job(rule_id: int) -> str:
    return f"alert rule {rule_id}"
