"""The shape of each kind of record, validated before anything is written.

Each model accepts what a CSV cell or a JSON value carries (strings are
coerced to numbers and times) and yields a canonical record whose
fingerprint identifies its content. Ingestion reads the models through a
Shape, which applies the same checks but hands the record over as its fields.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
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
from pydantic_core import CoreSchema, SchemaSerializer, SchemaValidator, core_schema


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


def _without_nul(text: str) -> str:
    """PostgreSQL's text and JSON cannot hold the NUL character; refused on SQLite too,
    so a record is accepted by both stores or by neither."""
    if "\x00" in text:
        raise ValueError("contains the NUL character (U+0000), which the store cannot hold")
    return text


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
    return {_without_nul(key): _canonical(document[key]) for key in sorted(document)}


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return _sorted_keys(value)
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    if isinstance(value, str):
        return _without_nul(value)
    return value


NoNul = AfterValidator(_without_nul)
SourceId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), NoNul
]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul
]
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul
]
Label = Annotated[Text | None, BeforeValidator(_blank_to_none)]
CountryCode = Annotated[str, StringConstraints(to_upper=True, pattern=r"^[A-Za-z]{2}$")]
Country = Annotated[CountryCode | None, BeforeValidator(_blank_to_none)]
Currency = Annotated[str, StringConstraints(to_upper=True, pattern=r"^[A-Za-z]{3}$")]
Moment = Annotated[datetime, AfterValidator(_utc)]
Document = Annotated[dict[str, Any], BeforeValidator(_json_object), AfterValidator(_sorted_keys)]
MinorUnits = Annotated[int, Field(ge=0, le=10**15)]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CustomerRecord(Record):
    id: SourceId
    name: Name
    email: Annotated[Annotated[str, NoNul] | None, BeforeValidator(_blank_to_none)] = None
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


# A validated record as its fields, in the order its model declares them.
Fields = dict[str, Any]


class Shape:
    """A record model's checks, yielding the record's fields instead of an instance.

    Building a model instance per row, and serialising it back, cost more than
    the checks themselves on the ingestion path. A shape runs the model's own
    field validators, defaults and extra-field rule, so a row passes or fails
    with the same errors; a model with checks across fields (a lead) is still
    validated whole.
    """

    def __init__(self, model: type[Record], plain: Plain | None = None) -> None:
        fields, config = _fields_schema(model.__pydantic_core_schema__)
        self._model = model
        self._plain = plain
        self._fields_only = model.__pydantic_core_schema__["type"] == "model"
        self._validator = SchemaValidator(fields, config)
        self._serializer = SchemaSerializer(_as_typed_dict(fields))

    def validate(self, row: Mapping[str, Any]) -> Fields:
        """The record's fields, or a pydantic ValidationError naming each bad field."""
        if self._plain is not None and (plain := self._plain(row)) is not None:
            return plain
        if self._fields_only:
            fields: Fields = self._validator.validate_python(row)[0]
            return fields
        return dict(self._model.model_validate(row))

    def fingerprint(self, fields: Fields) -> int:
        """A signed 64-bit digest of the content, the same on every run.

        It digests the model's JSON of the record, in declaration order, so
        equal content gives equal text.
        """
        text = self._serializer.to_json(fields)
        return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big", signed=True)


def _fields_schema(schema: CoreSchema) -> tuple[CoreSchema, Any]:
    """The fields part of a model's schema, under any model-wide validators."""
    while schema["type"] != "model":
        schema = schema["schema"]
    return schema["schema"], schema.get("config")


def _as_typed_dict(fields: CoreSchema) -> CoreSchema:
    """The model's fields as a typed dict, so the fields serialise as the model does."""
    return core_schema.typed_dict_schema(
        {
            name: core_schema.typed_dict_field(field["schema"])
            for name, field in fields["fields"].items()
        }
    )


# The fields of a row that plainly passes its model's checks, or None to leave
# the row to the model, which then accepts it too or names what is wrong.
Plain = Callable[[Mapping[str, Any]], Fields | None]

# What a time usually looks like: ISO 8601 with seconds, perhaps milli- or
# microseconds and an offset. Python reads these exactly as the model does.
_USUAL_MOMENT = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{3}|\.\d{6})?(?:Z|[+-]\d\d:\d\d)?"
)
_EVENT_FIELDS = frozenset(EventRecord.model_fields)


def _plain_text(value: Any, longest: int) -> bool:
    """Text that needs no stripping; ASCII, so no character set can tell otherwise."""
    return (
        type(value) is str
        and 0 < len(value) <= longest
        and value.isascii()
        and "\x00" not in value
        and not value[0].isspace()
        and not value[-1].isspace()
    )


def _plain_moment(value: Any) -> datetime | None:
    if type(value) is str:
        if _USUAL_MOMENT.fullmatch(value) is None:
            return None
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    elif type(value) is not datetime:
        return None
    return _utc(value)


def _plain_document(value: Any) -> dict[str, Any] | None:
    if value is None or value == "":
        return {}
    if type(value) is str:
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    if type(value) is not dict:
        return None
    if not all(type(key) is str and key.isascii() for key in value):
        return None
    try:
        return _sorted_keys(value)
    except ValueError:
        # A NUL character somewhere: the model refuses the row and says where.
        return None


def _plain_event(row: Mapping[str, Any]) -> Fields | None:
    """An event row in the shape nearly every event arrives in, checked in a few
    comparisons: the hottest path of ingestion, where the general checks cost
    more than writing the row."""
    if not _EVENT_FIELDS.issuperset(row):
        return None
    id, customer_id, user_id, name = (
        row.get("id"),
        row.get("customer_id"),
        row.get("user_id"),
        row.get("name"),
    )
    if not (
        _plain_text(id, 128)
        and _plain_text(customer_id, 128)
        and _plain_text(user_id, 128)
        and _plain_text(name, 200)
    ):
        return None
    occurred_at = _plain_moment(row.get("occurred_at"))
    properties = _plain_document(row.get("properties"))
    if occurred_at is None or properties is None:
        return None
    return {
        "id": id,
        "customer_id": customer_id,
        "user_id": user_id,
        "name": name,
        "occurred_at": occurred_at,
        "properties": properties,
    }


SHAPES: dict[Kind, Shape] = {
    kind: Shape(model, _plain_event if kind is Kind.EVENTS else None)
    for kind, model in RECORDS.items()
}
