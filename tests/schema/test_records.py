from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests import factories
from tests.api import Api

JAN = datetime(2024, 1, 15, 12, tzinfo=UTC)
FEB = datetime(2024, 2, 15, 12, tzinfo=UTC)

CUSTOMERS = """
query ($first: Int!, $after: String, $filter: CustomerFilterInput) {
  customers(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id name country segment attributes createdAt } }
  }
}
"""

CUSTOMER = """
query ($id: ID!) {
  customer(id: $id) {
    id name
    subscriptionHistory { id plan status mrr { amount currency } effectiveAt }
    payments { id kind amount { amount currency } originalAmount { amount currency } }
  }
}
"""


async def _seed(sessions: async_sessionmaker[AsyncSession]) -> None:
    upgrade = factories.change("ch2", "sub1", "c1", 9900, FEB, plan="scale")
    first = factories.change("ch1", "sub1", "c1", 4900, JAN)
    async with sessions() as session:
        await factories.add_all(
            session,
            factories.customer("c1", JAN, country="DE", attributes={"seats": 5}),
            factories.customer("c2", JAN, segment="enterprise"),
            factories.customer("c3", FEB, name="Acme Corp"),
        )
        await factories.add_all(
            session,
            first,
            upgrade,
            factories.subscription_from([first, upgrade]),
            factories.payment("p1", "c1", 4900, JAN),
            factories.payment("p2", "c1", 8500, FEB, original_amount=7800, currency="EUR"),
        )


async def test_customers_page_through_in_id_order(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await _seed(sessions)

    first = await api.data(CUSTOMERS, {"first": 2})
    second = await api.data(
        CUSTOMERS, {"first": 2, "after": first["customers"]["pageInfo"]["endCursor"]}
    )

    assert [edge["node"]["id"] for edge in first["customers"]["edges"]] == ["c1", "c2"]
    assert first["customers"]["pageInfo"]["hasNextPage"] is True
    assert first["customers"]["totalCount"] == 3
    assert [edge["node"]["id"] for edge in second["customers"]["edges"]] == ["c3"]
    assert second["customers"]["pageInfo"]["hasNextPage"] is False
    assert first["customers"]["edges"][0]["node"]["attributes"] == {"seats": 5}
    assert first["customers"]["edges"][0]["node"]["createdAt"] == "2024-01-15T12:00:00+00:00"


async def test_customers_filtered_by_segment_country_and_search(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await _seed(sessions)

    async def ids(filter: dict[str, object]) -> list[str]:
        data = await api.data(CUSTOMERS, {"first": 10, "filter": filter})
        return [edge["node"]["id"] for edge in data["customers"]["edges"]]

    assert await ids({"segment": "enterprise"}) == ["c2"]
    assert await ids({"country": "de"}) == ["c1"]
    assert await ids({"search": "ACME"}) == ["c3"]
    assert await ids({"createdAfter": "2024-02-01T00:00:00Z"}) == ["c3"]
    # A time without an offset is UTC, as ingestion reads one.
    assert await ids({"createdAfter": "2024-02-01T00:00:00"}) == ["c3"]
    assert await ids({"createdBefore": "2024-02-01T05:00:00+05:00"}) == ["c1", "c2"]


async def test_a_time_outside_the_utc_calendar_is_bad_input(api: Api) -> None:
    body = await api.post_graphql(
        CUSTOMERS, {"first": 1, "filter": {"createdAfter": "0001-01-01T00:00:00+05:00"}}
    )

    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "outside the years 1 to 9999 in UTC" in error["message"]


async def test_customer_with_history_and_payments_in_both_currencies(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await _seed(sessions)

    customer = (await api.data(CUSTOMER, {"id": "c1"}))["customer"]

    assert [change["plan"] for change in customer["subscriptionHistory"]] == ["growth", "scale"]
    assert customer["subscriptionHistory"][1]["mrr"] == {"amount": 9900, "currency": "USD"}
    assert customer["payments"][1]["amount"] == {"amount": 8500, "currency": "USD"}
    assert customer["payments"][1]["originalAmount"] == {"amount": 7800, "currency": "EUR"}


async def test_subscriptions_show_current_state(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await _seed(sessions)

    data = await api.data(
        "{ subscriptions(first: 5, filter: {status: ACTIVE}) "
        "{ totalCount edges { node { id plan mrr { amount } changeCount startedAt } } } }"
    )

    node = data["subscriptions"]["edges"][0]["node"]
    assert data["subscriptions"]["totalCount"] == 1
    assert node == {
        "id": "sub1",
        "plan": "scale",
        "mrr": {"amount": 9900},
        "changeCount": 2,
        "startedAt": "2024-01-15T12:00:00+00:00",
    }


async def test_unknown_customer_is_not_found(api: Api) -> None:
    body = await api.post_graphql(CUSTOMER, {"id": "nobody"})

    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "nobody" in body["errors"][0]["message"]


async def test_page_larger_than_the_cap_is_refused(api: Api) -> None:
    body = await api.post_graphql(CUSTOMERS, {"first": api.settings.max_page_size + 1})

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert str(api.settings.max_page_size) in body["errors"][0]["message"]


@pytest.mark.parametrize("cursor", ["%%%", "Ç爒"])
async def test_forged_cursor_is_bad_input(api: Api, cursor: str) -> None:
    body = await api.post_graphql(CUSTOMERS, {"first": 1, "after": cursor})

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "not a cursor this API issued" in body["errors"][0]["message"]


async def test_malformed_document_carries_a_code(api: Api) -> None:
    body = await api.post_graphql("{ customers(first: 1) { nope } }")

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
