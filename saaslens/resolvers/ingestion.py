"""Ingesting a batch of records of one kind per mutation."""

from __future__ import annotations

from enum import Enum
from typing import Any

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
    SubscriptionChangeInput,
    result_from_report,
)


def _fields(record: object) -> dict[str, Any]:
    """An input as the record shape reads it: enums as their values, unset fields absent."""
    return {
        name: value.value if isinstance(value, Enum) else value
        for name, value in vars(record).items()
        if value is not None
    }


async def _ingest(info: Info, kind: Kind, records: list[Any]) -> IngestionResult:
    settings = info.context.settings
    if len(records) > settings.max_ingest_batch:
        raise InvalidInput(
            f"at most {settings.max_ingest_batch} records per mutation, not {len(records)}; "
            "split the batch"
        )
    rows = [_fields(record) for record in records]
    async with info.context.db() as session:
        report = await ingest(session, kind, rows, settings)
    return result_from_report(report)


async def ingest_customers(info: Info, records: list[CustomerInput]) -> IngestionResult:
    return await _ingest(info, Kind.CUSTOMERS, records)


async def ingest_subscription_changes(
    info: Info, records: list[SubscriptionChangeInput]
) -> IngestionResult:
    return await _ingest(info, Kind.SUBSCRIPTION_CHANGES, records)


async def ingest_payments(info: Info, records: list[PaymentInput]) -> IngestionResult:
    return await _ingest(info, Kind.PAYMENTS, records)


async def ingest_events(info: Info, records: list[EventInput]) -> IngestionResult:
    return await _ingest(info, Kind.EVENTS, records)


async def ingest_leads(info: Info, records: list[LeadInput]) -> IngestionResult:
    return await _ingest(info, Kind.LEADS, records)


async def ingest_lead_stage_changes(
    info: Info, records: list[LeadStageChangeInput]
) -> IngestionResult:
    return await _ingest(info, Kind.LEAD_STAGE_CHANGES, records)


async def ingest_exchange_rates(info: Info, records: list[ExchangeRateInput]) -> IngestionResult:
    return await _ingest(info, Kind.EXCHANGE_RATES, records)
