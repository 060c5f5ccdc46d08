"""MRR per customer per period, and its movements, computed in SQL.

A subscription's MRR at a moment is the `mrr` of its latest change at or
before it when that change is active or past_due, and 0 otherwise. A
customer's MRR at the end of a period is the sum over their subscriptions.

The statement never expands subscriptions over periods: it keeps, per
subscription, the state at the end of each period in which it changed, turns
those into deltas, and sums the deltas per customer and period. A running
sum of a customer's deltas is their MRR at each period end where it moved;
comparing it with the delta gives the movement. Rows of customers whose MRR
did not move are never built, so the work grows with changes, and what comes
back grows with periods.

Movements compare a customer's MRR at the end of the previous period with
the end of this one (ChartMogul's definitions):

- new business: 0 -> >0 and the customer never had MRR at the end of an
  earlier day;
- reactivation: 0 -> >0 after MRR at the end of some earlier day;
- expansion / contraction: >0 -> more / less, still >0;
- churn: >0 -> 0, the last paying subscription ended. Ending one of several
  paying subscriptions is a contraction.

With a breakdown by plan, a customer's MRR is split by the plan each
subscription is on, so moving from plan A to plan B is a churn of A and a
new business (or reactivation) of B within those series.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    CTE,
    BigInteger,
    ColumnElement,
    Subquery,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)

from saaslens.data.models import SubscriptionChange
from saaslens.data.queries.frames import Statement
from saaslens.data.queries.periods import Granularity, PeriodGrid, constant
from saaslens.data.queries.segments import (
    NO_GROUP,
    Breakdown,
    Dimension,
    Segment,
    customers,
    with_customers,
)

changes = SubscriptionChange.__table__
PAYING = ("active", "past_due")


class Movement(StrEnum):
    NEW_BUSINESS = "new_business"
    EXPANSION = "expansion"
    CONTRACTION = "contraction"
    CHURN = "churn"
    REACTIVATION = "reactivation"


def _effective_mrr(segment: Segment) -> ColumnElement[int]:
    paying: ColumnElement[bool] = changes.c.status.in_(PAYING)
    if segment.plan is not None:
        paying = and_(paying, changes.c.plan == segment.plan)
    return case((paying, changes.c.mrr), else_=0)


def _group(breakdown: Breakdown | None) -> ColumnElement[str]:
    if breakdown is None:
        return NO_GROUP
    if breakdown.dimension is Dimension.PLAN:
        return changes.c.plan
    return breakdown.customer_column()


def _ordered_changes(grid: PeriodGrid, segment: Segment, breakdown: Breakdown | None) -> CTE:
    """Every change up to the grid's end, with the period and the day of its
    subscription's next change.

    A change is the last of its period (or day) when the subscription's next
    change falls in a later one. One window ordered like the index on
    (subscription_id, effective_at) finds both, where ranking within each
    period would sort every change again. Materialised, as the period ends and
    the day ends both read it: the changes are read and ordered once.
    """
    period = grid.granularity.sql_key(changes.c.day, changes.c.month)

    def following(column: ColumnElement[int]) -> ColumnElement[int]:
        return func.lead(column).over(
            partition_by=changes.c.subscription_id,
            order_by=(changes.c.effective_at, changes.c.id),
        )

    return (
        select(
            changes.c.subscription_id,
            changes.c.customer_id,
            period.label("period"),
            changes.c.day,
            changes.c.month,
            _effective_mrr(segment).label("mrr"),
            _group(breakdown).label("grp"),
            following(period).label("next_period"),
            following(changes.c.day).label("next_day"),
        )
        .select_from(with_customers(changes, segment, breakdown))
        .where(changes.c.day <= grid.last_day, *segment.customer_conditions())
        .cte("ordered")
        .prefix_with("MATERIALIZED")
    )


def _last_changes(ordered: CTE, unit: str) -> Subquery:
    """Each subscription's last change of each period (`unit` "period") or day ("day")."""
    following = ordered.c[f"next_{unit}"]
    last = or_(following.is_(None), following != ordered.c[unit])
    return select(ordered).where(last).subquery(f"last_of_{unit}")


def _customer_deltas(ordered: CTE, breakdown: Breakdown | None) -> CTE:
    """Per customer, group and period: the net change of MRR, where it is not zero."""
    states = _last_changes(ordered, "period")
    lagged = select(
        states.c.customer_id,
        states.c.period,
        states.c.grp,
        states.c.mrr,
        func.lag(states.c.mrr)
        .over(partition_by=states.c.subscription_id, order_by=states.c.period)
        .label("previous_mrr"),
        func.lag(states.c.grp)
        .over(partition_by=states.c.subscription_id, order_by=states.c.period)
        .label("previous_grp"),
    ).cte("lagged")
    if breakdown is not None and breakdown.dimension is Dimension.PLAN:
        # A subscription that changes plan leaves one group and enters another.
        deltas = union_all(
            select(lagged.c.customer_id, lagged.c.period, lagged.c.grp, lagged.c.mrr),
            select(
                lagged.c.customer_id,
                lagged.c.period,
                lagged.c.previous_grp,
                -lagged.c.previous_mrr,
            ).where(lagged.c.previous_grp.is_not(None)),
        ).subquery("deltas")
    else:
        deltas = select(
            lagged.c.customer_id,
            lagged.c.period,
            lagged.c.grp,
            (lagged.c.mrr - func.coalesce(lagged.c.previous_mrr, 0)).label("mrr"),
        ).subquery("deltas")
    return (
        select(
            deltas.c.customer_id,
            deltas.c.grp,
            deltas.c.period,
            func.sum(deltas.c.mrr).label("delta"),
        )
        .group_by(deltas.c.customer_id, deltas.c.grp, deltas.c.period)
        .having(func.sum(deltas.c.mrr) != 0)
        .cte("customer_deltas")
    )


def _first_paid(ordered: CTE, granularity: Granularity) -> CTE:
    """The period holding the first day at whose end each customer had MRR."""
    days = _last_changes(ordered, "day")
    return (
        select(
            days.c.customer_id,
            days.c.grp,
            granularity.sql_key(func.min(days.c.day), func.min(days.c.month)).label("period"),
        )
        .where(days.c.mrr > 0)
        .group_by(days.c.customer_id, days.c.grp)
        .cte("first_paid")
    )


def customer_movements(grid: PeriodGrid, segment: Segment, breakdown: Breakdown | None) -> CTE:
    """Every customer-period where MRR moved, up to the grid's end, with its movement."""
    ordered = _ordered_changes(grid, segment, breakdown)
    deltas = _customer_deltas(ordered, breakdown)
    first_paid = _first_paid(ordered, grid.granularity)
    # The first paying period rides along as an extra row per customer and a
    # window spreads it over their steps: SQLite would join it row by row.
    no_integer = cast(null(), BigInteger)
    stream = union_all(
        select(deltas, no_integer.label("first_paid")),
        select(
            first_paid.c.customer_id, first_paid.c.grp, no_integer, no_integer, first_paid.c.period
        ),
    ).subquery("stream")
    customer = (stream.c.customer_id, stream.c.grp)
    mrr = func.sum(stream.c.delta).over(
        partition_by=customer, order_by=stream.c.period, rows=(None, 0)
    )
    steps = (
        select(
            stream.c.customer_id,
            stream.c.grp,
            stream.c.period,
            stream.c.delta,
            mrr.label("mrr"),
            func.max(stream.c.first_paid).over(partition_by=customer).label("first_paid"),
        )
    ).subquery("steps")
    previous = steps.c.mrr - steps.c.delta
    movement = case(
        (
            previous == 0,
            case(
                (steps.c.first_paid == steps.c.period, literal(Movement.NEW_BUSINESS.value)),
                else_=literal(Movement.REACTIVATION.value),
            ),
        ),
        (steps.c.mrr == 0, literal(Movement.CHURN.value)),
        (steps.c.delta > 0, literal(Movement.EXPANSION.value)),
        else_=literal(Movement.CONTRACTION.value),
    )
    return (
        select(
            steps.c.customer_id,
            steps.c.grp,
            steps.c.period,
            previous.label("previous_mrr"),
            steps.c.mrr,
            steps.c.delta,
            movement.label("movement"),
        )
        .where(steps.c.period.is_not(None))
        .cte("movements")
    )


def movement_totals(grid: PeriodGrid, segment: Segment, breakdown: Breakdown | None) -> Statement:
    """Customers and MRR per period, group and movement inside the grid.

    Everything before the grid is summed into period `grid.first - 1`, so a
    running sum of `delta` from there gives MRR at each period end, and of the
    signed counts the number of paying customers.
    """
    moves = customer_movements(grid, segment, breakdown)
    first = constant(grid.first)
    bucket = case((moves.c.period < first, first - 1), else_=moves.c.period)
    return (
        select(
            bucket.label("period"),
            moves.c.grp,
            moves.c.movement,
            func.count().label("customers"),
            func.sum(moves.c.delta).label("amount"),
        )
        .group_by(bucket, moves.c.grp, moves.c.movement)
        .order_by(bucket)
    )


def movement_customers(
    grid: PeriodGrid,
    period: int,
    movement: Movement,
    segment: Segment,
    breakdown_value: tuple[Breakdown, str] | None,
) -> CTE:
    """The customers behind one movement of one period, with their MRR before and after."""
    breakdown = breakdown_value[0] if breakdown_value else None
    moves = customer_movements(grid, segment, breakdown)
    conditions = [moves.c.period == period, moves.c.movement == movement.value]
    if breakdown_value is not None:
        conditions.append(moves.c.grp == breakdown_value[1])
    return (
        select(
            moves.c.customer_id,
            customers.c.name,
            moves.c.previous_mrr,
            moves.c.mrr,
            moves.c.delta,
        )
        .select_from(moves.join(customers, customers.c.id == moves.c.customer_id))
        .where(*conditions)
        .cte("movement_customers")
    )
