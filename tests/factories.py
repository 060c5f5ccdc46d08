"""Objects for tests, written straight into the store with sensible defaults."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.data.buckets import day_of, month_of
from saaslens.data.models import Customer, Payment, Subscription, SubscriptionChange

UTC_ZONE = ZoneInfo("UTC")


def customer(id: str, created_at: datetime | None = None, **fields: Any) -> Customer:
    created_at = created_at or datetime(2024, 1, 1, tzinfo=UTC)
    defaults: dict[str, Any] = {
        "name": f"Customer {id}",
        "email": f"{id}@example.com",
        "country": "US",
        "segment": "smb",
        "attributes": {},
    }
    return Customer(
        id=id,
        created_at=created_at,
        day=day_of(created_at, UTC_ZONE),
        month=month_of(created_at, UTC_ZONE),
        fingerprint=0,
        **(defaults | fields),
    )


def change(
    id: str, subscription_id: str, customer_id: str, mrr: int, at: datetime, **fields: Any
) -> SubscriptionChange:
    defaults: dict[str, Any] = {
        "plan": "growth",
        "quantity": 1,
        "status": "active" if mrr else "canceled",
        "original_mrr": mrr,
        "currency": "USD",
    }
    return SubscriptionChange(
        id=id,
        subscription_id=subscription_id,
        customer_id=customer_id,
        mrr=mrr,
        effective_at=at,
        day=day_of(at, UTC_ZONE),
        month=month_of(at, UTC_ZONE),
        fingerprint=0,
        **(defaults | fields),
    )


def subscription_from(changes: list[SubscriptionChange]) -> Subscription:
    latest = max(changes, key=lambda item: item.effective_at)
    return Subscription(
        id=latest.subscription_id,
        customer_id=latest.customer_id,
        plan=latest.plan,
        quantity=latest.quantity,
        status=latest.status,
        mrr=latest.mrr,
        original_mrr=latest.original_mrr,
        currency=latest.currency,
        started_at=min(item.effective_at for item in changes),
        updated_at=latest.effective_at,
        change_count=len(changes),
    )


def payment(id: str, customer_id: str, amount: int, at: datetime, **fields: Any) -> Payment:
    defaults: dict[str, Any] = {"kind": "charge", "original_amount": amount, "currency": "USD"}
    return Payment(
        id=id,
        customer_id=customer_id,
        amount=amount,
        occurred_at=at,
        day=day_of(at, UTC_ZONE),
        month=month_of(at, UTC_ZONE),
        fingerprint=0,
        **(defaults | fields),
    )


async def add_all(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)
    await session.commit()
