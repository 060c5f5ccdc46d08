"""A test-side book of records, written through the real ingester.

The book also keeps each row as the tests' pandas computation reads it: the
amount converted to the base currency with the rates given here, so the
expected values do not come from the ingester's own conversion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.config import load_settings
from saaslens.data.ingestion import Kind, ingest
from saaslens.data.ingestion.records import (
    CustomerRecord,
    EventRecord,
    PaymentRecord,
    Record,
    SubscriptionChangeRecord,
)


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
        self.customers.append(record.model_dump())
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
        row = record.model_dump()
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
        self.payments.append(record.model_dump())

    def event(self, customer: str, user: str, at: datetime, name: str = "open") -> None:
        record = EventRecord(
            id=f"e{len(self.events)}",
            customer_id=customer,
            user_id=user,
            name=name,
            occurred_at=at,
        )
        self.events.append(record.model_dump())

    async def write(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Ingest everything through the real ingester, one batch per kind."""
        url = sessions.kw["bind"].url.render_as_string(hide_password=False)
        settings = load_settings(database_url=url, reporting_time_zone=self.zone)
        batches = [
            (Kind.EXCHANGE_RATES, self._rates()),
            (Kind.CUSTOMERS, [self._source(row, CustomerRecord) for row in self.customers]),
            (
                Kind.SUBSCRIPTION_CHANGES,
                [self._source(row, SubscriptionChangeRecord) for row in self.changes],
            ),
            (Kind.PAYMENTS, [self._source(row, PaymentRecord) for row in self.payments]),
            (Kind.EVENTS, [self._source(row, EventRecord) for row in self.events]),
        ]
        for kind, rows in batches:
            if not rows:
                continue
            async with sessions() as session:
                report = await ingest(session, kind, rows, settings)
            assert report.accepted, report.errors

    def _source(self, row: dict[str, Any], record: type[Record]) -> dict[str, Any]:
        """The row as a source system sends it: original amounts, no buckets."""
        sent = {name: row[name] for name in record.model_fields if name in row}
        if "original_mrr" in row:
            sent["mrr"] = row["original_mrr"]
        return sent

    def _rates(self) -> list[dict[str, Any]]:
        """A rate for every UTC day a foreign amount falls on, as ingestion needs."""
        days = {
            (row["effective_at"].date(), row["currency"])
            for row in self.changes
            if row["currency"] != "USD"
        }
        return [
            {"day": day, "currency": currency, "rate": self.rates[currency]}
            for day, currency in sorted(days)
        ]
