"""Types for the ingested records: customers, subscriptions, payments."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import Row
from strawberry.scalars import JSON

from saaslens.data import models
from saaslens.schema.context import Info
from saaslens.schema.types.scalars import Long


@strawberry.type(description="An amount in minor units (cents) of a currency.")
class Money:
    amount: Long
    currency: str


@strawberry.enum
class SubscriptionStatus(Enum):
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"


@strawberry.enum
class PaymentKind(Enum):
    CHARGE = "charge"
    REFUND = "refund"


@strawberry.type
class SubscriptionChange:
    id: strawberry.ID
    subscription_id: strawberry.ID
    plan: str
    quantity: int
    status: SubscriptionStatus
    mrr: Money = strawberry.field(description="In the base currency.")
    original_mrr: Money
    effective_at: datetime


# The related records below are read through the request's loaders, so a
# page of rows that asks for them costs one statement per field, not per row.


async def _holder(root: Subscription, info: Info) -> Customer:
    row = await info.context.loaders.customer.load(str(root.customer_id))
    if row is None:
        raise LookupError(f"subscription {root.id} names no stored customer")
    return customer_from_row(row)


async def _subscriptions(root: Customer, info: Info) -> list[Subscription]:
    rows = await info.context.loaders.subscriptions.load(str(root.id))
    base = info.context.settings.base_currency
    return [subscription_from_row(row, base) for row in rows]


async def _payments(root: Customer, info: Info) -> list[Payment]:
    rows = await info.context.loaders.payments.load(str(root.id))
    base = info.context.settings.base_currency
    return [payment_from_row(row, base) for row in rows]


@strawberry.type
class Subscription:
    id: strawberry.ID
    customer_id: strawberry.ID
    plan: str
    quantity: int
    status: SubscriptionStatus
    mrr: Money = strawberry.field(description="In the base currency.")
    original_mrr: Money
    started_at: datetime
    updated_at: datetime
    change_count: int
    customer: Customer = strawberry.field(
        resolver=_holder,
        description="The customer who holds the subscription.",
    )


@strawberry.type
class Payment:
    id: strawberry.ID
    kind: PaymentKind
    amount: Money = strawberry.field(description="In the base currency.")
    original_amount: Money
    occurred_at: datetime


@strawberry.type
class Customer:
    id: strawberry.ID
    name: str
    email: str | None
    country: str | None
    segment: str | None
    attributes: JSON
    created_at: datetime
    subscriptions: list[Subscription] = strawberry.field(
        resolver=_subscriptions,
        description="Its subscriptions in their current state, in id order.",
    )
    payments: list[Payment] = strawberry.field(
        resolver=_payments,
        description="Its charges and refunds, oldest first.",
    )


@strawberry.type(description="A customer with their subscription history and payments.")
class CustomerDetail(Customer):
    subscription_history: list[SubscriptionChange]
    payments: list[Payment]


@strawberry.input
class CustomerFilterInput:
    country: str | None = None
    segment: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    search: str | None = strawberry.field(
        default=None, description="Part of the name or email, any case."
    )


@strawberry.input
class SubscriptionFilterInput:
    customer_id: strawberry.ID | None = None
    plan: str | None = None
    status: SubscriptionStatus | None = None


def money(amount: int, currency: str) -> Money:
    return Money(amount=Long(amount), currency=currency)


def customer_from_row(row: models.Customer | Row[Any]) -> Customer:
    return Customer(
        id=strawberry.ID(row.id),
        name=row.name,
        email=row.email,
        country=row.country,
        segment=row.segment,
        attributes=JSON(row.attributes),
        created_at=row.created_at,
    )


def subscription_from_row(row: models.Subscription | Row[Any], base_currency: str) -> Subscription:
    return Subscription(
        id=strawberry.ID(row.id),
        customer_id=strawberry.ID(row.customer_id),
        plan=row.plan,
        quantity=row.quantity,
        status=SubscriptionStatus(row.status),
        mrr=money(row.mrr, base_currency),
        original_mrr=money(row.original_mrr, row.currency),
        started_at=row.started_at,
        updated_at=row.updated_at,
        change_count=row.change_count,
    )


def change_from_row(row: models.SubscriptionChange, base_currency: str) -> SubscriptionChange:
    return SubscriptionChange(
        id=strawberry.ID(row.id),
        subscription_id=strawberry.ID(row.subscription_id),
        plan=row.plan,
        quantity=row.quantity,
        status=SubscriptionStatus(row.status),
        mrr=money(row.mrr, base_currency),
        original_mrr=money(row.original_mrr, row.currency),
        effective_at=row.effective_at,
    )


def payment_from_row(row: models.Payment, base_currency: str) -> Payment:
    return Payment(
        id=strawberry.ID(row.id),
        kind=PaymentKind(row.kind),
        amount=money(row.amount, base_currency),
        original_amount=money(row.original_amount, row.currency),
        occurred_at=row.occurred_at,
    )
