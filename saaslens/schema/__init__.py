"""The GraphQL schema, assembled from one root type per area."""

from __future__ import annotations

from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from saaslens.schema.accounts import AccountsMutation, AccountsQuery
from saaslens.schema.alerts import AlertsMutation, AlertsQuery, AlertsSubscription
from saaslens.schema.automation import AutomationMutation, AutomationQuery, AutomationSubscription
from saaslens.schema.cohorts import CohortsQuery
from saaslens.schema.errors import ErrorShaping, Schema
from saaslens.schema.execution import PlainRecordExecution
from saaslens.schema.ingestion import IngestionMutation
from saaslens.schema.metrics import MetricsQuery
from saaslens.schema.predictions import PredictionsMutation, PredictionsQuery
from saaslens.schema.records import RecordsQuery
from saaslens.schema.schedules import SchedulesMutation, SchedulesQuery
from saaslens.schema.statistics import StatisticsQuery
from saaslens.schema.store import StoreSubscription
from saaslens.schema.types.scalars import SCALARS

QUERIES: tuple[type, ...] = (
    RecordsQuery,
    AccountsQuery,
    AutomationQuery,
    MetricsQuery,
    StatisticsQuery,
    PredictionsQuery,
    SchedulesQuery,
    AlertsQuery,
    CohortsQuery,
)
MUTATIONS: tuple[type, ...] = (
    AccountsMutation,
    IngestionMutation,
    AutomationMutation,
    PredictionsMutation,
    SchedulesMutation,
    AlertsMutation,
)
SUBSCRIPTIONS: tuple[type, ...] = (
    StoreSubscription,
    AutomationSubscription,
    AlertsSubscription,
)


# Distinct documents kept parsed and validated. Dashboards send a few dozen;
# the bound keeps a client sending endless variations from growing memory.
DOCUMENT_CACHE_SIZE = 512


def _root(name: str, types: tuple[type, ...]) -> type | None:
    return merge_types(name, types) if types else None


schema = Schema(
    query=merge_types("Query", QUERIES),
    mutation=_root("Mutation", MUTATIONS),
    # "Subscription" already names a customer's SaaS subscription.
    subscription=_root("RootSubscription", SUBSCRIPTIONS),
    # Both caches key on everything their step depends on: the parser's on the
    # text and parse options (a token limit), the validator's on the schema,
    # the document's syntax tree and the tuple of rules in force.
    extensions=[
        ErrorShaping,
        lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
    ],
    config=StrawberryConfig(scalar_map=SCALARS),
    execution_context_class=PlainRecordExecution,
)
