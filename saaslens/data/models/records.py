"""The business's own records, keyed by the ids of the system they came from.

Every ingested table keeps a `fingerprint` of its validated content, so a
re-sent row is recognised as identical or as a conflict without comparing
column by column. `day` and `month` are buckets in the reporting time zone
(days since 1970-01-01; year * 12 + month - 1) written at ingestion, so that
SQL groups by plain integers on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from saaslens.data.models.base import Base


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320))
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    segment: Mapped[str | None] = mapped_column(String(100), index=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    day: Mapped[int]
    month: Mapped[int] = mapped_column(index=True)
    fingerprint: Mapped[int]


class SubscriptionChange(Base):
    """One state of a subscription from `effective_at` on; append only."""

    __tablename__ = "subscription_changes"
    __table_args__ = (
        Index(None, "subscription_id", "effective_at"),
        Index(None, "customer_id", "effective_at"),
        Index(None, "day"),
    )

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(String(128))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    plan: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    mrr: Mapped[int] = mapped_column(comment="minor units of the base currency")
    original_mrr: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    effective_at: Mapped[datetime]
    day: Mapped[int]
    month: Mapped[int]
    fingerprint: Mapped[int]


class Subscription(Base):
    """The current state of a subscription: its latest change, kept at ingestion."""

    __tablename__ = "subscriptions"
    __table_args__ = (Index(None, "customer_id"), Index(None, "status"))

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    plan: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    mrr: Mapped[int]
    original_mrr: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    change_count: Mapped[int]


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (Index(None, "customer_id", "occurred_at"), Index(None, "day"))

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(8))
    amount: Mapped[int] = mapped_column(comment="minor units of the base currency")
    original_amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    occurred_at: Mapped[datetime]
    day: Mapped[int]
    month: Mapped[int]
    fingerprint: Mapped[int]


class Event(Base):
    """A product usage event; the largest table by far.

    Its customer is checked at ingestion rather than by a foreign key, which
    would cost an index probe per row on the hottest insert path.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index(None, "day", "user_id", "customer_id"),
        Index(None, "name", "day"),
        Index(None, "customer_id", "day"),
    )

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime]
    day: Mapped[int]
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fingerprint: Mapped[int]


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (Index(None, "source", "campaign"), Index(None, "stage"))

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    source: Mapped[str | None] = mapped_column(String(100))
    campaign: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    company_size: Mapped[int | None]
    industry: Mapped[str | None] = mapped_column(String(100))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    stage: Mapped[str] = mapped_column(String(50), comment="latest stage, kept at ingestion")
    converted_customer_id: Mapped[str | None] = mapped_column(String(128))
    value: Mapped[int | None] = mapped_column(comment="minor units of the base currency")
    original_value: Mapped[int | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime]
    day: Mapped[int]
    month: Mapped[int]
    fingerprint: Mapped[int]


class LeadStageChange(Base):
    __tablename__ = "lead_stage_changes"
    __table_args__ = (Index(None, "lead_id", "occurred_at"),)

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id"))
    stage: Mapped[str] = mapped_column(String(50))
    occurred_at: Mapped[datetime]
    day: Mapped[int]
    fingerprint: Mapped[int]


class ExchangeRate(Base):
    """How many units of the base currency one unit of `currency` bought that day."""

    __tablename__ = "exchange_rates"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    rate: Mapped[float] = mapped_column(Float)
    fingerprint: Mapped[int]
