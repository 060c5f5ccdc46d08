"""Related records of a list's rows cost one statement per field, whatever the rows.

Statements are counted on the application's real engine as the driver sees
them, and only those run for one tagged request, so the scheduler's and the
workers' own reads in the background do not count.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.data.models import Alert, AlertRule, Execution, Schedule, Script, ScriptVersion
from saaslens.logs import request_id
from tests import factories
from tests.api import Api

START = datetime(2024, 1, 1, tzinfo=UTC)

CUSTOMERS = """
query ($first: Int!) {
  customers(first: $first) {
    edges { node {
      id
      subscriptions { id plan mrr { amount } customer { id name } }
      payments { id amount { amount } }
    } }
  }
}
"""

EXECUTIONS = """
query ($first: Int!) {
  executions(first: $first) { edges { node { id script { id name version } } } }
  schedules { id script { id name } }
}
"""

ALERT_RULES = "{ alertRules { id script { id name deletedAt } } }"

ALERTS = """
query ($last: Int!) {
  alerts(last: $last) { id rule { id name script { name } } }
}
"""


@contextmanager
def statements_of(tag: str) -> Iterator[list[str]]:
    """The SQL statements run while serving the request tagged `tag`."""
    seen: list[str] = []

    def note(_connection: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if request_id.get() == tag:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", note)


async def counted(
    api: Api, document: str, variables: dict[str, Any]
) -> tuple[dict[str, Any], int]:
    """The data of a request and the number of statements it ran."""
    tag = secrets.token_hex(8)
    with statements_of(tag) as seen:
        response = await api.post(document, variables, headers={"x-request-id": tag})
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"], len(seen)


async def seed_customers(sessions: async_sessionmaker[AsyncSession], count: int) -> None:
    """Customers with one to three subscriptions and payments each, by their number."""
    async with sessions() as session:
        for number in range(count):
            customer_id = f"c{number:03}"
            rows: list[object] = [factories.customer(customer_id, START)]
            for held in range(number % 3 + 1):
                change = factories.change(
                    f"ch{number}-{held}",
                    f"s{number}-{held}",
                    customer_id,
                    1000 * (held + 1),
                    START,
                )
                rows += [change, factories.subscription_from([change])]
                paid_at = START + timedelta(days=held)
                rows.append(factories.payment(f"p{number}-{held}", customer_id, 500, paid_at))
            await factories.add_all(session, *rows)


async def test_customer_pages_read_related_records_in_as_many_statements_for_5_or_50(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await seed_customers(sessions, 50)

    small, small_count = await counted(api, CUSTOMERS, {"first": 5})
    large, large_count = await counted(api, CUSTOMERS, {"first": 50})

    assert small_count == large_count
    nodes = [edge["node"] for edge in large["customers"]["edges"]]
    assert len(nodes) == 50
    assert [edge["node"] for edge in small["customers"]["edges"]] == nodes[:5]
    async with sessions() as session:
        expected = await session.execute(
            text("SELECT customer_id, id FROM subscriptions ORDER BY customer_id, id")
        )
        paid = await session.execute(
            text("SELECT customer_id, count(*) FROM payments GROUP BY customer_id")
        )
    held: dict[str, list[str]] = {}
    for customer_id, subscription_id in expected:
        held.setdefault(customer_id, []).append(subscription_id)
    assert {node["id"]: [item["id"] for item in node["subscriptions"]] for node in nodes} == held
    assert {node["id"]: len(node["payments"]) for node in nodes} == dict(paid.all())
    for node in nodes:
        assert {item["customer"]["id"] for item in node["subscriptions"]} == {node["id"]}


async def seed_executions(sessions: async_sessionmaker[AsyncSession], count: int) -> None:
    """Two scripts, `count` finished executions alternating between them, a schedule each."""
    async with sessions() as session:
        scripts = [Script(name=name, created_at=START) for name in ("first", "second")]
        session.add_all(scripts)
        await session.flush()
        for script in scripts:
            session.add_all(
                ScriptVersion(script_id=script.id, version=version, source="", created_at=START)
                for version in (1, 2)
            )
            session.add(
                Schedule(
                    script_id=script.id,
                    kind="interval",
                    interval_seconds=3600,
                    paused=True,
                    created_at=START,
                )
            )
        session.add_all(
            Execution(
                script_id=scripts[number % 2].id,
                script_version=2,
                trigger="manual",
                state="SUCCEEDED",
                state_changes=3,
                attempt=1,
                parameters={},
                queued_at=START,
                started_at=START,
                finished_at=START + timedelta(seconds=1),
                output_lines=0,
                output_truncated=False,
            )
            for number in range(count)
        )
        await session.commit()


async def test_executions_and_schedules_read_their_scripts_in_batches(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await seed_executions(sessions, 40)

    _, small_count = await counted(api, EXECUTIONS, {"first": 4})
    large, large_count = await counted(api, EXECUTIONS, {"first": 40})

    # The session, the count, the schedules, the executions, and their scripts: in one
    # batch, or two when one root field's rows arrive before the other's are read.
    assert 5 <= small_count <= 6
    assert 5 <= large_count <= 6
    async with sessions() as session:
        names = dict((await session.execute(select(Execution.id, Script.name).join(Script))).all())
    executions = [edge["node"] for edge in large["executions"]["edges"]]
    assert len(executions) == 40
    assert {int(node["id"]): node["script"]["name"] for node in executions} == names
    assert {node["script"]["version"] for node in executions} == {2}
    assert sorted(item["script"]["name"] for item in large["schedules"]) == ["first", "second"]


async def seed_scripts(sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    """Three scripts with a version each; the last one deleted."""
    async with sessions() as session:
        scripts = [
            Script(name="first", created_at=START),
            Script(name="second", created_at=START),
            Script(name="retired", created_at=START, deleted_at=START, enabled=False),
        ]
        session.add_all(scripts)
        await session.flush()
        session.add_all(
            ScriptVersion(script_id=script.id, version=1, source="", created_at=START)
            for script in scripts
        )
        await session.commit()
        return [script.id for script in scripts]


async def seed_alert_rules(
    sessions: async_sessionmaker[AsyncSession],
    script_ids: list[int],
    numbers: range,
    alerts_each: int = 0,
) -> None:
    """Rules running the scripts in turn, but none every fourth, with alerts of their own."""
    async with sessions() as session:
        rules = [
            AlertRule(
                name=f"rule {number}",
                condition="above",
                threshold=1.0,
                script_id=None if number % 4 == 0 else script_ids[number % len(script_ids)],
                created_at=START,
            )
            for number in numbers
        ]
        session.add_all(rules)
        await session.flush()
        session.add_all(
            Alert(rule_id=rule.id, fired_at=START + timedelta(hours=fired), snapshot={})
            for rule in rules
            for fired in range(alerts_each)
        )
        await session.commit()


def script_name(record: dict[str, Any]) -> str | None:
    script = record["script"]
    return None if script is None else str(script["name"])


async def test_alert_rules_read_their_scripts_in_as_many_statements_for_4_or_40(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    scripts = await seed_scripts(sessions)
    await seed_alert_rules(sessions, scripts, range(4))
    _, small_count = await counted(api, ALERT_RULES, {})
    await seed_alert_rules(sessions, scripts, range(4, 40))

    large, large_count = await counted(api, ALERT_RULES, {})

    assert small_count == large_count
    rules = large["alertRules"]
    assert len(rules) == 40
    async with sessions() as session:
        query = select(AlertRule.id, Script.name).outerjoin(Script)
        expected = dict((await session.execute(query)).all())
    assert {int(rule["id"]): script_name(rule) for rule in rules} == expected
    assert [script_name(rule) for rule in rules].count(None) == 10
    deleted = {
        script_name(rule) for rule in rules if rule["script"] and rule["script"]["deletedAt"]
    }
    assert deleted == {"retired"}


async def test_alerts_read_their_rules_and_the_rules_scripts_in_batches(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    scripts = await seed_scripts(sessions)
    await seed_alert_rules(sessions, scripts, range(40), alerts_each=2)

    # The newest five alerts are of rules 37 to 39, which run scripts.
    _, small_count = await counted(api, ALERTS, {"last": 5})
    large, large_count = await counted(api, ALERTS, {"last": 80})

    assert small_count == large_count
    alerts = large["alerts"]
    assert len(alerts) == 80
    async with sessions() as session:
        query = (
            select(Alert.id, AlertRule.name, Script.name)
            .select_from(Alert)
            .join(AlertRule)
            .outerjoin(Script)
        )
        expected = {alert: (rule, script) for alert, rule, script in await session.execute(query)}
    shown = {
        int(alert["id"]): (alert["rule"]["name"], script_name(alert["rule"])) for alert in alerts
    }
    assert shown == expected


async def test_a_valid_session_costs_one_read_and_no_write(api: Api) -> None:
    _, count = await counted(api, "{ me { email } }", {})

    assert count == 1
