"""Pages of the ingested records themselves: customers, subscriptions, payments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from saaslens.data.models import Customer, Payment, Subscription, SubscriptionChange


@dataclass(frozen=True)
class CustomerFilter:
    country: str | None = None
    segment: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    search: str | None = None


@dataclass(frozen=True)
class SubscriptionFilter:
    customer_id: str | None = None
    plan: str | None = None
    status: str | None = None


RowT = TypeVar("RowT")


@dataclass(frozen=True)
class Page(Generic[RowT]):
    rows: Sequence[RowT]
    total: int


customers = Customer.__table__
subscriptions = Subscription.__table__


def _filter_customers(statement: Select[Any], where: CustomerFilter) -> Select[Any]:
    if where.country is not None:
        statement = statement.where(Customer.country == where.country.upper())
    if where.segment is not None:
        statement = statement.where(Customer.segment == where.segment)
    if where.created_after is not None:
        statement = statement.where(Customer.created_at >= where.created_after)
    if where.created_before is not None:
        statement = statement.where(Customer.created_at < where.created_before)
    if where.search:
        pattern = f"%{where.search.lower()}%"
        statement = statement.where(
            func.lower(Customer.name).like(pattern) | func.lower(Customer.email).like(pattern)
        )
    return statement


def _filter_subscriptions(statement: Select[Any], where: SubscriptionFilter) -> Select[Any]:
    if where.customer_id is not None:
        statement = statement.where(Subscription.customer_id == where.customer_id)
    if where.plan is not None:
        statement = statement.where(Subscription.plan == where.plan)
    if where.status is not None:
        statement = statement.where(Subscription.status == where.status)
    return statement


async def _keyset_page(
    session: AsyncSession,
    statement: Select[Any],
    key: InstrumentedAttribute[str],
    after: str | None,
    limit: int,
) -> Page[Row[Any]]:
    """Rows ordered by `key` after the cursor value `after`, with the filtered total.

    Plain rows, with the table's columns as attributes: a page can hold thousands,
    and building an ORM object for each costs more than reading it.
    """
    total = await session.scalar(select(func.count()).select_from(statement.subquery()))
    if after is not None:
        statement = statement.where(key > after)
    rows = (await session.execute(statement.order_by(key).limit(limit))).all()
    return Page(rows=rows, total=total or 0)


async def customers_page(
    session: AsyncSession, where: CustomerFilter, after: str | None, limit: int
) -> Page[Row[Any]]:
    statement = _filter_customers(select(*customers.c), where)
    return await _keyset_page(session, statement, Customer.id, after, limit)


async def subscriptions_page(
    session: AsyncSession, where: SubscriptionFilter, after: str | None, limit: int
) -> Page[Row[Any]]:
    statement = _filter_subscriptions(select(*subscriptions.c), where)
    return await _keyset_page(session, statement, Subscription.id, after, limit)


async def customer(session: AsyncSession, customer_id: str) -> Customer | None:
    return await session.get(Customer, customer_id)


async def subscription_history(
    session: AsyncSession, customer_id: str
) -> Sequence[SubscriptionChange]:
    """Every change of the customer's subscriptions, oldest first."""
    statement = (
        select(SubscriptionChange)
        .where(SubscriptionChange.customer_id == customer_id)
        .order_by(SubscriptionChange.effective_at, SubscriptionChange.id)
    )
    return (await session.scalars(statement)).all()


async def payments(session: AsyncSession, customer_id: str) -> Sequence[Payment]:
    statement = (
        select(Payment)
        .where(Payment.customer_id == customer_id)
        .order_by(Payment.occurred_at, Payment.id)
    )
    return (await session.scalars(statement)).all()


async def customers_by_id(session: AsyncSession, ids: Sequence[str]) -> Sequence[Customer]:
    """The customers of `ids` that exist, in no particular order."""
    return (await session.scalars(select(Customer).where(Customer.id.in_(ids)))).all()


async def subscriptions_of(
    session: AsyncSession, customer_ids: Sequence[str]
) -> Sequence[Subscription]:
    """The current subscriptions of several customers, in id order."""
    statement = (
        select(Subscription)
        .where(Subscription.customer_id.in_(customer_ids))
        .order_by(Subscription.id)
    )
    return (await session.scalars(statement)).all()


async def payments_of(session: AsyncSession, customer_ids: Sequence[str]) -> Sequence[Payment]:
    """The payments of several customers, oldest first."""
    statement = (
        select(Payment)
        .where(Payment.customer_id.in_(customer_ids))
        .order_by(Payment.occurred_at, Payment.id)
    )
    return (await session.scalars(statement)).all()
