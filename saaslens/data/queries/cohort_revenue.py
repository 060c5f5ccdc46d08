"""MRR of each paying cohort per later period, from the MRR movements, in SQL.

A customer joins the cohort of the period of its new-business movement: the
first period that ended with MRR. Summing the cohort's MRR deltas per period
gives, as a running sum from the cohort's period, its MRR at each period end;
summing the +1/-1 of customers starting and stopping paying gives how many
of them still pay. Rows come back per cohort and period, never per customer.
"""

from __future__ import annotations

from sqlalchemy import and_, case, func, select

from saaslens.data.queries.frames import Statement
from saaslens.data.queries.mrr import Movement, customer_movements
from saaslens.data.queries.periods import PeriodGrid, constant
from saaslens.data.queries.segments import Breakdown, Segment


def cohort_mrr_changes(
    grid: PeriodGrid, segment: Segment, breakdown: Breakdown | None
) -> Statement:
    """Per group, cohort and period from the cohort's on: MRR delta and paying delta."""
    moves = customer_movements(grid, segment, breakdown)
    cohorts = (
        select(moves.c.customer_id, moves.c.grp, moves.c.period.label("cohort"))
        .where(
            moves.c.movement == Movement.NEW_BUSINESS.value,
            moves.c.period.between(grid.first, grid.last),
        )
        .subquery("paying_cohorts")
    )
    starts = (moves.c.previous_mrr == 0) & (moves.c.mrr > 0)
    stops = (moves.c.previous_mrr > 0) & (moves.c.mrr == 0)
    paying = case((starts, constant(1)), (stops, constant(-1)), else_=constant(0))
    joined = cohorts.join(
        moves,
        and_(
            moves.c.customer_id == cohorts.c.customer_id,
            moves.c.grp == cohorts.c.grp,
            moves.c.period >= cohorts.c.cohort,
        ),
    )
    return (
        select(
            cohorts.c.grp,
            cohorts.c.cohort,
            moves.c.period,
            func.sum(moves.c.delta).label("mrr"),
            func.sum(paying).label("paying"),
        )
        .select_from(joined)
        .group_by(cohorts.c.grp, cohorts.c.cohort, moves.c.period)
    )
