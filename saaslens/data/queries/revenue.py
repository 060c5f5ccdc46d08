"""Trial conversions and payments per period, computed in SQL."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, case, func, select

from saaslens.data.models import Payment
from saaslens.data.queries.frames import Statement
from saaslens.data.queries.mrr import PAYING, changes
from saaslens.data.queries.periods import PeriodGrid
from saaslens.data.queries.segments import (
    NO_GROUP,
    Breakdown,
    Dimension,
    Segment,
    grouping,
    with_customers,
)

payments = Payment.__table__


def trial_conversions(
    grid: PeriodGrid, segment: Segment, breakdown: Breakdown | None
) -> Statement:
    """Subscriptions whose trial started in each period, and how many of them paid.

    A trial starts with a subscription's first trialing change (on the filtered
    plan, when there is one); it converted when a later change of the same
    subscription up to the grid's end carries MRR while active or past_due.
    """
    trialing = changes.c.status == "trialing"
    if segment.plan is not None:
        trialing = and_(trialing, changes.c.plan == segment.plan)
    paid = and_(changes.c.status.in_(PAYING), changes.c.mrr > 0)
    if breakdown is None:
        group: ColumnElement[str] = NO_GROUP
    elif breakdown.dimension is Dimension.PLAN:
        group = func.min(case((trialing, changes.c.plan)))
    else:
        group = func.min(breakdown.customer_column())
    trials = (
        select(
            func.min(case((trialing, changes.c.effective_at))).label("trial_at"),
            func.min(case((trialing, changes.c.day))).label("day"),
            func.min(case((trialing, changes.c.month))).label("month"),
            func.min(case((paid, changes.c.effective_at))).label("paid_at"),
            group.label("grp"),
        )
        .select_from(with_customers(changes, segment, breakdown))
        .where(changes.c.day <= grid.last_day, *segment.customer_conditions())
        .group_by(changes.c.subscription_id)
        .subquery("trials")
    )
    period = grid.granularity.sql_key(trials.c.day, trials.c.month)
    converted = case((trials.c.paid_at > trials.c.trial_at, 1), else_=0)
    return (
        select(
            period.label("period"),
            trials.c.grp,
            func.count().label("trials"),
            func.sum(converted).label("converted"),
        )
        .where(trials.c.day >= grid.first_day)
        .group_by(period, trials.c.grp)
    )


def payment_totals(grid: PeriodGrid, segment: Segment, breakdown: Breakdown | None) -> Statement:
    """Charges and refunds per period, in minor units of the base currency."""
    period = grid.granularity.sql_key(payments.c.day, payments.c.month)
    group = NO_GROUP if breakdown is None else breakdown.customer_column()
    charge = payments.c.kind == "charge"
    return (
        select(
            period.label("period"),
            group.label("grp"),
            func.sum(case((charge, payments.c.amount), else_=0)).label("charges"),
            func.sum(case((charge, 0), else_=payments.c.amount)).label("refunds"),
        )
        .select_from(with_customers(payments, segment, breakdown))
        .where(
            payments.c.day.between(grid.first_day, grid.last_day),
            *segment.customer_conditions(),
        )
        .group_by(period, *grouping(group))
    )
