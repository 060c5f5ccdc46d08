"""Leads created in a range and the first moment each entered each stage, in SQL.

One row per lead and stage it entered (a handful per lead), never per
event; the funnel arithmetic and medians happen on the pandas side.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ColumnElement, func, select

from saaslens.data.models import Lead, LeadStageChange
from saaslens.data.queries.frames import Statement
from saaslens.data.queries.funnels import Milliseconds
from saaslens.data.queries.periods import PeriodGrid
from saaslens.data.queries.segments import NO_GROUP, NO_VALUE

leads = Lead.__table__
changes = LeadStageChange.__table__


class LeadDimension(StrEnum):
    SOURCE = "source"
    CAMPAIGN = "campaign"


def _group(dimension: LeadDimension | None) -> ColumnElement[str]:
    if dimension is None:
        return NO_GROUP
    column = leads.c.source if dimension is LeadDimension.SOURCE else leads.c.campaign
    return func.coalesce(column, NO_VALUE)


def lead_stage_entries(
    grid: PeriodGrid, stages: tuple[str, ...], dimension: LeadDimension | None
) -> Statement:
    """Per lead created in the range: its group, creation, and first entry to each stage.

    Leads without any of the stages come back once with a NULL stage, so that
    every lead created counts.
    """
    entered = (
        select(
            changes.c.lead_id,
            changes.c.stage,
            func.min(Milliseconds(changes.c.occurred_at)).label("entered"),
        )
        .where(changes.c.stage.in_(stages))
        .group_by(changes.c.lead_id, changes.c.stage)
        .subquery("entered")
    )
    return (
        select(
            leads.c.id.label("lead_id"),
            _group(dimension).label("grp"),
            Milliseconds(leads.c.created_at).label("created"),
            entered.c.stage,
            entered.c.entered,
        )
        .select_from(leads.outerjoin(entered, entered.c.lead_id == leads.c.id))
        .where(leads.c.day.between(grid.first_day, grid.last_day))
    )
