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

from saaslens.data.models import Execution, Schedule, Script, ScriptVersion
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


async def test_a_valid_session_costs_one_read_and_no_write(api: Api) -> None:
    _, count = await counted(api, "{ me { email } }", {})

    assert count == 1
