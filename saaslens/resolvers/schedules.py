"""Schedules: store the change, then bring the running scheduler in line with it."""

from __future__ import annotations

from datetime import datetime

import strawberry

from saaslens.automation import exceptions as problems
from saaslens.automation import schedules
from saaslens.automation.schedules import ScheduleChanges, ScheduleKind, ScheduleSpec
from saaslens.data import models
from saaslens.resolvers.arguments import json_object, stored_id
from saaslens.schema.context import Info
from saaslens.schema.types.automation import ScriptNotFound
from saaslens.schema.types.schedules import (
    CreateScheduleInput,
    CreateScheduleResult,
    Schedule,
    ScheduleChangeResult,
    ScheduleInvalid,
    ScheduleNotFound,
    UpdateScheduleInput,
    UpdateScheduleResult,
    schedule_from,
)

SHOWN_RUN_TIMES = 5


def _shown(row: models.Schedule, now: datetime) -> Schedule:
    upcoming: list[datetime] = []
    if not row.paused:
        trigger = schedules.trigger_for(schedules.spec_of(row), row.created_at)
        upcoming = schedules.following(trigger, now, SHOWN_RUN_TIMES)
    return schedule_from(row, upcoming)


async def list_schedules(info: Info, script_id: strawberry.ID | None = None) -> list[Schedule]:
    script = stored_id(script_id) if script_id is not None else None
    async with info.context.db() as session:
        rows = await schedules.listing(session, script)
    now = info.context.clock()
    return [_shown(row, now) for row in rows]


async def schedule(info: Info, id: strawberry.ID) -> Schedule:
    async with info.context.db() as session:
        row = await schedules.read(session, stored_id(id))
    return _shown(row, info.context.clock())


async def create_schedule(info: Info, input: CreateScheduleInput) -> CreateScheduleResult:
    spec = ScheduleSpec(
        script_id=stored_id(input.script_id),
        kind=ScheduleKind(input.kind.value),
        cron=input.cron,
        interval_seconds=input.interval_seconds,
        time_zone=input.time_zone,
        start_at=input.start_at,
        end_at=input.end_at,
        misfire_grace_seconds=input.misfire_grace_seconds,
        coalesce=input.coalesce,
        parameters=json_object(input.parameters, "parameters") or {},
    )
    try:
        async with info.context.db() as session:
            row = await schedules.create(session, spec, info.context.clock())
    except problems.InvalidSchedule as error:
        return ScheduleInvalid(message=error.message)
    except problems.ScriptNotFound as error:
        return ScriptNotFound(message=error.message)
    await info.context.scheduler.sync(row.id)
    return _shown(row, info.context.clock())


async def update_schedule(
    info: Info, id: strawberry.ID, input: UpdateScheduleInput
) -> UpdateScheduleResult:
    changes = ScheduleChanges(
        cron=input.cron,
        interval_seconds=input.interval_seconds,
        time_zone=input.time_zone,
        start_at=input.start_at,
        end_at=input.end_at,
        misfire_grace_seconds=input.misfire_grace_seconds,
        coalesce=input.coalesce,
        parameters=json_object(input.parameters, "parameters"),
    )
    try:
        async with info.context.db() as session:
            row = await schedules.change(session, stored_id(id), changes, info.context.clock())
    except problems.InvalidSchedule as error:
        return ScheduleInvalid(message=error.message)
    except problems.ScheduleNotFound as error:
        return ScheduleNotFound(message=error.message)
    await info.context.scheduler.sync(row.id)
    return _shown(row, info.context.clock())


async def _set_paused(info: Info, id: strawberry.ID, paused: bool) -> ScheduleChangeResult:
    try:
        async with info.context.db() as session:
            row = await schedules.set_paused(session, stored_id(id), paused, info.context.clock())
    except problems.ScheduleNotFound as error:
        return ScheduleNotFound(message=error.message)
    await info.context.scheduler.sync(row.id)
    return _shown(row, info.context.clock())


async def pause_schedule(info: Info, id: strawberry.ID) -> ScheduleChangeResult:
    return await _set_paused(info, id, True)


async def resume_schedule(info: Info, id: strawberry.ID) -> ScheduleChangeResult:
    return await _set_paused(info, id, False)


async def delete_schedule(info: Info, id: strawberry.ID) -> ScheduleChangeResult:
    try:
        async with info.context.db() as session:
            row = await schedules.delete(session, stored_id(id))
    except problems.ScheduleNotFound as error:
        return ScheduleNotFound(message=error.message)
    await info.context.scheduler.sync(row.id)
    return schedule_from(row, [])
