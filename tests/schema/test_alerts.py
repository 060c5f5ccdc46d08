"""Alert rules over GraphQL: admins author, analysts check, viewers only read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.auth.roles import Role
from tests.api import Api, add_person
from tests.metrics.book import Book

RULE_FIELDS = "id name metric condition threshold enabled segment { plan }"
CREATE = f"""
mutation ($input: CreateAlertRuleInput!) {{
  createAlertRule(input: $input) {{
    __typename
    ... on AlertRule {{ {RULE_FIELDS} }}
    ... on AlertRuleInvalid {{ message }}
    ... on ScriptNotFound {{ message }}
  }}
}}
"""
EVALUATE = """
mutation ($id: ID!) {
  evaluateAlertRule(id: $id) {
    __typename
    ... on AlertCheck { value holds coolingDown alert { id ruleId value snapshot } }
    ... on AlertRuleNotFound { message }
  }
}
"""
ENABLE = """
mutation ($id: ID!, $enabled: Boolean!) {
  setAlertRuleEnabled(id: $id, enabled: $enabled) { __typename ... on AlertRule { enabled } }
}
"""
DELETE = """
mutation ($id: ID!) {
  deleteAlertRule(id: $id) { __typename ... on AlertRuleNotFound { message } }
}
"""
ALERTS = "query { alerts { id value } alertRules { id enabled } }"


async def paying(sessions: async_sessionmaker[AsyncSession], count: int) -> None:
    """`count` customers paying 100 a month each since the start of this month."""
    book = Book()
    now = datetime.now(UTC)
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    for number in range(count):
        customer = book.customer(f"c{number}", start)
        book.change(f"s{number}", customer, start, "active", 100)
    await book.write(sessions)


async def create(api: Api, **given: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await api.data(CREATE, {"input": given}))["createAlertRule"]
    return result


async def test_an_analyst_checks_a_rule_that_fires_once_per_cool_down(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await paying(sessions, 3)
    rule = await create(api, name="mrr over 250", metric="MRR", condition="ABOVE", threshold=250.0)
    analyst = api.as_bearer((await add_person(api.settings, "a@example.com", Role.ANALYST)).token)

    fired = (await analyst.data(EVALUATE, {"id": rule["id"]}))["evaluateAlertRule"]
    cooling = (await analyst.data(EVALUATE, {"id": rule["id"]}))["evaluateAlertRule"]
    listed = await api.data(ALERTS)

    assert rule["__typename"] == "AlertRule"
    assert (fired["value"], fired["holds"], fired["coolingDown"]) == (300.0, True, False)
    assert fired["alert"]["snapshot"]["value"] == 300.0
    assert fired["alert"]["snapshot"]["threshold"] == 250.0
    assert (cooling["holds"], cooling["coolingDown"], cooling["alert"]) == (True, True, None)
    assert listed["alerts"] == [{"id": fired["alert"]["id"], "value": 300.0}]


async def test_expected_refusals_are_results(api: Api) -> None:
    no_threshold = await create(api, name="x", metric="MRR", condition="ABOVE")
    no_script = await create(
        api, name="x", metric="MRR", condition="ABOVE", threshold=1.0, scriptId="404"
    )
    rule = await create(
        api, name="x", metric="ARPA", condition="BELOW", threshold=1.0, segment={"plan": "pro"}
    )
    disabled = await api.data(ENABLE, {"id": rule["id"], "enabled": False})
    deleted = (await api.data(DELETE, {"id": rule["id"]}))["deleteAlertRule"]
    again = (await api.data(EVALUATE, {"id": rule["id"]}))["evaluateAlertRule"]

    assert no_threshold == {
        "__typename": "AlertRuleInvalid",
        "message": "an above condition needs a threshold",
    }
    assert no_script["__typename"] == "ScriptNotFound"
    assert rule["segment"] == {"plan": "pro"}
    assert disabled["setAlertRuleEnabled"] == {"__typename": "AlertRule", "enabled": False}
    assert deleted == {"__typename": "AlertRule"}
    assert again == {
        "__typename": "AlertRuleNotFound",
        "message": f"no alert rule has id {rule['id']}",
    }


async def test_viewers_read_but_neither_author_nor_check(api: Api) -> None:
    rule = await create(api, name="x", metric="MRR", condition="ABOVE", threshold=1.0)
    viewer = api.as_bearer((await add_person(api.settings, "v@example.com", Role.VIEWER)).token)
    analyst = api.as_bearer((await add_person(api.settings, "a@example.com", Role.ANALYST)).token)

    checks = await viewer.post_graphql(EVALUATE, {"id": rule["id"]})
    authors = await analyst.post_graphql(
        CREATE, {"input": {"name": "y", "metric": "MRR", "condition": "ABOVE", "threshold": 1}}
    )

    assert checks["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert authors["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await viewer.data(ALERTS))["alertRules"] == [{"id": rule["id"], "enabled": True}]
