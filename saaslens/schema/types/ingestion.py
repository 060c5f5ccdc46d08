"""Inputs for ingesting records over GraphQL, and what a batch's ingestion returns.

Inputs carry what a source system sends; the record shapes in
saaslens.data.ingestion.records validate them, so a bad value is reported
per row with its field instead of failing the whole request.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, TypeAlias

import strawberry
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig
from strawberry.types.arguments import InputContext
from strawberry.types.base import get_object_definition

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


RECORD_INPUTS = (
    CustomerInput,
    SubscriptionChangeInput,
    PaymentInput,
    EventInput,
    LeadInput,
    LeadStageChangeInput,
    ExchangeRateInput,
)

# A record's fields would be strawberry inputs, the same python names.
RecordFields = dict[str, Any]


# GraphQL field name -> python name, per input type; one schema, so one naming.
_FIELD_NAMES: dict[type, dict[str, str]] = {}


def _field_names(cls: type, config: StrawberryConfig) -> dict[str, str]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        convert = config.name_converter.from_field
        fields = get_object_definition(cls, strict=True).fields
        names = _FIELD_NAMES[cls] = {convert(field): field.python_name for field in fields}
    return names


def _as_record_fields(cls: type, value: Mapping[str, Any], context: InputContext) -> RecordFields:
    """An input value as the record shape reads it: python names, enums as their values.

    graphql-core has already parsed every scalar. Building an input object per
    record, field by field, only to take it apart again, cost more than
    validating the record, so the inputs hand over plain fields instead.
    """
    names = _field_names(cls, context.config)
    return {
        names[name]: item.value if isinstance(item, Enum) else item
        for name, item in value.items()
        if item is not None
    }


for _input in RECORD_INPUTS:
    get_object_definition(_input, strict=True).from_input = _as_record_fields


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
