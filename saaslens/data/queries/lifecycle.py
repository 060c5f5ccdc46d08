"""The counts behind PostHog's lifecycle (members per period by status), in SQL.

A member active in a period is new when it is the first period it was ever
active in, returning when it was active in the period before too, and
resurrecting otherwise; a member active in a period but not in the next is
dormant in that next one. All four follow from three counts per group and
period, which is all the statement returns:

- active: members active in the period (read for the period before the range too);
- stayed: members active in the period and in the one before;
- new: members whose first activity ever falls in the period.

So returning = stayed, resurrecting = active - new - stayed, and dormant in
a period = active in the one before - stayed.

Customers are looked up period by period through the index on
(customer_id, day), so the work grows with customers and periods, not with
the events in the range; users, which no table lists, are read from the
events themselves.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Subquery,
    and_,
    func,
    literal,
    select,
    true,
    union_all,
)

from saaslens.data.queries.frames import Statement
from saaslens.data.queries.periods import PeriodGrid, constant
from saaslens.data.queries.retention import Unit, events, grouped_members, member_keys
from saaslens.data.queries.segments import NO_GROUP, Breakdown, Segment, customers, grouping


class Count(StrEnum):
    ACTIVE = "active"
    STAYED = "stayed"
    NEW = "new"


def _named(names: tuple[str, ...]) -> ColumnElement[bool]:
    return events.c.name.in_(names) if names else true()


def _customers_active(grid: PeriodGrid, names: tuple[str, ...]) -> tuple[Subquery, Subquery]:
    """(customer, period) for each period of `grid` a customer was active in, and each
    customer's first active day up to the grid's end (null when there is none)."""

    def day_of(aggregate: ColumnElement[int], *within: ColumnElement[bool]) -> ScalarSelect[int]:
        found = select(aggregate).where(events.c.customer_id == customers.c.id)
        return found.where(*within, _named(names)).scalar_subquery()

    in_grid = events.c.day.between(grid.first_day, grid.last_day)
    # Materialised, so each customer's two lookups run once, not once per period.
    spans = (
        select(
            customers.c.id.label("customer_id"),
            day_of(func.min(events.c.day), in_grid).label("first_active"),
            day_of(func.max(events.c.day), in_grid).label("last_active"),
        )
        .cte("spans")
        .prefix_with("MATERIALIZED")
    )
    periods = grid.bounds()
    in_period = select(events.c.day).where(
        events.c.customer_id == spans.c.customer_id,
        events.c.day.between(periods.c.first_day, periods.c.last_day),
        _named(names),
    )
    # Each customer with the periods between its first and last activity in the grid,
    # each probed through the index. Written as an outer join, which SQLite keeps in
    # this order: customers outside, so each one's probes read neighbouring entries.
    overlapping = and_(
        periods.c.last_day >= spans.c.first_active, periods.c.first_day <= spans.c.last_active
    )
    active = (
        select(spans.c.customer_id, periods.c.period)
        .select_from(spans.outerjoin(periods, overlapping))
        .where(in_period.exists())
        .subquery("active")
    )
    first_day = day_of(func.min(events.c.day), events.c.day <= grid.last_day)
    firsts = select(customers.c.id.label("customer_id"), first_day.label("first_day")).subquery(
        "firsts"
    )
    return active, firsts


def _users_active(grid: PeriodGrid, names: tuple[str, ...]) -> tuple[Subquery, Subquery]:
    """The same as `_customers_active` for users, read from the events in the range."""
    keys = member_keys(None, Unit.USER)
    period = grid.granularity.sql_key_of_day(events.c.day)
    active = (
        select(*keys, period.label("period"))
        .where(events.c.day.between(grid.first_day, grid.last_day), _named(names))
        .distinct()
        .subquery("active")
    )
    firsts = (
        select(*keys, func.min(events.c.day).label("first_day"))
        .where(events.c.day <= grid.last_day, _named(names))
        .group_by(*keys)
        .subquery("firsts")
    )
    return active, firsts


def lifecycle_counts(
    grid: PeriodGrid,
    unit: Unit,
    names: tuple[str, ...],
    segment: Segment,
    breakdown: Breakdown | None,
) -> Statement:
    """Per group, period and Count: how many members."""
    reach = grid.earlier(1)
    read = _customers_active if unit is Unit.CUSTOMER else _users_active
    active, firsts = read(reach, names)

    grouped, group = grouped_members(active, segment, breakdown)
    shared = select(grouped).cte("active_members")
    before = shared.alias("before")
    group = shared.c.grp if grouping(group) else NO_GROUP
    keys = ["customer_id", "user_id"] if unit is Unit.USER else ["customer_id"]
    same = [before.c[key] == shared.c[key] for key in [*keys, "grp"]]
    same.append(before.c.period == shared.c.period - constant(1))

    def counted(count: Count) -> tuple[ColumnElement[str], ColumnElement[int]]:
        return literal(count.value).label("measure"), func.count().label("members")

    active_counts = select(group.label("grp"), shared.c.period, *counted(Count.ACTIVE)).group_by(
        *grouping(group), shared.c.period
    )
    stayed_counts = (
        select(group.label("grp"), shared.c.period, *counted(Count.STAYED))
        .select_from(shared.join(before, and_(*same)))
        .group_by(*grouping(group), shared.c.period)
    )
    first_members, first_group = grouped_members(firsts, segment, breakdown)
    first_period = grid.granularity.sql_key_of_day(first_members.c.first_day)
    new_counts = (
        select(first_group.label("grp"), first_period.label("period"), *counted(Count.NEW))
        .where(first_members.c.first_day.between(grid.first_day, grid.last_day))
        .group_by(*grouping(first_group), first_period)
    )
    return select(union_all(active_counts, stayed_counts, new_counts).subquery("counts"))
