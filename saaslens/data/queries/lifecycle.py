"""Members per period by lifecycle status, computed in SQL (PostHog's lifecycle).

Each member's active periods are read in order with LAG and LEAD: an active
period is new when it is the member's first ever, returning when the period
before was active too, and resurrecting otherwise; a member active in a
period but not in the next is dormant in that next one. Only the rows per
group, period and status come back.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ColumnElement, and_, case, func, literal, select, true, union_all

from saaslens.data.queries.frames import Statement
from saaslens.data.queries.periods import PeriodGrid, constant
from saaslens.data.queries.retention import Unit, events, grouped_members, member_keys
from saaslens.data.queries.segments import Breakdown, Segment


class Status(StrEnum):
    NEW = "new"
    RETURNING = "returning"
    RESURRECTING = "resurrecting"
    DORMANT = "dormant"


def _named(names: tuple[str, ...]) -> ColumnElement[bool]:
    return events.c.name.in_(names) if names else true()


def lifecycle_counts(
    grid: PeriodGrid,
    unit: Unit,
    names: tuple[str, ...],
    segment: Segment,
    breakdown: Breakdown | None,
) -> Statement:
    """Per group, period and status: how many members, dormant ones included."""
    period = grid.granularity.sql_key_of_day(events.c.day)
    keys = member_keys(None, unit)
    before = grid.earlier(1)
    firsts = (
        select(*keys, func.min(events.c.day).label("first_day"))
        .where(events.c.day <= grid.last_day, _named(names))
        .group_by(*keys)
        .subquery("firsts")
    )
    active = (
        select(*keys, period.label("period"))
        .where(events.c.day.between(before.first_day, grid.last_day), _named(names))
        .distinct()
        .subquery("active")
    )
    member = member_keys(active, unit)
    first_period = grid.granularity.sql_key_of_day(firsts.c.first_day)
    same = [firsts.c.customer_id == active.c.customer_id]
    if unit is Unit.USER:
        same.append(firsts.c.user_id == active.c.user_id)
    sequenced = (
        select(
            *member,
            active.c.period,
            first_period.label("first_period"),
            func.lag(active.c.period)
            .over(partition_by=member, order_by=active.c.period)
            .label("previous"),
            func.lead(active.c.period)
            .over(partition_by=member, order_by=active.c.period)
            .label("next"),
        )
        .select_from(active.join(firsts, and_(*same)))
        .subquery("sequenced")
    )
    rows, group = grouped_members(sequenced, segment, breakdown)
    status = case(
        (rows.c.first_period == rows.c.period, literal(Status.NEW.value)),
        (rows.c.previous == rows.c.period - constant(1), literal(Status.RETURNING.value)),
        else_=literal(Status.RESURRECTING.value),
    )
    lapses = rows.c.next.is_(None) | (rows.c.next > rows.c.period + constant(1))
    statuses = select(group.label("grp"), rows.c.period, status.label("status")).where(
        rows.c.period >= grid.first
    )
    dormant = select(
        group.label("grp"),
        (rows.c.period + constant(1)).label("period"),
        literal(Status.DORMANT.value).label("status"),
    ).where(lapses, rows.c.period + constant(1) <= grid.last)
    every = union_all(statuses, dormant).subquery("statuses")
    return select(
        every.c.grp, every.c.period, every.c.status, func.count().label("members")
    ).group_by(every.c.grp, every.c.period, every.c.status)
