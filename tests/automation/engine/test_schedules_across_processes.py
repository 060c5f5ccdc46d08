"""Real API processes: schedules run once across processes; alerts reach websocket watchers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.auth.roles import Role
from tests.automation.conftest import Server
from tests.automation.engine.test_subscriptions import Serve, add_script, request, websocket
from tests.metrics.book import Book

SCHEDULE = """
mutation ($input: CreateScheduleInput!) {
  createSchedule(input: $input) { __typename ... on Schedule { id } }
}
"""
SCHEDULED = """
query { executions(first: 100) { edges { node { trigger worker snapshot } } } }
"""
RULE = """
mutation ($input: CreateAlertRuleInput!) {
  createAlertRule(input: $input) { ... on AlertRule { id } }
}
"""
EVALUATE = """
mutation ($id: ID!) { evaluateAlertRule(id: $id) { ... on AlertCheck { alert { id } } } }
"""
ALERTS = "subscription { alerts { id ruleId value snapshot } }"


async def fire_times(server: Server) -> list[str]:
    edges = (await server.data(SCHEDULED))["executions"]["edges"]
    return [
        edge["node"]["snapshot"]["schedule"]["fire_time"]
        for edge in edges
        if edge["node"]["trigger"] == "schedule"
    ]


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
async def test_two_processes_run_each_scheduled_fire_time_once(serve: Serve) -> None:
    first, second = await serve(), await serve()
    script = await add_script(second, "print('tick')")

    made = await second.data(
        SCHEDULE, {"input": {"scriptId": script, "kind": "INTERVAL", "intervalSeconds": 1}}
    )
    async with asyncio.timeout(20):
        # The runs are rows written by other processes; polling is how we see them.
        while len(await fire_times(first)) < 4:  # noqa: ASYNC110
            await asyncio.sleep(0.2)

    runs = await fire_times(first)
    assert made["createSchedule"]["__typename"] == "Schedule"
    assert len(runs) == len(set(runs))


async def test_a_viewer_watches_alerts_an_analyst_checks_for(
    serve: Serve, sessions: async_sessionmaker[AsyncSession]
) -> None:
    book = Book()
    now = datetime.now(UTC)
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    book.change("s1", book.customer("c1", start), start, "active", 900)
    await book.write(sessions)
    server = await serve()
    rule = (
        await server.data(
            RULE,
            {"input": {"name": "big", "metric": "MRR", "condition": "ABOVE", "threshold": 500}},
        )
    )["createAlertRule"]["id"]
    analyst, viewer = (
        {"authorization": f"Bearer {server.people[role].token}"}
        for role in (Role.ANALYST, Role.VIEWER)
    )

    async with websocket(server) as session, asyncio.timeout(20):
        feed = session.subscribe(request(ALERTS))
        heard = asyncio.ensure_future(anext(feed))
        await asyncio.sleep(0.5)
        refused = await post(server, EVALUATE, rule, viewer)
        checked = await post(server, EVALUATE, rule, analyst)
        alert = (await heard)["alerts"]

    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert alert["id"] == checked["data"]["evaluateAlertRule"]["alert"]["id"]
    assert (alert["ruleId"], alert["value"], alert["snapshot"]["value"]) == (rule, 900.0, 900.0)


async def post(server: Server, query: str, rule: str, headers: dict[str, str]) -> dict[str, Any]:
    response = await server.client.post(
        "/graphql", json={"query": query, "variables": {"id": rule}}, headers=headers
    )
    body: dict[str, Any] = response.json()
    return body
