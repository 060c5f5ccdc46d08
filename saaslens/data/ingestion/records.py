"""The shape of each kind of record, validated before anything is written.

Each model accepts what a CSV cell or a JSON value carries (strings are
coerced to numbers and times) and yields a canonical record whose
fingerprint identifies its content.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)


class Kind(StrEnum):
    CUSTOMERS = "customers"
    SUBSCRIPTION_CHANGES = "subscription_changes"
    PAYMENTS = "payments"
    EVENTS = "events"
    LEADS = "leads"
    LEAD_STAGE_CHANGES = "lead_stage_changes"
    EXCHANGE_RATES = "exchange_rates"


def _utc(moment: datetime) -> datetime:
    """Times without an offset are read as UTC; every time is stored in UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


def _json_object(value: Any) -> Any:
    """A CSV cell holds a JSON object as text; an empty cell is an empty object."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            raise ValueError(f"not a JSON object: {error.msg}") from None
    return value


def _sorted_keys(document: dict[str, Any]) -> dict[str, Any]:
    """Key order carries no meaning, so it must not change the fingerprint."""
    return {key: _canonical(document[key]) for key in sorted(document)}


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return _sorted_keys(value)
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


SourceId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Label = Annotated[Text | None, BeforeValidator(_blank_to_none)]
CountryCode = Annotated[str, StringConstraints(to_upper=True, pattern=r"^[A-Za-z]{2}$")]
Country = Annotated[CountryCode | None, BeforeValidator(_blank_to_none)]
Currency = Annotated[str, StringConstraints(to_upper=True, pattern=r"^[A-Za-z]{3}$")]
Moment = Annotated[datetime, AfterValidator(_utc)]
Document = Annotated[dict[str, Any], BeforeValidator(_json_object), AfterValidator(_sorted_keys)]
MinorUnits = Annotated[int, Field(ge=0, le=10**15)]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def fingerprint(self) -> int:
        """A signed 64-bit digest of the content, the same on every run.

        Fields serialise in declaration order, so equal content gives equal text.
        """
        digest = hashlib.blake2b(self.model_dump_json().encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big", signed=True)


class CustomerRecord(Record):
    id: SourceId
    name: Name
    email: Annotated[str | None, BeforeValidator(_blank_to_none)] = None
    country: Country = None
    segment: Label = None
    attributes: Document = Field(default_factory=dict)
    created_at: Moment


class SubscriptionChangeRecord(Record):
    id: SourceId
    subscription_id: SourceId
    customer_id: SourceId
    plan: Name
    quantity: Annotated[int, Field(ge=0)] = 1
    mrr: MinorUnits
    currency: Currency
    status: Literal["trialing", "active", "past_due", "canceled"]
    effective_at: Moment


class PaymentRecord(Record):
    id: SourceId
    customer_id: SourceId
    amount: Annotated[int, Field(gt=0, le=10**15)]
    currency: Currency
    kind: Literal["charge", "refund"] = "charge"
    occurred_at: Moment


class EventRecord(Record):
    id: SourceId
    customer_id: SourceId
    user_id: SourceId
    name: Name
    occurred_at: Moment
    properties: Document = Field(default_factory=dict)


class LeadRecord(Record):
    id: SourceId
    source: Label = None
    campaign: Label = None
    country: Country = None
    company_size: Annotated[
        Annotated[int, Field(ge=0)] | None, BeforeValidator(_blank_to_none)
    ] = None
    industry: Label = None
    attributes: Document = Field(default_factory=dict)
    created_at: Moment
    converted_customer_id: Annotated[SourceId | None, BeforeValidator(_blank_to_none)] = None
    value: Annotated[MinorUnits | None, BeforeValidator(_blank_to_none)] = None
    currency: Annotated[Currency | None, BeforeValidator(_blank_to_none)] = None

    @model_validator(mode="after")
    def _value_has_currency(self) -> LeadRecord:
        if self.value is not None and self.currency is None:
            raise ValueError("a lead's value needs its currency")
        return self


class LeadStageChangeRecord(Record):
    id: SourceId
    lead_id: SourceId
    stage: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1)]
    occurred_at: Moment


class ExchangeRateRecord(Record):
    day: date
    currency: Currency
    rate: Annotated[float, Field(gt=0, allow_inf_nan=False)]


RECORDS: dict[Kind, type[Record]] = {
    Kind.CUSTOMERS: CustomerRecord,
    Kind.SUBSCRIPTION_CHANGES: SubscriptionChangeRecord,
    Kind.PAYMENTS: PaymentRecord,
    Kind.EVENTS: EventRecord,
    Kind.LEADS: LeadRecord,
    Kind.LEAD_STAGE_CHANGES: LeadStageChangeRecord,
    Kind.EXCHANGE_RATES: ExchangeRateRecord,
}
