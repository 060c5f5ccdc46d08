"""Where each kind of record goes: its table, its key, what it refers to, its row.

A destination turns a validated record's fields into the row its table
stores: times get their `day` and `month` buckets in the reporting time zone,
and money is converted into the base currency with the rate of its UTC day.
Where a table's columns are the record's fields, the row starts as a copy of
them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Any, cast

from sqlalchemy import Table

from saaslens.data.buckets import day_of, month_of
from saaslens.data.ingestion.currency import RateBook
from saaslens.data.ingestion.records import Fields, Kind
from saaslens.data.models import (
    Base,
    Customer,
    Event,
    ExchangeRate,
    Lead,
    LeadStageChange,
    Payment,
    SubscriptionChange,
)


def table_of(model: type[Base]) -> Table:
    """A model's table, typed as the Table it always is for our declarative models."""
    return cast(Table, model.__table__)


# A lead is at this stage until its first stage change arrives.
INITIAL_LEAD_STAGE = "new"


@dataclass(frozen=True)
class Reference:
    """A field naming a record of another kind, which must already be stored."""

    field: str
    target: Table
    noun: str


@dataclass(frozen=True)
class Destination:
    table: Table
    key_columns: tuple[str, ...]
    key: Callable[[Fields], Hashable]
    row: Callable[[Fields, int, tzinfo, RateBook], dict[str, Any]]
    references: tuple[Reference, ...] = ()
    money: Callable[[Fields], list[tuple[str, date]]] = lambda _record: []


def _by_id(record: Fields) -> Hashable:
    return record["id"]  # type: ignore[no-any-return]


def _customer(record: Fields, fingerprint: int, zone: tzinfo, _rates: RateBook) -> dict[str, Any]:
    created_at = record["created_at"]
    return {
        **record,
        "day": day_of(created_at, zone),
        "month": month_of(created_at, zone),
        "fingerprint": fingerprint,
    }


def _subscription_change(
    record: Fields, fingerprint: int, zone: tzinfo, rates: RateBook
) -> dict[str, Any]:
    return {
        "id": record["id"],
        "subscription_id": record["subscription_id"],
        "customer_id": record["customer_id"],
        "plan": record["plan"],
        "quantity": record["quantity"],
        "status": record["status"],
        "mrr": rates.to_base(record["mrr"], record["currency"], record["effective_at"]),
        "original_mrr": record["mrr"],
        "currency": record["currency"],
        "effective_at": record["effective_at"],
        "day": day_of(record["effective_at"], zone),
        "month": month_of(record["effective_at"], zone),
        "fingerprint": fingerprint,
    }


def _payment(record: Fields, fingerprint: int, zone: tzinfo, rates: RateBook) -> dict[str, Any]:
    return {
        "id": record["id"],
        "customer_id": record["customer_id"],
        "kind": record["kind"],
        "amount": rates.to_base(record["amount"], record["currency"], record["occurred_at"]),
        "original_amount": record["amount"],
        "currency": record["currency"],
        "occurred_at": record["occurred_at"],
        "day": day_of(record["occurred_at"], zone),
        "month": month_of(record["occurred_at"], zone),
        "fingerprint": fingerprint,
    }


def _event(record: Fields, fingerprint: int, zone: tzinfo, _rates: RateBook) -> dict[str, Any]:
    return {**record, "day": day_of(record["occurred_at"], zone), "fingerprint": fingerprint}


def _lead(record: Fields, fingerprint: int, zone: tzinfo, rates: RateBook) -> dict[str, Any]:
    value = record["value"]
    if value is not None and record["currency"] is not None:
        value = rates.to_base(value, record["currency"], record["created_at"])
    return {
        "id": record["id"],
        "source": record["source"],
        "campaign": record["campaign"],
        "country": record["country"],
        "company_size": record["company_size"],
        "industry": record["industry"],
        "attributes": record["attributes"],
        "stage": INITIAL_LEAD_STAGE,
        "converted_customer_id": record["converted_customer_id"],
        "value": value,
        "original_value": record["value"],
        "currency": record["currency"],
        "created_at": record["created_at"],
        "day": day_of(record["created_at"], zone),
        "month": month_of(record["created_at"], zone),
        "fingerprint": fingerprint,
    }


def _lead_value_money(record: Fields) -> list[tuple[str, date]]:
    if record["value"] is None or record["currency"] is None:
        return []
    return [(record["currency"], record["created_at"].date())]


def _lead_stage_change(
    record: Fields, fingerprint: int, zone: tzinfo, _rates: RateBook
) -> dict[str, Any]:
    return {**record, "day": day_of(record["occurred_at"], zone), "fingerprint": fingerprint}


def _exchange_rate(
    record: Fields, fingerprint: int, _zone: tzinfo, _rates: RateBook
) -> dict[str, Any]:
    return {**record, "fingerprint": fingerprint}


def _exchange_rate_key(record: Fields) -> Hashable:
    return (record["day"], record["currency"])


CUSTOMER = Reference("customer_id", table_of(Customer), "customer")
LEAD = Reference("lead_id", table_of(Lead), "lead")

DESTINATIONS: dict[Kind, Destination] = {
    Kind.CUSTOMERS: Destination(table_of(Customer), ("id",), _by_id, _customer),
    Kind.SUBSCRIPTION_CHANGES: Destination(
        table_of(SubscriptionChange),
        ("id",),
        _by_id,
        _subscription_change,
        references=(CUSTOMER,),
        money=lambda record: [(record["currency"], record["effective_at"].date())],
    ),
    Kind.PAYMENTS: Destination(
        table_of(Payment),
        ("id",),
        _by_id,
        _payment,
        references=(CUSTOMER,),
        money=lambda record: [(record["currency"], record["occurred_at"].date())],
    ),
    Kind.EVENTS: Destination(table_of(Event), ("id",), _by_id, _event, references=(CUSTOMER,)),
    Kind.LEADS: Destination(table_of(Lead), ("id",), _by_id, _lead, money=_lead_value_money),
    Kind.LEAD_STAGE_CHANGES: Destination(
        table_of(LeadStageChange), ("id",), _by_id, _lead_stage_change, references=(LEAD,)
    ),
    Kind.EXCHANGE_RATES: Destination(
        table_of(ExchangeRate), ("day", "currency"), _exchange_rate_key, _exchange_rate
    ),
}
