"""Reading what was ingested: customer and subscription pages, one customer."""

from __future__ import annotations

import strawberry

from saaslens.data.queries import records
from saaslens.errors import NotFound
from saaslens.schema.connections import Connection, build_connection, decode_cursor, page_size
from saaslens.schema.context import Info
from saaslens.schema.types.records import (
    Customer,
    CustomerDetail,
    CustomerFilterInput,
    Subscription,
    SubscriptionFilterInput,
    change_from_row,
    customer_from_row,
    payment_from_row,
    subscription_from_row,
)


async def customers(
    info: Info,
    first: int = 20,
    after: str | None = None,
    filter: CustomerFilterInput | None = None,
) -> Connection[Customer]:
    limit = page_size(first, info.context.settings)
    where = records.CustomerFilter(**vars(filter)) if filter else records.CustomerFilter()
    async with info.context.db() as session:
        page = await records.customers_page(session, where, decode_cursor(after), limit + 1)
    return build_connection(page.rows, limit, page.total, lambda row: row.id, customer_from_row)


async def subscriptions(
    info: Info,
    first: int = 20,
    after: str | None = None,
    filter: SubscriptionFilterInput | None = None,
) -> Connection[Subscription]:
    limit = page_size(first, info.context.settings)
    where = records.SubscriptionFilter(
        customer_id=filter.customer_id if filter else None,
        plan=filter.plan if filter else None,
        status=filter.status.value if filter and filter.status else None,
    )
    base = info.context.settings.base_currency
    async with info.context.db() as session:
        page = await records.subscriptions_page(session, where, decode_cursor(after), limit + 1)
    return build_connection(
        page.rows,
        limit,
        page.total,
        lambda row: row.id,
        lambda row: subscription_from_row(row, base),
    )


async def customer(info: Info, id: strawberry.ID) -> CustomerDetail:
    base = info.context.settings.base_currency
    async with info.context.db() as session:
        row = await records.customer(session, str(id))
        if row is None:
            raise NotFound(f"no customer has id {id!r}")
        history = await records.subscription_history(session, row.id)
        payments = await records.payments(session, row.id)
    summary = customer_from_row(row)
    return CustomerDetail(
        **vars(summary),
        subscription_history=[change_from_row(change, base) for change in history],
        payments=[payment_from_row(payment, base) for payment in payments],
    )
