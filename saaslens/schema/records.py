"""Root fields that read the ingested records."""

from __future__ import annotations

import strawberry

from saaslens.resolvers import records
from saaslens.schema.connections import Connection
from saaslens.schema.types.records import Customer, CustomerDetail, Subscription


@strawberry.type
class RecordsQuery:
    customers: Connection[Customer] = strawberry.field(
        resolver=records.customers, description="Customers in id order, filtered."
    )
    subscriptions: Connection[Subscription] = strawberry.field(
        resolver=records.subscriptions, description="Subscriptions in their current state."
    )
    customer: CustomerDetail = strawberry.field(
        resolver=records.customer,
        description="One customer with their subscription history and payments.",
    )
