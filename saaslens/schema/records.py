"""Root fields that read the ingested records."""

from __future__ import annotations

import strawberry

from saaslens.resolvers import records
from saaslens.schema.connections import Connection
from saaslens.schema.permissions import IsViewer, needs
from saaslens.schema.types.records import Customer, CustomerDetail, Subscription


@strawberry.type
class RecordsQuery:
    customers: Connection[Customer] = strawberry.field(
        resolver=records.customers,
        extensions=needs(IsViewer),
        description="Customers in id order, filtered.",
    )
    subscriptions: Connection[Subscription] = strawberry.field(
        resolver=records.subscriptions,
        extensions=needs(IsViewer),
        description="Subscriptions in their current state.",
    )
    customer: CustomerDetail = strawberry.field(
        resolver=records.customer,
        extensions=needs(IsViewer),
        description="One customer with their subscription history and payments.",
    )
