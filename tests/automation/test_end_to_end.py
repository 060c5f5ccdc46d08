"""Sign-in, analytics and automation together, on a real API process and a real websocket.

An admin signs in, makes a script from the churn alert template and a rule
on the customer churn rate. Cancellations ingested through the API push
churn over the line; the rule, checked through the API, fires; the script
runs in the subprocess sandbox with the metric snapshot and names the
customers who cancelled. An analyst's websocket sees every step; a viewer
may watch and read but not run.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from saaslens.auth.roles import Role
from tests.api import PASSWORD
from tests.automation.conftest import Server
from tests.automation.engine.test_subscriptions import Serve, request, websocket

CUSTOMERS = 10
CANCELLED = ["cust-2", "cust-5", "cust-7"]
LINE = 0.2

SIGN_IN = """
mutation ($email: String!, $password: String!) {
  signIn(email: $email, password: $password, bearer: true) {
    __typename
    ... on SignedIn { token user { role } }
    ... on SignInFailed { message }
  }
}
"""
INGEST = """
mutation (
  $customers: [CustomerInput!]!, $changes: [SubscriptionChangeInput!]!, $events: [EventInput!]!
) {
  ingestCustomers(records: $customers) { __typename }
  ingestSubscriptionChanges(records: $changes) { __typename }
  ingestEvents(records: $events) { __typename }
}
"""
CANCEL = """
mutation ($changes: [SubscriptionChangeInput!]!) {
  ingestSubscriptionChanges(records: $changes) { __typename }
}
"""
FROM_TEMPLATE = """
mutation ($parameters: JSON!) {
  createScriptFromTemplate(template: "churn_alert", parameters: $parameters) {
    ... on Script { id }
  }
}
"""
RULE = """
mutation ($input: CreateAlertRuleInput!) {
  createAlertRule(input: $input) { __typename ... on AlertRule { id } }
}
"""
EVALUATE = """
mutation ($id: ID!) {
  evaluateAlertRule(id: $id) {
    ... on AlertCheck { value holds alert { id executionId } }
  }
}
"""
ALERTS = "subscription ($ruleId: ID) { alerts(ruleId: $ruleId) { id executionId snapshot } }"
STATES = """
subscription ($scriptId: ID) {
  executionStateChanges(scriptId: $scriptId) { state execution { id } }
}
"""
FOLLOW = """
subscription ($id: ID!) {
  executionUpdates(id: $id) {
    __typename
    ... on ExecutionStateChange { state execution { id trigger snapshot result } }
    ... on ExecutionOutput { lines { line } }
  }
}
"""
EXECUTION = "query ($id: ID!) { execution(id: $id) { state trigger } }"
RUN = "mutation ($id: ID!) { runScript(scriptId: $id) { __typename } }"


def business(now: datetime) -> dict[str, list[dict[str, Any]]]:
    """Ten customers paying since three months ago, each using the product every day."""
    joined = (now - timedelta(days=90)).isoformat()
    customers, changes, events = [], [], []
    for number in range(1, CUSTOMERS + 1):
        id = f"cust-{number}"
        customers.append({"id": id, "name": f"Customer {number}", "createdAt": joined})
        changes.append(subscription_change(id, "ACTIVE", 1000 * number, joined))
        events += [
            {
                "id": f"{id}-event-{day}",
                "customerId": id,
                "userId": f"{id}-user",
                "name": "report.viewed",
                "occurredAt": (now - timedelta(days=day)).isoformat(),
            }
            for day in range(60)
        ]
    return {"customers": customers, "changes": changes, "events": events}


def subscription_change(customer: str, status: str, mrr: int, at: str) -> dict[str, Any]:
    return {
        "id": f"{customer}-{status.lower()}",
        "subscriptionId": f"{customer}-subscription",
        "customerId": customer,
        "plan": "pro",
        "mrr": mrr,
        "currency": "USD",
        "status": status,
        "effectiveAt": at,
    }


async def post(server: Server, token: str | None, query: str, **variables: Any) -> dict[str, Any]:
    """A request as the holder of `token` (anyone, when None), not the fixture's admin."""
    async with httpx.AsyncClient(base_url=str(server.client.base_url), timeout=30) as client:
        headers = {} if token is None else {"authorization": f"Bearer {token}"}
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
    body: dict[str, Any] = response.json()
    return body


async def data(server: Server, token: str | None, query: str, **variables: Any) -> dict[str, Any]:
    body = await post(server, token, query, **variables)
    assert "errors" not in body, body["errors"]
    found: dict[str, Any] = body["data"]
    return found


async def collect(feed: Any, until: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    async for result in feed:
        seen.append(result)
        if until(result):
            return seen
    return seen


async def test_cancellations_fire_the_churn_rule_and_its_script_names_who_left(
    serve: Serve,
) -> None:
    server = await serve()
    now = datetime.now(UTC) - timedelta(minutes=1)
    admin_email = server.people[Role.ADMIN].email
    signed_in = (await data(server, None, SIGN_IN, email=admin_email, password=PASSWORD))["signIn"]
    admin = signed_in["token"]
    analyst = server.people[Role.ANALYST].token
    viewer = server.people[Role.VIEWER].token

    ingested = await data(server, admin, INGEST, **business(now))
    script = (
        await data(server, admin, FROM_TEMPLATE, parameters={"threshold": LINE, "min_risk": 0.5})
    )["createScriptFromTemplate"]
    rule = {
        "name": "churn over 20%",
        "metric": "CUSTOMER_CHURN_RATE",
        "condition": "ABOVE",
        "threshold": LINE,
        # Yearly, so only the checks this test asks for run.
        "cron": "0 0 1 1 *",
        "scriptId": script["id"],
    }
    rule_id = (await data(server, admin, RULE, input=rule))["createAlertRule"]["id"]
    calm = (await data(server, analyst, EVALUATE, id=rule_id))["evaluateAlertRule"]

    async with websocket(server, Role.ANALYST) as watcher, asyncio.timeout(60):
        alerts = watcher.subscribe(request(ALERTS, ruleId=rule_id))
        heard = asyncio.ensure_future(anext(alerts))
        states = asyncio.ensure_future(
            collect(
                watcher.subscribe(request(STATES, scriptId=script["id"])),
                lambda seen: seen["executionStateChanges"]["state"] == "SUCCEEDED",
            )
        )
        await asyncio.sleep(0.5)
        cancellations = [
            subscription_change(customer, "CANCELED", 0, now.isoformat()) for customer in CANCELLED
        ]
        cancelled = await data(server, admin, CANCEL, changes=cancellations)
        fired = (await data(server, analyst, EVALUATE, id=rule_id))["evaluateAlertRule"]
        alert = (await heard)["alerts"]
        changes = [seen["executionStateChanges"] for seen in await states]
        execution_id = fired["alert"]["executionId"]
        updates = await collect(
            watcher.subscribe(request(FOLLOW, id=execution_id)),
            lambda seen: seen["executionUpdates"].get("state") == "SUCCEEDED",
        )

    async with websocket(server, Role.VIEWER) as onlooker, asyncio.timeout(30):
        watched = await collect(
            onlooker.subscribe(request(FOLLOW, id=execution_id)),
            lambda seen: seen["executionUpdates"].get("state") == "SUCCEEDED",
        )
    read = (await data(server, viewer, EXECUTION, id=execution_id))["execution"]
    refused = await post(server, viewer, RUN, id=script["id"])

    assert (signed_in["__typename"], signed_in["user"]["role"]) == ("SignedIn", "ADMIN")
    assert {result["__typename"] for result in ingested.values()} == {"IngestionAccepted"}
    assert cancelled["ingestSubscriptionChanges"]["__typename"] == "IngestionAccepted"
    assert (calm["value"], calm["holds"], calm["alert"]) == (0.0, False, None)

    # Churn this month: the customers who cancelled over the ten paying at its start.
    churn = len(CANCELLED) / CUSTOMERS
    assert fired["holds"] is True
    assert fired["value"] == pytest.approx(churn)
    assert alert["id"] == fired["alert"]["id"]
    assert alert["executionId"] == execution_id
    assert alert["snapshot"]["value"] == pytest.approx(churn)
    named = {customer["id"] for customer in alert["snapshot"]["customers"]}
    assert named == set(CANCELLED)

    assert [change["state"] for change in changes] == ["QUEUED", "RUNNING", "SUCCEEDED"]
    assert {change["execution"]["id"] for change in changes} == {execution_id}

    final = updates[-1]["executionUpdates"]["execution"]
    assert final["trigger"] == "alert"
    assert final["snapshot"] == alert["snapshot"]
    # The template lists the riskiest first; every cancellation weighs the same, so by id.
    expected = sorted(CANCELLED)
    assert final["result"]["crossed"] is True
    assert [customer["id"] for customer in final["result"]["at_risk"]] == expected
    assert [customer["name"] for customer in final["result"]["at_risk"]] == [
        f"Customer {id.split('-')[1]}" for id in expected
    ]
    lines = [
        line["line"] for update in updates for line in update["executionUpdates"].get("lines", [])
    ]
    assert lines[0] == f"customer_churn_rate = {churn}, line {LINE}"
    assert [line.split()[2] for line in lines[1:]] == expected

    assert watched[-1]["executionUpdates"]["execution"]["result"] == final["result"]
    assert read == {"state": "SUCCEEDED", "trigger": "alert"}
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
