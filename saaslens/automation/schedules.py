"""Schedules: when a script runs by itself, as a cron or interval trigger in a time zone.

The rows are the truth; APScheduler only holds a copy (see scheduler.py).
Fire times come from APScheduler's own triggers, so the times shown as
`next run times` are the ones the scheduler will use, daylight saving
changes included. Each schedule remembers the fire time of its newest run;
that is how runs missed while no process was scheduling are found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.automation import scripts
from saaslens.automation.exceptions import InvalidSchedule, ScheduleNotFound
from saaslens.data.models import Schedule

MAX_GRACE_SECONDS = 7 * 24 * 3600


class ScheduleKind(StrEnum):
    CRON = "cron"
    INTERVAL = "interval"


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """Everything a schedule says about when and how its script runs."""

    script_id: int
    kind: ScheduleKind
    cron: str | None = None
    interval_seconds: int | None = None
    time_zone: str = "UTC"
    start_at: datetime | None = None
    end_at: datetime | None = None
    misfire_grace_seconds: int = 300
    coalesce: bool = True
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ScheduleChanges:
    """An update: None leaves a setting as it is."""

    cron: str | None = None
    interval_seconds: int | None = None
    time_zone: str | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    misfire_grace_seconds: int | None = None
    coalesce: bool | None = None
    parameters: Mapping[str, Any] | None = None

    def applied_to(self, spec: ScheduleSpec) -> ScheduleSpec:
        given = {
            item.name: getattr(self, item.name)
            for item in fields(self)
            if getattr(self, item.name) is not None
        }
        return replace(spec, **given)


def spec_of(row: Schedule) -> ScheduleSpec:
    return ScheduleSpec(
        script_id=row.script_id,
        kind=ScheduleKind(row.kind),
        cron=row.cron,
        interval_seconds=row.interval_seconds,
        time_zone=row.time_zone,
        start_at=row.start_at,
        end_at=row.end_at,
        misfire_grace_seconds=row.misfire_grace_seconds,
        coalesce=row.coalesce,
        parameters=dict(row.parameters),
    )


def trigger_for(spec: ScheduleSpec, anchor: datetime) -> BaseTrigger:
    """APScheduler's trigger for the spec; intervals count from `anchor` unless a start is set.

    Anchoring intervals to a fixed instant (the schedule's creation) keeps
    their fire times the same across restarts.
    """
    zone = _zone(spec.time_zone)
    if spec.start_at and spec.end_at and spec.end_at <= spec.start_at:
        raise InvalidSchedule("the schedule must end after it starts")
    if spec.kind is ScheduleKind.CRON:
        return _cron_trigger(spec, zone)
    if not spec.interval_seconds or spec.interval_seconds < 1:
        raise InvalidSchedule("an interval schedule needs a whole number of seconds, 1 or more")
    return IntervalTrigger(
        seconds=spec.interval_seconds,
        start_date=spec.start_at or anchor,
        end_date=spec.end_at,
        timezone=zone,
    )


class WallClockCronTrigger(CronTrigger):  # type: ignore[misc]
    """A cron trigger that runs a set hour once on the night clocks go back.

    APScheduler's trigger, given a zoneinfo zone, matches a repeated wall
    time twice: "30 2 * * *" in Europe/Berlin would run at 02:30 summer time
    and again at 02:30 winter time. Like cron, we run fixed hours once, at
    the first of the two; a wildcard hour still runs in each real hour. A
    wall time skipped in spring runs once, an hour later by the clock.
    """

    def __init__(self, wildcard_hour: bool, **fields: Any) -> None:
        super().__init__(**fields)
        self._wildcard_hour = wildcard_hour

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        fire: datetime | None = super().get_next_fire_time(previous_fire_time, now)
        while fire is not None and not self._wildcard_hour and _repeated(fire):
            fire = super().get_next_fire_time(fire, fire)
        return fire


def _repeated(moment: datetime) -> bool:
    """Whether the wall clock showed this time once already, an hour or so before."""
    local = moment.astimezone(moment.tzinfo)
    return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()


def _cron_trigger(spec: ScheduleSpec, zone: ZoneInfo) -> CronTrigger:
    parts = (spec.cron or "").split()
    if len(parts) != 5:
        raise InvalidSchedule("a cron expression has five fields: minute hour day month weekday")
    minute, hour, day, month, weekday = parts
    if any(character.isdigit() for character in weekday):
        # APScheduler numbers weekdays from Monday and crontab from Sunday;
        # names mean the same to both.
        raise InvalidSchedule("name the weekdays (mon-sun) rather than number them")
    try:
        return WallClockCronTrigger(
            wildcard_hour=hour == "*",
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=weekday,
            start_date=spec.start_at,
            end_date=spec.end_at,
            timezone=zone,
        )
    except ValueError as error:
        raise InvalidSchedule(f"{spec.cron!r} is not a cron expression: {error}") from None


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSchedule(f"{name!r} is not an IANA time zone") from None


def following(trigger: BaseTrigger, after: datetime, count: int) -> list[datetime]:
    """The next `count` fire times at or after `after`, in UTC; fewer if the trigger ends."""
    times: list[datetime] = []
    fire = trigger.get_next_fire_time(None, after)
    while fire is not None and len(times) < count:
        times.append(fire.astimezone(UTC))
        fire = trigger.get_next_fire_time(fire, fire)
    return times


def missed(
    trigger: BaseTrigger, since: datetime | None, grace: int, now: datetime
) -> list[datetime]:
    """Fire times after `since` that are no later than now and at most `grace` seconds old.

    Only the grace window is searched: older runs are not caught up on, so a
    frequent trigger after a long downtime costs no more than a short one.
    """
    start = now - timedelta(seconds=grace)
    if since is not None and since >= start:
        start = since + timedelta(microseconds=1)
    times: list[datetime] = []
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire <= now:
        times.append(fire.astimezone(UTC))
        fire = trigger.get_next_fire_time(fire, fire)
    return times


def _check(spec: ScheduleSpec, now: datetime) -> None:
    trigger_for(spec, now)
    if not 1 <= spec.misfire_grace_seconds <= MAX_GRACE_SECONDS:
        raise InvalidSchedule(f"the misfire grace must be 1 to {MAX_GRACE_SECONDS} seconds")


async def create(session: AsyncSession, spec: ScheduleSpec, now: datetime) -> Schedule:
    _check(spec, now)
    await scripts.read(session, spec.script_id)
    row = Schedule(
        script_id=spec.script_id,
        kind=spec.kind.value,
        cron=spec.cron if spec.kind is ScheduleKind.CRON else None,
        interval_seconds=spec.interval_seconds if spec.kind is ScheduleKind.INTERVAL else None,
        time_zone=spec.time_zone,
        start_at=spec.start_at,
        end_at=spec.end_at,
        misfire_grace_seconds=spec.misfire_grace_seconds,
        coalesce=spec.coalesce,
        parameters=dict(spec.parameters),
        created_at=now,
        # A new schedule owes no runs from before it existed.
        last_run_at=now,
    )
    session.add(row)
    await session.commit()
    return row


async def read(session: AsyncSession, schedule_id: int) -> Schedule:
    row = await session.get(Schedule, schedule_id)
    if row is None:
        raise ScheduleNotFound(f"no schedule has id {schedule_id}")
    return row


async def listing(session: AsyncSession, script_id: int | None = None) -> list[Schedule]:
    query = select(Schedule).order_by(Schedule.id)
    if script_id is not None:
        query = query.where(Schedule.script_id == script_id)
    return list((await session.scalars(query)).all())


async def change(
    session: AsyncSession, schedule_id: int, changes: ScheduleChanges, now: datetime
) -> Schedule:
    row = await read(session, schedule_id)
    spec = changes.applied_to(spec_of(row))
    _check(spec, now)
    row.cron = spec.cron
    row.interval_seconds = spec.interval_seconds
    row.time_zone = spec.time_zone
    row.start_at = spec.start_at
    row.end_at = spec.end_at
    row.misfire_grace_seconds = spec.misfire_grace_seconds
    row.coalesce = spec.coalesce
    row.parameters = dict(spec.parameters)
    await session.commit()
    return row


async def set_paused(
    session: AsyncSession, schedule_id: int, paused: bool, now: datetime
) -> Schedule:
    """Pause or resume; a resumed schedule owes no runs from while it was paused."""
    row = await read(session, schedule_id)
    if row.paused and not paused:
        row.last_run_at = now
    row.paused = paused
    await session.commit()
    return row


async def delete(session: AsyncSession, schedule_id: int) -> Schedule:
    row = await read(session, schedule_id)
    await session.delete(row)
    await session.commit()
    return row


async def claim_run(session: AsyncSession, schedule_id: int, fire_time: datetime) -> bool:
    """Record a run at `fire_time`; False if that run (or a later one) was already made.

    The conditional update is atomic, so even two processes that both
    believe they schedule cannot run the same fire time twice.
    """
    claimed = await session.execute(
        update(Schedule)
        .where(Schedule.id == schedule_id)
        .where((Schedule.last_run_at.is_(None)) | (Schedule.last_run_at < fire_time))
        .values(last_run_at=fire_time)
    )
    await session.commit()
    return bool(claimed.rowcount)  # type: ignore[attr-defined]
