"""Mutations that ingest the business's records, one kind per mutation."""

from __future__ import annotations

import strawberry

from saaslens.resolvers import ingestion
from saaslens.schema.permissions import CanIngest, needs
from saaslens.schema.types.ingestion import IngestionResult

_BATCH = (
    " A batch is validated whole and written atomically: one bad record rejects it"
    " with every bad record's index, field and reason. Re-sent identical records"
    " change nothing; the same id with other content is a conflict."
    " At most SAASLENS_MAX_INGEST_BATCH records per call."
)


@strawberry.type
class IngestionMutation:
    ingest_customers: IngestionResult = strawberry.field(
        resolver=ingestion.ingest_customers,
        extensions=needs(CanIngest),
        description="Ingest customers." + _BATCH,
    )
    ingest_subscription_changes: IngestionResult = strawberry.field(
        resolver=ingestion.ingest_subscription_changes,
        extensions=needs(CanIngest),
        description="Ingest subscription changes; MRR converts at the day's rate." + _BATCH,
    )
    ingest_payments: IngestionResult = strawberry.field(
        resolver=ingestion.ingest_payments,
        extensions=needs(CanIngest),
        description="Ingest payments; amounts convert at the day's rate." + _BATCH,
    )
    ingest_events: IngestionResult = strawberry.field(
        resolver=ingestion.ingest_events,
        extensions=needs(CanIngest),
        description="Ingest product usage events." + _BATCH,
    )
    ingest_leads: IngestionResult = strawberry.field(
        resolver=ingestion.ingest_leads,
        extensions=needs(CanIngest),
        description="Ingest leads." + _BATCH,
    )
    ingest_lead_stage_changes: IngestionResult = strawberry.field(
        resolver=ingestion.ingest_lead_stage_changes,
        extensions=needs(CanIngest),
        description="Ingest lead stage changes; each lead takes its latest stage." + _BATCH,
    )
    ingest_exchange_rates: IngestionResult = strawberry.field(
        resolver=ingestion.ingest_exchange_rates,
        extensions=needs(CanIngest),
        description="Ingest daily exchange rates into the base currency." + _BATCH,
    )
