"""Ingestion mutations over real HTTP on the real application."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.auth.roles import Role
from saaslens.config import Settings, load_settings
from saaslens.data.models import Customer, Event, Subscription
from tests.api import Api, add_person

RESULT = """
    __typename
    ... on IngestionAccepted { inserted unchanged dataVersion }
    ... on IngestionRejected { errors { index field reason } }
"""


def mutation(field: str, input_type: str) -> str:
    return f"mutation ($records: [{input_type}!]!) {{ {field}(records: $records) {{ {RESULT} }} }}"


CUSTOMERS = mutation("ingestCustomers", "CustomerInput")
EVENTS = mutation("ingestEvents", "EventInput")
CHANGES = mutation("ingestSubscriptionChanges", "SubscriptionChangeInput")


@pytest.fixture
def settings(store_url: str) -> Settings:
    return load_settings(database_url=store_url, max_ingest_batch=3)


def customer(number: int) -> dict[str, Any]:
    return {"id": f"c{number}", "name": f"Customer {number}", "createdAt": "2024-01-01T00:00:00Z"}


def event(number: int, customer_id: str = "c1") -> dict[str, Any]:
    return {
        "id": f"e{number}",
        "customerId": customer_id,
        "userId": "u1",
        "name": "report.viewed",
        "occurredAt": "2024-02-01T09:30:00Z",
        "properties": {"page": "mrr"},
    }


async def count(sessions: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_ingested_events_are_accepted_and_a_resend_changes_nothing(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customers = await api.data(CUSTOMERS, {"records": [customer(1)]})
    first = await api.data(EVENTS, {"records": [event(1), event(2)]})
    again = await api.data(EVENTS, {"records": [event(1), event(2)]})

    assert customers["ingestCustomers"]["dataVersion"] == 1
    assert first["ingestEvents"] == {
        "__typename": "IngestionAccepted",
        "inserted": 2,
        "unchanged": 0,
        "dataVersion": 2,
    }
    assert again["ingestEvents"]["inserted"] == 0
    assert again["ingestEvents"]["unchanged"] == 2
    assert again["ingestEvents"]["dataVersion"] == 2
    assert await count(sessions, Event) == 2


async def test_a_batch_with_bad_records_is_rejected_naming_each(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await api.data(CUSTOMERS, {"records": [customer(1)]})
    blank_name = {**event(2), "name": "  "}

    data = await api.data(EVENTS, {"records": [event(1), blank_name, event(3, "c404")]})

    assert data["ingestEvents"]["__typename"] == "IngestionRejected"
    errors = data["ingestEvents"]["errors"]
    assert [(error["index"], error["field"]) for error in errors] == [
        (1, "name"),
        (2, "customer_id"),
    ]
    assert errors[1]["reason"] == "no customer with id 'c404' is stored"
    assert await count(sessions, Event) == 0


async def test_text_with_the_nul_character_is_rejected_on_every_store(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await api.data(CUSTOMERS, {"records": [customer(1)]})
    nul_name = {**event(1), "name": "report\x00viewed"}
    nul_property = {**event(2), "properties": {"page": "m\x00rr"}}

    data = await api.data(EVENTS, {"records": [nul_name, nul_property]})

    assert data["ingestEvents"]["__typename"] == "IngestionRejected"
    errors = data["ingestEvents"]["errors"]
    assert [(error["index"], error["field"]) for error in errors] == [
        (0, "name"),
        (1, "properties"),
    ]
    assert "NUL character" in errors[0]["reason"]
    assert await count(sessions, Event) == 0


async def test_more_records_than_the_cap_are_refused_as_bad_input(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    body = await api.post_graphql(CUSTOMERS, {"records": [customer(n) for n in range(4)]})

    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"].startswith("at most 3 records per mutation, not 4")


async def test_subscription_changes_keep_the_subscription_current(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await api.data(CUSTOMERS, {"records": [customer(1)]})
    change = {
        "subscriptionId": "s1",
        "customerId": "c1",
        "plan": "pro",
        "currency": "USD",
    }
    records = [
        {**change, "id": "x1", "mrr": 0, "status": "TRIALING", "effectiveAt": "2024-01-01T00:00Z"},
        {
            **change,
            "id": "x2",
            "mrr": 4900,
            "status": "ACTIVE",
            "effectiveAt": "2024-01-15T00:00Z",
        },
    ]

    data = await api.data(CHANGES, {"records": records})

    assert data["ingestSubscriptionChanges"]["inserted"] == 2
    async with sessions() as session:
        subscription = await session.get(Subscription, "s1")
    assert subscription is not None
    assert (subscription.status, subscription.mrr, subscription.change_count) == (
        "active",
        4900,
        2,
    )


async def test_a_time_that_is_not_iso_8601_is_bad_input(api: Api) -> None:
    body = await api.post_graphql(EVENTS, {"records": [{**event(1), "occurredAt": "Tuesday"}]})

    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == "Value cannot represent a DateTime: 'Tuesday'; expected ISO 8601"


async def test_ingestion_needs_the_admin_role(
    anonymous: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    analyst = await add_person(anonymous.settings, "analyst@example.com", Role.ANALYST)

    body = await anonymous.as_bearer(analyst.token).post_graphql(
        CUSTOMERS, {"records": [customer(1)]}
    )

    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]
    assert await count(sessions, Customer) == 0
