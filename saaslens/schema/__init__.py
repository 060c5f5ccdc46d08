"""The GraphQL schema, assembled from one root type per area."""

from __future__ import annotations

from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from saaslens.schema.accounts import AccountsMutation, AccountsQuery
from saaslens.schema.alerts import AlertsMutation, AlertsQuery, AlertsSubscription
from saaslens.schema.automation import AutomationMutation, AutomationQuery, AutomationSubscription
from saaslens.schema.cohorts import CohortsQuery
from saaslens.schema.documents import ParsedDocuments, ValidatedDocuments
from saaslens.schema.errors import ErrorShaping, Schema
from saaslens.schema.execution import PlainRecordExecution
from saaslens.schema.ingestion import IngestionMutation
from saaslens.schema.limits import QueryLimits
from saaslens.schema.metrics import MetricsQuery
from saaslens.schema.predictions import PredictionsMutation, PredictionsQuery
from saaslens.schema.recommendations import RecommendationsQuery
from saaslens.schema.records import RecordsQuery
from saaslens.schema.router import OperationNaming
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
    RecommendationsQuery,
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


def _root(name: str, types: tuple[type, ...]) -> type | None:
    return merge_types(name, types) if types else None


schema = Schema(
    query=merge_types("Query", QUERIES),
    mutation=_root("Mutation", MUTATIONS),
    # "Subscription" already names a customer's SaaS subscription.
    subscription=_root("RootSubscription", SUBSCRIPTIONS),
    # The validation cache comes before QueryLimits, which validates only
    # what no extension before it has.
    extensions=[ErrorShaping, OperationNaming, ParsedDocuments, ValidatedDocuments, QueryLimits],
    config=StrawberryConfig(scalar_map=SCALARS),
    execution_context_class=PlainRecordExecution,
)
