"""Root fields for schedules: viewers read them, admins author them."""

from __future__ import annotations

import strawberry

from saaslens.resolvers import schedules as resolve
from saaslens.schema.permissions import IsAdmin, IsViewer, needs
from saaslens.schema.types.schedules import (
    CreateScheduleResult,
    Schedule,
    ScheduleChangeResult,
    UpdateScheduleResult,
)


@strawberry.type
class SchedulesQuery:
    schedules: list[Schedule] = strawberry.field(
        resolver=resolve.list_schedules,
        extensions=needs(IsViewer),
        description="Schedules in id order, optionally of one script.",
    )
    schedule: Schedule = strawberry.field(resolver=resolve.schedule, extensions=needs(IsViewer))


@strawberry.type
class SchedulesMutation:
    create_schedule: CreateScheduleResult = strawberry.mutation(
        resolver=resolve.create_schedule,
        extensions=needs(IsAdmin),
        description="A new schedule; it owes no runs from before it was made.",
    )
    update_schedule: UpdateScheduleResult = strawberry.mutation(
        resolver=resolve.update_schedule, extensions=needs(IsAdmin)
    )
    pause_schedule: ScheduleChangeResult = strawberry.mutation(
        resolver=resolve.pause_schedule, extensions=needs(IsAdmin)
    )
    resume_schedule: ScheduleChangeResult = strawberry.mutation(
        resolver=resolve.resume_schedule,
        extensions=needs(IsAdmin),
        description="Runs missed while paused are skipped.",
    )
    delete_schedule: ScheduleChangeResult = strawberry.mutation(
        resolver=resolve.delete_schedule, extensions=needs(IsAdmin)
    )
