"""Batch ingestion on real stores: atomic batches, idempotent re-sends, conflicts, money."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.config import Settings, load_settings
from saaslens.data.ingestion import IngestionReport, Kind, RowError, ingest
from saaslens.data.models import (
    Customer,
    Event,
    Lead,
    Payment,
    Subscription,
    SubscriptionChange,
)
from saaslens.data.state import data_version

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def settings(store_url: str) -> Settings:
    return load_settings(database_url=store_url, base_currency="USD")


def customer(number: int, **changes: Any) -> dict[str, Any]:
    return {
        "id": f"c{number}",
        "name": f"Customer {number}",
        "email": f"owner{number}@example.com",
        "country": "de",
        "created_at": "2024-01-05T10:00:00Z",
        **changes,
    }


def event(number: int, **changes: Any) -> dict[str, Any]:
    return {
        "id": f"e{number}",
        "customer_id": "c1",
        "user_id": "u1",
        "name": "report.viewed",
        "occurred_at": "2024-02-01T12:00:00+00:00",
        "properties": {"b": 2, "a": 1},
        **changes,
    }


async def run(
    sessions: Sessions, kind: Kind, rows: list[dict[str, Any]], settings: Settings
) -> IngestionReport:
    async with sessions() as session:
        return await ingest(session, kind, rows, settings)


async def count(sessions: Sessions, model: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def version(sessions: Sessions) -> int:
    async with sessions() as session:
        return await data_version(session)


async def test_accepted_batch_inserts_rows_and_bumps_the_data_version(
    sessions: Sessions, settings: Settings
) -> None:
    report = await run(sessions, Kind.CUSTOMERS, [customer(1), customer(2)], settings)

    assert report.accepted
    assert (report.inserted, report.unchanged, report.data_version) == (2, 0, 1)
    async with sessions() as session:
        stored = await session.get(Customer, "c1")
    assert stored is not None
    assert stored.country == "DE"
    assert stored.created_at == datetime(2024, 1, 5, 10, tzinfo=UTC)
    assert (stored.day, stored.month) == (19727, 2024 * 12)


async def test_one_bad_row_rejects_the_batch_and_writes_nothing(
    sessions: Sessions, settings: Settings
) -> None:
    rows = [customer(1), customer(2, created_at="yesterday"), customer(3, name="")]

    report = await run(sessions, Kind.CUSTOMERS, rows, settings)

    assert not report.accepted
    assert [(error.index, error.field) for error in report.errors] == [
        (1, "created_at"),
        (2, "name"),
    ]
    assert "yesterday" in report.errors[0].reason
    assert await count(sessions, Customer) == 0
    assert await version(sessions) == 0


async def test_a_missing_field_and_an_unknown_column_are_named(
    sessions: Sessions, settings: Settings
) -> None:
    row = customer(1, colour="blue")
    del row["name"]

    report = await run(sessions, Kind.CUSTOMERS, [row], settings)

    assert {(error.field, error.reason) for error in report.errors} == {
        ("name", "Field required"),
        ("colour", "Extra inputs are not permitted (got 'blue')"),
    }


async def test_resending_a_batch_changes_nothing(sessions: Sessions, settings: Settings) -> None:
    await run(sessions, Kind.CUSTOMERS, [customer(1)], settings)
    rows = [event(1), event(2)]
    first = await run(sessions, Kind.EVENTS, rows, settings)
    # Key order of a JSON object is not content, so this is the same record.
    resent = [event(1, properties={"a": 1, "b": 2}), event(2)]

    second = await run(sessions, Kind.EVENTS, resent, settings)

    assert (first.inserted, first.data_version) == (2, 2)
    assert second.accepted
    assert (second.inserted, second.unchanged, second.data_version) == (0, 2, 2)
    assert await count(sessions, Event) == 2
    assert await version(sessions) == 2


async def test_a_changed_record_with_a_stored_id_is_a_conflict(
    sessions: Sessions, settings: Settings
) -> None:
    await run(sessions, Kind.CUSTOMERS, [customer(1)], settings)

    report = await run(
        sessions, Kind.CUSTOMERS, [customer(2), customer(1, name="Renamed")], settings
    )

    assert report.errors == [RowError(1, "id", "'c1' is already stored with different content")]
    assert await count(sessions, Customer) == 1


async def test_ids_in_any_characters_are_found_again_when_resent_or_changed(
    sessions: Sessions, settings: Settings
) -> None:
    ids = ["Straße-7", "客户😀", 'quote"back\\slash', "tab\tinside"]
    customers = [customer(1, id=id) for id in ids]
    events = [event(n, id=f"e-{id}", customer_id=id) for n, id in enumerate(ids)]
    await run(sessions, Kind.CUSTOMERS, customers, settings)
    await run(sessions, Kind.EVENTS, events, settings)

    resent = await run(sessions, Kind.EVENTS, events, settings)
    changed = await run(sessions, Kind.CUSTOMERS, [customer(1, id=ids[1], name="New")], settings)

    assert (resent.inserted, resent.unchanged) == (0, len(ids))
    assert changed.errors == [
        RowError(0, "id", f"{ids[1]!r} is already stored with different content")
    ]
    assert await count(sessions, Event) == len(ids)


async def test_duplicates_inside_a_batch_count_once_or_conflict(
    sessions: Sessions, settings: Settings
) -> None:
    same = await run(sessions, Kind.CUSTOMERS, [customer(1), customer(1)], settings)
    different = await run(
        sessions, Kind.CUSTOMERS, [customer(2), customer(2, segment="smb")], settings
    )

    assert (same.inserted, same.unchanged) == (1, 1)
    assert different.errors == [RowError(1, "id", "'c2' differs from row 0 of this batch")]


async def test_events_of_an_unknown_customer_are_refused(
    sessions: Sessions, settings: Settings
) -> None:
    await run(sessions, Kind.CUSTOMERS, [customer(1)], settings)

    report = await run(sessions, Kind.EVENTS, [event(1), event(2, customer_id="c404")], settings)

    assert report.errors == [RowError(1, "customer_id", "no customer with id 'c404' is stored")]
    assert await count(sessions, Event) == 0


def payment(number: int, amount: int, currency: str, at: str) -> dict[str, Any]:
    return {
        "id": f"p{number}",
        "customer_id": "c1",
        "amount": amount,
        "currency": currency,
        "occurred_at": at,
    }


def rate(day: str, currency: str, value: float) -> dict[str, Any]:
    return {"day": day, "currency": currency, "rate": value}


async def test_a_missing_exchange_rate_is_refused(sessions: Sessions, settings: Settings) -> None:
    await run(sessions, Kind.CUSTOMERS, [customer(1)], settings)
    await run(sessions, Kind.EXCHANGE_RATES, [rate("2024-03-01", "EUR", 1.1)], settings)

    report = await run(
        sessions,
        Kind.PAYMENTS,
        [
            payment(1, 1000, "EUR", "2024-03-01T23:30:00Z"),
            payment(2, 1000, "EUR", "2024-03-02T00:30:00Z"),
        ],
        settings,
    )

    assert report.errors == [RowError(1, "currency", "no exchange rate for EUR on 2024-03-02")]
    assert await count(sessions, Payment) == 0


async def test_amounts_convert_to_base_minor_units_with_the_days_rate(
    sessions: Sessions, settings: Settings
) -> None:
    await run(sessions, Kind.CUSTOMERS, [customer(1)], settings)
    rates = [
        rate("2024-03-01", "EUR", 1.0825),
        rate("2024-03-02", "EUR", 1.1),
        rate("2024-03-01", "JPY", 0.006667),
        rate("2024-03-01", "KWD", 3.25),
    ]
    await run(sessions, Kind.EXCHANGE_RATES, rates, settings)
    payments = [
        # 12.34 EUR * 1.0825 = 13.358050 USD -> 1336 cents
        payment(1, 1234, "EUR", "2024-03-01T08:00:00Z"),
        # the next UTC day has its own rate: 12.34 EUR * 1.1 = 13.574 USD -> 1357 cents
        payment(2, 1234, "EUR", "2024-03-02T08:00:00+05:00"),
        # yen have no minor unit: 15000 JPY * 0.006667 = 100.005 USD -> 10000 cents (even)
        payment(3, 15000, "JPY", "2024-03-01T08:00:00Z"),
        # fils are thousandths: 1.500 KWD * 3.25 = 4.875 USD -> 488 cents (even)
        payment(4, 1500, "KWD", "2024-03-01T08:00:00Z"),
        payment(5, 999, "USD", "2024-03-05T08:00:00Z"),
    ]

    report = await run(sessions, Kind.PAYMENTS, payments, settings)

    assert report.accepted, report.errors
    async with sessions() as session:
        stored = {
            payment.id: (payment.amount, payment.original_amount, payment.currency)
            for payment in await session.scalars(select(Payment))
        }
    assert stored == {
        "p1": (1336, 1234, "EUR"),
        "p2": (1357, 1234, "EUR"),
        "p3": (10000, 15000, "JPY"),
        "p4": (488, 1500, "KWD"),
        "p5": (999, 999, "USD"),
    }


async def test_a_base_currency_of_yen_gets_whole_yen(store_url: str, sessions: Sessions) -> None:
    settings = load_settings(database_url=store_url, base_currency="JPY")
    await run(sessions, Kind.CUSTOMERS, [customer(1)], settings)
    await run(sessions, Kind.EXCHANGE_RATES, [rate("2024-03-01", "EUR", 162.5)], settings)

    await run(sessions, Kind.PAYMENTS, [payment(1, 1999, "EUR", "2024-03-01T00:00Z")], settings)

    async with sessions() as session:
        stored = await session.get(Payment, "p1")
    # 19.99 EUR * 162.5 = 3248.375 JPY -> 3248 yen
    assert stored is not None
    assert stored.amount == 3248


def change(number: int, subscription: str, status: str, mrr: int, at: str) -> dict[str, Any]:
    return {
        "id": f"sc{number}",
        "subscription_id": subscription,
        "customer_id": "c1",
        "plan": "pro" if mrr >= 5000 else "basic",
        "mrr": mrr,
        "currency": "USD",
        "status": status,
        "effective_at": at,
    }


async def test_subscriptions_follow_their_latest_change(
    sessions: Sessions, settings: Settings
) -> None:
    await run(sessions, Kind.CUSTOMERS, [customer(1)], settings)
    await run(
        sessions,
        Kind.SUBSCRIPTION_CHANGES,
        [
            change(1, "s1", "trialing", 0, "2024-01-01T00:00Z"),
            change(2, "s1", "active", 2900, "2024-01-15T00:00Z"),
            change(3, "s2", "active", 9900, "2024-02-01T00:00Z"),
        ],
        settings,
    )
    # A late-arriving change older than the stored latest must not win.
    await run(
        sessions,
        Kind.SUBSCRIPTION_CHANGES,
        [
            change(4, "s1", "active", 5900, "2024-03-01T00:00Z"),
            change(5, "s2", "past_due", 9900, "2024-01-20T00:00Z"),
        ],
        settings,
    )

    async with sessions() as session:
        subscriptions = {s.id: s for s in await session.scalars(select(Subscription))}
    first, second = subscriptions["s1"], subscriptions["s2"]
    assert (first.status, first.mrr, first.plan, first.change_count) == ("active", 5900, "pro", 3)
    assert first.started_at == datetime(2024, 1, 1, tzinfo=UTC)
    assert first.updated_at == datetime(2024, 3, 1, tzinfo=UTC)
    assert (second.status, second.change_count) == ("active", 2)
    assert second.started_at == datetime(2024, 1, 20, tzinfo=UTC)
    assert await count(sessions, SubscriptionChange) == 5


async def test_a_lead_takes_the_stage_of_its_latest_change(
    sessions: Sessions, settings: Settings
) -> None:
    lead = {"id": "l1", "source": "ads", "created_at": "2024-01-01T00:00Z"}
    await run(sessions, Kind.LEADS, [lead, {**lead, "id": "l2"}], settings)
    stages = [
        {"id": "st1", "lead_id": "l1", "stage": "Qualified", "occurred_at": "2024-01-02T00:00Z"},
        {"id": "st2", "lead_id": "l1", "stage": "won", "occurred_at": "2024-01-09T00:00Z"},
        {"id": "st3", "lead_id": "l1", "stage": "demo", "occurred_at": "2024-01-05T00:00Z"},
    ]

    report = await run(sessions, Kind.LEAD_STAGE_CHANGES, stages, settings)
    refused = await run(
        sessions,
        Kind.LEAD_STAGE_CHANGES,
        [{**stages[0], "id": "st4", "lead_id": "l9"}],
        settings,
    )

    assert report.inserted == 3
    assert refused.errors == [RowError(0, "lead_id", "no lead with id 'l9' is stored")]
    async with sessions() as session:
        assert {lead.id: lead.stage for lead in await session.scalars(select(Lead))} == {
            "l1": "won",
            "l2": "new",
        }


async def test_a_changed_exchange_rate_is_a_conflict(
    sessions: Sessions, settings: Settings
) -> None:
    await run(sessions, Kind.EXCHANGE_RATES, [rate("2024-03-01", "EUR", 1.08)], settings)

    same = await run(sessions, Kind.EXCHANGE_RATES, [rate("2024-03-01", "eur", 1.08)], settings)
    changed = await run(sessions, Kind.EXCHANGE_RATES, [rate("2024-03-01", "EUR", 1.09)], settings)

    assert (same.inserted, same.unchanged) == (0, 1)
    assert changed.errors == [
        RowError(0, None, "2024-03-01 EUR is already stored with different content")
    ]


async def test_buckets_follow_the_reporting_time_zone(store_url: str, sessions: Sessions) -> None:
    settings = load_settings(database_url=store_url, reporting_time_zone="America/New_York")
    # 03:00 UTC on 1 March is still 29 February in New York.
    await run(sessions, Kind.CUSTOMERS, [customer(1, created_at="2024-03-01T03:00Z")], settings)

    async with sessions() as session:
        stored = await session.get(Customer, "c1")
    assert stored is not None
    assert (stored.day, stored.month) == ((date(2024, 2, 29) - date(1970, 1, 1)).days, 24289)


async def test_nested_key_order_does_not_make_a_conflict(
    sessions: Sessions, settings: Settings
) -> None:
    await run(sessions, Kind.CUSTOMERS, [customer(1)], settings)
    nested = {"b": [{"y": 1, "x": 2}], "a": {"d": 1, "c": 2}}
    reordered = {"a": {"c": 2, "d": 1}, "b": [{"x": 2, "y": 1}]}
    await run(sessions, Kind.EVENTS, [event(1, properties=nested)], settings)

    same = await run(sessions, Kind.EVENTS, [event(1, properties=reordered)], settings)
    # Order inside a list is content.
    changed = await run(
        sessions, Kind.EVENTS, [event(1, properties={**nested, "b": [{}, {"x": 2}]})], settings
    )

    assert (same.accepted, same.unchanged) == (True, 1)
    assert [error.field for error in changed.errors] == ["id"]


async def test_a_lead_value_needs_its_currency_and_converts(
    sessions: Sessions, settings: Settings
) -> None:
    await run(sessions, Kind.EXCHANGE_RATES, [rate("2024-01-01", "EUR", 1.25)], settings)
    lead = {"id": "l1", "created_at": "2024-01-01T12:00Z", "value": 10000}

    refused = await run(sessions, Kind.LEADS, [lead], settings)
    accepted = await run(sessions, Kind.LEADS, [{**lead, "currency": "eur"}], settings)

    assert refused.errors == [RowError(0, None, "a lead's value needs its currency")]
    assert accepted.accepted
    async with sessions() as session:
        stored = await session.get(Lead, "l1")
    assert stored is not None
    assert (stored.value, stored.original_value, stored.currency) == (12500, 10000, "EUR")


async def test_concurrent_batches_with_one_new_id_give_one_insert_and_one_conflict(
    sessions: Sessions, settings: Settings
) -> None:
    reports = await asyncio.gather(
        run(sessions, Kind.CUSTOMERS, [customer(1, name="First")], settings),
        run(sessions, Kind.CUSTOMERS, [customer(1, name="Second")], settings),
    )

    assert sorted(report.inserted for report in reports) == [0, 1]
    [rejected] = [report for report in reports if not report.accepted]
    assert rejected.errors == [RowError(0, "id", "'c1' is already stored with different content")]
    assert await version(sessions) == 1
