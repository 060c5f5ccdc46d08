"""Ingesting a batch of records of one kind per mutation."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from saaslens.data.ingestion import Kind, ingest
from saaslens.errors import InvalidInput
from saaslens.schema.context import Info
from saaslens.schema.types.ingestion import (
    CustomerInput,
    EventInput,
    ExchangeRateInput,
    IngestionResult,
    LeadInput,
    LeadStageChangeInput,
    PaymentInput,
    RecordFields,
    SubscriptionChangeInput,
    result_from_report,
)


def records_of(input_type: type) -> Any:
    """The `records` argument: typed as a list of `input_type` in the schema, and
    received as the plain fields of each record (see RecordFields)."""
    return strawberry.argument(graphql_type=list[input_type])  # type: ignore[valid-type]


async def _ingest(info: Info, kind: Kind, records: list[RecordFields]) -> IngestionResult:
    settings = info.context.settings
    if len(records) > settings.max_ingest_batch:
        raise InvalidInput(
            f"at most {settings.max_ingest_batch} records per mutation, not {len(records)}; "
            "split the batch"
        )
    async with info.context.db() as session:
        report = await ingest(session, kind, records, settings)
    return result_from_report(report)


async def ingest_customers(
    info: Info, records: Annotated[list[RecordFields], records_of(CustomerInput)]
) -> IngestionResult:
    return await _ingest(info, Kind.CUSTOMERS, records)


async def ingest_subscription_changes(
    info: Info, records: Annotated[list[RecordFields], records_of(SubscriptionChangeInput)]
) -> IngestionResult:
    return await _ingest(info, Kind.SUBSCRIPTION_CHANGES, records)


async def ingest_payments(
    info: Info, records: Annotated[list[RecordFields], records_of(PaymentInput)]
) -> IngestionResult:
    return await _ingest(info, Kind.PAYMENTS, records)


async def ingest_events(
    info: Info, records: Annotated[list[RecordFields], records_of(EventInput)]
) -> IngestionResult:
    return await _ingest(info, Kind.EVENTS, records)


async def ingest_leads(
    info: Info, records: Annotated[list[RecordFields], records_of(LeadInput)]
) -> IngestionResult:
    return await _ingest(info, Kind.LEADS, records)


async def ingest_lead_stage_changes(
    info: Info, records: Annotated[list[RecordFields], records_of(LeadStageChangeInput)]
) -> IngestionResult:
    return await _ingest(info, Kind.LEAD_STAGE_CHANGES, records)


async def ingest_exchange_rates(
    info: Info, records: Annotated[list[RecordFields], records_of(ExchangeRateInput)]
) -> IngestionResult:
    return await _ingest(info, Kind.EXCHANGE_RATES, records)
