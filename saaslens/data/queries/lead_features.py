"""Each lead's features as they stood before its outcome was known.

A won or lost lead's last stage change is its outcome, and everything after
it (or the outcome itself) would leak the answer into the features. So the
stage history is read without the closing changes: the number of changes,
the furthest pipeline stage reached and the days from creation to the last
of them are what a salesperson knew while the deal was still open. Open
leads are described the same way, so scoring sees what training saw.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Subquery, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.data.models import Lead, LeadStageChange

CLOSING_STAGES = ("won", "lost")
# Pipeline stages in the order deals move through them; others rank lowest.
PIPELINE_STAGES = ("new", "qualified", "demo", "proposal", "negotiation")
NO_STAGE = "none"


async def lead_features(session: AsyncSession) -> pd.DataFrame:
    """One row per lead: id, the features, attribute columns and `outcome`."""
    history = _history()
    statement = (
        select(
            Lead.id,
            Lead.source,
            Lead.campaign,
            Lead.country,
            Lead.company_size,
            Lead.industry,
            Lead.attributes,
            Lead.created_at,
            Lead.stage,
            history.c.changes,
            history.c.last_change,
            history.c.furthest,
        )
        .outerjoin(history, history.c.lead_id == Lead.id)
        .order_by(Lead.id)
    )
    rows = (await session.execute(statement)).all()
    return _frame([row._asdict() for row in rows])


def _history() -> Subquery:
    rank = case(
        *(
            (LeadStageChange.stage == stage, index + 1)
            for index, stage in enumerate(PIPELINE_STAGES)
        ),
        else_=0,
    )
    return (
        select(
            LeadStageChange.lead_id,
            func.count().label("changes"),
            func.max(LeadStageChange.occurred_at).label("last_change"),
            func.max(rank).label("furthest"),
        )
        .where(LeadStageChange.stage.not_in(CLOSING_STAGES))
        .group_by(LeadStageChange.lead_id)
        .subquery()
    )


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows,
        columns=[
            "id",
            "source",
            "campaign",
            "country",
            "company_size",
            "industry",
            "attributes",
            "created_at",
            "stage",
            "changes",
            "last_change",
            "furthest",
        ],
    )
    created = pd.to_datetime(frame["created_at"], utc=True)
    last = pd.to_datetime(frame["last_change"], utc=True).fillna(created)
    ranks = frame["furthest"].fillna(0).astype(int)
    features = pd.DataFrame(
        {
            "id": frame["id"],
            "source": frame["source"],
            "campaign": frame["campaign"],
            "country": frame["country"],
            "company_size": frame["company_size"].astype("float64"),
            "industry": frame["industry"],
            "days_in_pipeline": (last - created).dt.total_seconds() / 86_400,
            "stage_changes": frame["changes"].fillna(0).astype(int),
            "furthest_stage": [_stage_name(rank) for rank in ranks],
        }
    )
    attributes = flatten_attributes(frame["attributes"].tolist())
    outcome = frame["stage"].where(frame["stage"].isin(CLOSING_STAGES), "open")
    return pd.concat([features, attributes, outcome.rename("outcome")], axis=1)


def _stage_name(rank: int) -> str:
    return PIPELINE_STAGES[rank - 1] if rank > 0 else NO_STAGE


def flatten_attributes(documents: list[dict[str, Any] | None]) -> pd.DataFrame:
    """Scalar attribute values as `attr_<key>` columns; nested values are left out,
    since they have no single value to compare leads by."""
    scalars = [
        {
            f"attr_{key}": value
            for key, value in (document or {}).items()
            if isinstance(value, str | int | float)
        }
        for document in documents
    ]
    return pd.DataFrame(scalars, index=range(len(documents)))
