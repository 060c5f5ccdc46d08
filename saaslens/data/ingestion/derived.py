"""Tables derived from the ingested history, kept current in the same transaction."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.data.ingestion.bulk import chunks
from saaslens.data.ingestion.destinations import table_of
from saaslens.data.models import Lead, LeadStageChange, Subscription, SubscriptionChange

_CHANGES = table_of(SubscriptionChange)
_SUBSCRIPTIONS = table_of(Subscription)
_LEADS = table_of(Lead)
_STAGES = table_of(LeadStageChange)


def _latest_states(subscription_ids: list[str]) -> Select[Any]:
    per_subscription = _CHANGES.c.subscription_id
    newest_first = (_CHANGES.c.effective_at.desc(), _CHANGES.c.id.desc())
    ranked = (
        select(
            _CHANGES.c.subscription_id.label("id"),
            _CHANGES.c.customer_id,
            _CHANGES.c.plan,
            _CHANGES.c.quantity,
            _CHANGES.c.status,
            _CHANGES.c.mrr,
            _CHANGES.c.original_mrr,
            _CHANGES.c.currency,
            func.min(_CHANGES.c.effective_at)
            .over(partition_by=per_subscription)
            .label("started_at"),
            _CHANGES.c.effective_at.label("updated_at"),
            func.count().over(partition_by=per_subscription).label("change_count"),
            func.row_number()
            .over(partition_by=per_subscription, order_by=newest_first)
            .label("position"),
        )
        .where(_CHANGES.c.subscription_id.in_(subscription_ids))
        .subquery()
    )
    columns = [column for column in ranked.c if column.name != "position"]
    return select(*columns).where(ranked.c.position == 1)


async def refresh_subscriptions(session: AsyncSession, subscription_ids: Collection[str]) -> None:
    """Rebuild each subscription's row from its latest change, first start and count.

    Rebuilding from the whole history, rather than patching the stored row,
    stays right when a batch brings changes older than ones already stored.
    """
    for chunk in chunks(subscription_ids):
        latest = _latest_states(chunk)
        await session.execute(delete(_SUBSCRIPTIONS).where(_SUBSCRIPTIONS.c.id.in_(chunk)))
        names = [column.name for column in latest.selected_columns]
        await session.execute(insert(_SUBSCRIPTIONS).from_select(names, latest))


async def refresh_lead_stages(session: AsyncSession, lead_ids: Collection[str]) -> None:
    """Set each lead's stage to its latest stage change."""
    latest_stage = (
        select(_STAGES.c.stage)
        .where(_STAGES.c.lead_id == _LEADS.c.id)
        .order_by(_STAGES.c.occurred_at.desc(), _STAGES.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    for chunk in chunks(lead_ids):
        await session.execute(
            update(_LEADS).where(_LEADS.c.id.in_(chunk)).values(stage=latest_stage)
        )
