"""Types for schedules: when scripts run by themselves."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from saaslens.data import models
from saaslens.schema.types.automation import Script, ScriptNotFound, named_script


@strawberry.enum
class ScheduleKind(Enum):
    CRON = "cron"
    INTERVAL = "interval"


@strawberry.type(description="A script's cron or interval trigger in an IANA time zone.")
class Schedule:
    id: strawberry.ID
    script_id: strawberry.ID
    kind: ScheduleKind
    cron: str | None
    interval_seconds: int | None
    time_zone: str
    start_at: datetime | None
    end_at: datetime | None
    paused: bool
    misfire_grace_seconds: int
    coalesce: bool
    parameters: JSON
    created_at: datetime
    last_run_at: datetime | None = strawberry.field(description="The fire time of the newest run.")
    next_run_times: list[datetime] = strawberry.field(
        description="The coming fire times in UTC, none while paused or after the end."
    )
    script: Script = strawberry.field(resolver=named_script, description="The script it runs.")


@strawberry.input
class CreateScheduleInput:
    script_id: strawberry.ID
    kind: ScheduleKind
    cron: str | None = strawberry.field(
        default=None, description="Five fields; weekdays by name (mon-sun)."
    )
    interval_seconds: int | None = None
    time_zone: str = "UTC"
    start_at: datetime | None = None
    end_at: datetime | None = None
    misfire_grace_seconds: int = 300
    coalesce: bool = True
    parameters: JSON | None = None


@strawberry.input(description="Settings left out stay as they are.")
class UpdateScheduleInput:
    cron: str | None = None
    interval_seconds: int | None = None
    time_zone: str | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    misfire_grace_seconds: int | None = None
    coalesce: bool | None = None
    parameters: JSON | None = None


@strawberry.type(description="A cron expression, zone, interval or dates that cannot be used.")
class ScheduleInvalid:
    message: str


@strawberry.type
class ScheduleNotFound:
    message: str


CreateScheduleResult = Annotated[
    Schedule | ScheduleInvalid | ScriptNotFound, strawberry.union("CreateScheduleResult")
]
UpdateScheduleResult = Annotated[
    Schedule | ScheduleInvalid | ScheduleNotFound, strawberry.union("UpdateScheduleResult")
]
ScheduleChangeResult = Annotated[
    Schedule | ScheduleNotFound, strawberry.union("ScheduleChangeResult")
]


def schedule_from(row: models.Schedule, next_run_times: list[datetime]) -> Schedule:
    return Schedule(
        id=strawberry.ID(str(row.id)),
        script_id=strawberry.ID(str(row.script_id)),
        kind=ScheduleKind(row.kind),
        cron=row.cron,
        interval_seconds=row.interval_seconds,
        time_zone=row.time_zone,
        start_at=row.start_at,
        end_at=row.end_at,
        paused=row.paused,
        misfire_grace_seconds=row.misfire_grace_seconds,
        coalesce=row.coalesce,
        parameters=JSON(row.parameters),
        created_at=row.created_at,
        last_run_at=row.last_run_at,
        next_run_times=next_run_times,
    )
