"""The GraphQL schema, assembled from one root type per area."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from saaslens.schema.errors import ErrorShaping
from saaslens.schema.metrics import MetricsQuery
from saaslens.schema.records import RecordsQuery
from saaslens.schema.types.scalars import SCALARS

QUERIES: tuple[type, ...] = (RecordsQuery, MetricsQuery)
MUTATIONS: tuple[type, ...] = ()
SUBSCRIPTIONS: tuple[type, ...] = ()


def _root(name: str, types: tuple[type, ...]) -> type | None:
    return merge_types(name, types) if types else None


schema = strawberry.Schema(
    query=merge_types("Query", QUERIES),
    mutation=_root("Mutation", MUTATIONS),
    subscription=_root("Subscription", SUBSCRIPTIONS),
    extensions=[ErrorShaping],
    config=StrawberryConfig(scalar_map=SCALARS),
)
