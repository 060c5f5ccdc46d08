"""Inputs for ingesting records over GraphQL, and what a batch's ingestion returns.

Inputs carry what a source system sends; the record shapes in
saaslens.data.ingestion.records validate them, so a bad value is reported
per row with its field instead of failing the whole request.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, TypeAlias

import strawberry
from strawberry.scalars import JSON

from saaslens.data.ingestion import IngestionReport
from saaslens.schema.types.records import PaymentKind, SubscriptionStatus
from saaslens.schema.types.scalars import Long


@strawberry.input
class CustomerInput:
    id: strawberry.ID
    name: str
    email: str | None = None
    country: str | None = strawberry.field(default=None, description="ISO 3166 alpha-2.")
    segment: str | None = None
    attributes: JSON | None = None
    created_at: datetime


@strawberry.input
class SubscriptionChangeInput:
    id: strawberry.ID
    subscription_id: strawberry.ID
    customer_id: strawberry.ID
    plan: str
    quantity: int = 1
    mrr: Long = strawberry.field(description="Minor units of `currency`.")
    currency: str
    status: SubscriptionStatus
    effective_at: datetime


@strawberry.input
class PaymentInput:
    id: strawberry.ID
    customer_id: strawberry.ID
    amount: Long = strawberry.field(description="Minor units of `currency`.")
    currency: str
    kind: PaymentKind = PaymentKind.CHARGE
    occurred_at: datetime


@strawberry.input
class EventInput:
    id: strawberry.ID
    customer_id: strawberry.ID
    user_id: strawberry.ID
    name: str
    occurred_at: datetime
    properties: JSON | None = None


@strawberry.input
class LeadInput:
    id: strawberry.ID
    source: str | None = None
    campaign: str | None = None
    country: str | None = None
    company_size: int | None = None
    industry: str | None = None
    attributes: JSON | None = None
    created_at: datetime
    converted_customer_id: strawberry.ID | None = None
    value: Long | None = strawberry.field(default=None, description="Minor units of `currency`.")
    currency: str | None = None


@strawberry.input
class LeadStageChangeInput:
    id: strawberry.ID
    lead_id: strawberry.ID
    stage: str
    occurred_at: datetime


@strawberry.input
class ExchangeRateInput:
    day: date
    currency: str
    rate: float = strawberry.field(description="Units of the base currency one unit bought.")


@strawberry.type(description="The batch was written, or every record was already stored.")
class IngestionAccepted:
    inserted: int
    unchanged: int
    data_version: Long


@strawberry.type(description="What is wrong with one record of a rejected batch.")
class RowError:
    index: int = strawberry.field(description="0-based position in `records`.")
    field: str | None = strawberry.field(description="The record's field, when one is to blame.")
    reason: str


@strawberry.type(description="The batch was refused whole; nothing of it was written.")
class IngestionRejected:
    errors: list[RowError]


IngestionResult: TypeAlias = Annotated[
    IngestionAccepted | IngestionRejected, strawberry.union("IngestionResult")
]


def result_from_report(report: IngestionReport) -> IngestionAccepted | IngestionRejected:
    if report.accepted:
        return IngestionAccepted(
            inserted=report.inserted,
            unchanged=report.unchanged,
            data_version=Long(report.data_version),
        )
    errors = [RowError(index=e.index, field=e.field, reason=e.reason) for e in report.errors]
    return IngestionRejected(errors=errors)
