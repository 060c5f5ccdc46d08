"""Per-customer inputs of the feature frame, each aggregated in SQL as of a local day.

Every statement returns at most a few rows per customer (one per customer,
per subscription, or per customer and recent week), never one per event.
"""

from __future__ import annotations

from sqlalchemy import case, distinct, func, select

from saaslens.data.models import Event, Payment, SubscriptionChange
from saaslens.data.queries.frames import Statement
from saaslens.data.queries.periods import constant
from saaslens.data.queries.segments import Segment, customers

events = Event.__table__
payments = Payment.__table__
changes = SubscriptionChange.__table__


def customer_profiles(as_of: int, segment: Segment) -> Statement:
    """Customers who had signed up by `as_of`, with their descriptive columns."""
    return select(
        customers.c.id.label("customer_id"),
        customers.c.day.label("signup_day"),
        customers.c.country,
        customers.c.segment,
        customers.c.attributes,
    ).where(customers.c.day <= as_of, *segment.customer_conditions())


def activity_summary(as_of: int, window_days: int) -> Statement:
    """Per customer: the last active day, and active days and events within the window."""
    recent = events.c.day > constant(as_of - window_days)
    return (
        select(
            events.c.customer_id,
            func.max(events.c.day).label("last_active_day"),
            func.count(distinct(case((recent, events.c.day)))).label("active_days"),
            func.sum(case((recent, constant(1)), else_=constant(0))).label("events"),
        )
        .where(events.c.day <= as_of)
        .group_by(events.c.customer_id)
    )


def weekly_events(as_of: int, weeks: int) -> Statement:
    """Events per customer in each of the `weeks` seven-day spans ending on `as_of`.

    Span 0 is the oldest; spans end on `as_of` rather than on Sundays so the
    last one is whole.
    """
    first_day = as_of - 7 * weeks + 1
    span = (events.c.day - constant(first_day)) // constant(7)
    return (
        select(events.c.customer_id, span.label("week"), func.count().label("events"))
        .where(events.c.day.between(first_day, as_of))
        .group_by(events.c.customer_id, span)
    )


def net_payments(as_of: int) -> Statement:
    """Charges less refunds per customer up to `as_of`, in minor units of the base currency."""
    signed = case((payments.c.kind == "refund", -payments.c.amount), else_=payments.c.amount)
    return (
        select(payments.c.customer_id, func.sum(signed).label("revenue"))
        .where(payments.c.day <= as_of)
        .group_by(payments.c.customer_id)
    )


def subscription_states(as_of: int) -> Statement:
    """Each subscription's latest change on or before `as_of`."""
    latest = (
        func.row_number()
        .over(
            partition_by=changes.c.subscription_id,
            order_by=(changes.c.effective_at.desc(), changes.c.id.desc()),
        )
        .label("latest")
    )
    ordered = (
        select(changes.c.customer_id, changes.c.plan, changes.c.status, changes.c.mrr, latest)
        .where(changes.c.day <= as_of)
        .subquery("ordered")
    )
    return select(ordered.c.customer_id, ordered.c.plan, ordered.c.status, ordered.c.mrr).where(
        ordered.c.latest == 1
    )
