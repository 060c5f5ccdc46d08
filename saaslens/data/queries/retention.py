"""Retention counts per cohort and period offset, aggregated in SQL.

A member is a customer account, or a user within one. Members enter a
cohort through a start (signup, a first payment, or doing a start event)
and are counted again in each later period they are active (doing a return
event). Periods are the integer keys of the bucket grid, so the offset of an
activity from its cohort is a subtraction, the same on SQLite and PostgreSQL;
the rows returned grow with cohorts and offsets, never with members.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, Subquery, func, select, true

from saaslens.data.models import Event, Payment, Subscription
from saaslens.data.queries.frames import Statement
from saaslens.data.queries.periods import PeriodGrid
from saaslens.data.queries.segments import (
    NO_GROUP,
    Breakdown,
    Dimension,
    Segment,
    customers,
    grouping,
)

events = Event.__table__
payments = Payment.__table__
subscriptions = Subscription.__table__


class CohortStart(StrEnum):
    SIGNUP = "signup"
    FIRST_PAYMENT = "first_payment"
    FIRST_EVENT = "first_event"


class Unit(StrEnum):
    CUSTOMER = "customer"
    USER = "user"


@dataclass(frozen=True)
class Cohorting:
    """How members enter cohorts and what counts as coming back."""

    start: CohortStart
    unit: Unit = Unit.CUSTOMER
    recurring: bool = False
    start_events: tuple[str, ...] = ()
    return_events: tuple[str, ...] = ()


def member_keys(table: Subquery | None, unit: Unit) -> list[ColumnElement[str]]:
    source = events if table is None else table
    keys: list[ColumnElement[str]] = [source.c.customer_id.label("customer_id")]
    if unit is Unit.USER:
        keys.append(source.c.user_id.label("user_id"))
    return keys


def _start_periods(grid: PeriodGrid, cohorting: Cohorting) -> Subquery:
    """Every (member, period) in which the member did its start, up to the range's end."""
    key = grid.granularity
    if cohorting.start is CohortStart.SIGNUP:
        period = key.sql_key(customers.c.day, customers.c.month)
        statement = select(customers.c.id.label("customer_id"), period.label("period")).where(
            customers.c.day <= grid.last_day
        )
    elif cohorting.start is CohortStart.FIRST_PAYMENT:
        period = key.sql_key(payments.c.day, payments.c.month)
        statement = select(payments.c.customer_id, period.label("period")).where(
            payments.c.kind == "charge", payments.c.amount > 0, payments.c.day <= grid.last_day
        )
    else:
        period = key.sql_key_of_day(events.c.day)
        names = cohorting.start_events
        statement = select(*member_keys(None, cohorting.unit), period.label("period")).where(
            events.c.day <= grid.last_day, events.c.name.in_(names) if names else true()
        )
    return statement.distinct().subquery("start_periods")


def _cohorts(grid: PeriodGrid, cohorting: Cohorting) -> Subquery:
    """(member, cohort): each start period when recurring, else the first one only."""
    starts = _start_periods(grid, cohorting)
    keys = member_keys(starts, cohorting.unit)
    if cohorting.recurring:
        chosen = select(*keys, starts.c.period.label("cohort"))
    else:
        first = func.min(starts.c.period)
        chosen = select(*keys, first.label("cohort")).group_by(*keys)
    picked = chosen.subquery("picked")
    return (
        select(picked)
        .where(picked.c.cohort.between(grid.first, grid.last))
        .subquery("cohort_members")
    )


def grouped_members(
    members: Subquery, segment: Segment, breakdown: Breakdown | None
) -> tuple[Subquery, ColumnElement[str]]:
    """Cohort members within the segment, each with its breakdown group.

    A plan is read from the customer's live subscriptions as they stand now,
    as the engagement figures do: a customer on two plans is in both groups.
    """
    source = members.join(customers, customers.c.id == members.c.customer_id)
    live = (
        select(subscriptions.c.customer_id, subscriptions.c.plan)
        .where(subscriptions.c.status != "canceled")
        .subquery("live")
    )
    conditions = segment.customer_conditions()
    if segment.plan is not None:
        on_plan = select(live.c.customer_id).where(live.c.plan == segment.plan)
        conditions.append(members.c.customer_id.in_(on_plan))
    group: ColumnElement[str] = NO_GROUP
    if breakdown is not None and breakdown.dimension is Dimension.PLAN:
        plans = select(live.c.customer_id, live.c.plan).distinct().subquery("plans")
        source = source.join(plans, plans.c.customer_id == members.c.customer_id)
        group = plans.c.plan
    elif breakdown is not None:
        group = breakdown.customer_column()
    grouped = (
        select(members, group.label("grp")).select_from(source).where(*conditions)
    ).subquery("grouped")
    return grouped, grouped.c.grp if grouping(group) else NO_GROUP


def cohort_sizes(
    grid: PeriodGrid, cohorting: Cohorting, segment: Segment, breakdown: Breakdown | None
) -> Statement:
    """Members per group and cohort."""
    members, group = grouped_members(_cohorts(grid, cohorting), segment, breakdown)
    return select(group.label("grp"), members.c.cohort, func.count().label("members")).group_by(
        *grouping(group), members.c.cohort
    )


def _offsets(
    grid: PeriodGrid, cohorting: Cohorting, segment: Segment, breakdown: Breakdown | None
) -> tuple[Subquery, ColumnElement[str], ColumnElement[int]]:
    """(member, group, cohort, offset) for every period from its cohort's on that it was active in.

    Each member is looked up in each of its periods through the index on
    (customer_id, day), so the work grows with members and periods rather than
    with every event in the range.
    """
    members, group = grouped_members(_cohorts(grid, cohorting), segment, breakdown)
    periods = grid.bounds()
    names = cohorting.return_events
    active = select(events.c.day).where(
        events.c.customer_id == members.c.customer_id,
        events.c.day.between(periods.c.first_day, periods.c.last_day),
        events.c.name.in_(names) if names else true(),
        events.c.user_id == members.c.user_id if cohorting.unit is Unit.USER else true(),
    )
    offset = periods.c.period - members.c.cohort
    keys = member_keys(members, cohorting.unit)
    rows = (
        select(*keys, group.label("grp"), members.c.cohort, offset.label("offset"))
        .select_from(members.join(periods, periods.c.period >= members.c.cohort))
        .where(active.exists())
        .subquery("offsets")
    )
    return rows, rows.c.grp if grouping(group) else NO_GROUP, rows.c.offset


def retained_on(
    grid: PeriodGrid, cohorting: Cohorting, segment: Segment, breakdown: Breakdown | None
) -> Statement:
    """Members active in exactly period `offset` after their cohort's, per group and cohort."""
    rows, group, offset = _offsets(grid, cohorting, segment, breakdown)
    return select(
        group.label("grp"), rows.c.cohort, offset, func.count().label("members")
    ).group_by(*grouping(group), rows.c.cohort, offset)


def last_offsets(
    grid: PeriodGrid, cohorting: Cohorting, segment: Segment, breakdown: Breakdown | None
) -> Statement:
    """Members by the last period offset they were active in, per group and cohort.

    A member is retained "on or after" offset k when its last offset is k or
    later, so a running sum from the last offset down gives those counts.
    """
    rows, group, offset = _offsets(grid, cohorting, segment, breakdown)
    keys = [rows.c.customer_id] + ([rows.c.user_id] if cohorting.unit is Unit.USER else [])
    last = (
        select(group.label("grp"), rows.c.cohort, func.max(offset).label("last_offset"))
        .group_by(*grouping(group), rows.c.cohort, *keys)
        .subquery("last")
    )
    return select(
        last.c.grp, last.c.cohort, last.c.last_offset, func.count().label("members")
    ).group_by(last.c.grp, last.c.cohort, last.c.last_offset)
