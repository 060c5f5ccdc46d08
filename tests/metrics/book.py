"""A test-side writer of records: validates them, computes buckets, inserts them.

It stands in for the ingester until that lands: rows go through the same
record models (so fingerprints and coercions match), buckets come from
saaslens.data.buckets in the reporting zone, and money is converted with the
rates given, as ingestion does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.data.buckets import day_of, month_of
from saaslens.data.ingestion.records import (
    CustomerRecord,
    EventRecord,
    PaymentRecord,
    SubscriptionChangeRecord,
)
from saaslens.data.models import Customer, Event, Payment, SubscriptionChange
from saaslens.data.models import Subscription as SubscriptionRow
from saaslens.data.state import bump_data_version


@dataclass
class Book:
    """Records to write, kept as plain dicts so tests can recompute from them."""

    zone: str = "UTC"
    rates: dict[str, float] = field(default_factory=lambda: {"USD": 1.0})
    customers: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def customer(self, id: str, created_at: datetime, **fields: Any) -> str:
        record = CustomerRecord(id=id, name=f"Customer {id}", created_at=created_at, **fields)
        self.customers.append(self._row(record, record.created_at))
        return id

    def change(
        self,
        subscription: str,
        customer: str,
        at: datetime,
        status: str,
        mrr: int,
        plan: str = "basic",
        currency: str = "USD",
    ) -> None:
        record = SubscriptionChangeRecord(
            id=f"{subscription}-{len(self.changes)}",
            subscription_id=subscription,
            customer_id=customer,
            plan=plan,
            mrr=mrr,
            currency=currency,
            status=status,  # type: ignore[arg-type]
            effective_at=at,
        )
        row = self._row(record, record.effective_at)
        row["original_mrr"] = mrr
        row["mrr"] = round(mrr * self.rates[currency])
        self.changes.append(row)

    def payment(self, customer: str, at: datetime, amount: int, kind: str = "charge") -> None:
        record = PaymentRecord(
            id=f"p{len(self.payments)}",
            customer_id=customer,
            amount=amount,
            currency="USD",
            kind=kind,  # type: ignore[arg-type]
            occurred_at=at,
        )
        row = self._row(record, record.occurred_at)
        row["original_amount"] = amount
        self.payments.append(row)

    def event(self, customer: str, user: str, at: datetime, name: str = "open") -> None:
        record = EventRecord(
            id=f"e{len(self.events)}",
            customer_id=customer,
            user_id=user,
            name=name,
            occurred_at=at,
        )
        row = self._row(record, record.occurred_at)
        del row["month"]
        self.events.append(row)

    def _row(self, record: Any, moment: datetime) -> dict[str, Any]:
        zone = ZoneInfo(self.zone)
        return {
            **record.model_dump(),
            "day": day_of(moment, zone),
            "month": month_of(moment, zone),
            "fingerprint": record.fingerprint(),
        }

    async def write(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        async with sessions.begin() as session:
            for model, rows in (
                (Customer, self.customers),
                (SubscriptionChange, self.changes),
                (Payment, self.payments),
                (Event, self.events),
            ):
                if rows:
                    await session.execute(insert(model), rows)
            await self._write_subscriptions(session)
            await bump_data_version(session, self.zone)

    async def _write_subscriptions(self, session: AsyncSession) -> None:
        latest: dict[str, dict[str, Any]] = {}
        for row in sorted(self.changes, key=lambda row: (row["effective_at"], row["id"])):
            first = latest.get(row["subscription_id"], row)
            latest[row["subscription_id"]] = {
                "id": row["subscription_id"],
                "customer_id": row["customer_id"],
                "plan": row["plan"],
                "quantity": row["quantity"],
                "status": row["status"],
                "mrr": row["mrr"],
                "original_mrr": row["original_mrr"],
                "currency": row["currency"],
                "started_at": first.get("started_at", row["effective_at"]),
                "updated_at": row["effective_at"],
                "change_count": first.get("change_count", 0) + 1,
            }
        if latest:
            await session.execute(insert(SubscriptionRow), list(latest.values()))
