"""Live updates over graphql-transport-ws, from real servers to a real websocket client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from gql import Client, GraphQLRequest
from gql.client import AsyncClientSession
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from saaslens.auth.roles import Role
from tests.automation.conftest import Server

CREATE = """
mutation Create($input: CreateScriptInput!) {
  createScript(input: $input) { ... on Script { id } ... on ScriptInvalid { message } }
}
"""
RUN = """
mutation Run($id: ID!, $parameters: JSON) {
  runScript(scriptId: $id, parameters: $parameters) {
    ... on Execution { id state }
    ... on ParametersInvalid { message }
  }
}
"""
DATA_VERSION = "subscription DataVersion { dataVersion }"
CANCEL = "mutation Cancel($id: ID!) { cancelExecution(id: $id) { ... on Execution { state } } }"
STATE = "query State($id: ID!) { execution(id: $id) { state } }"
FOLLOW = """
subscription Follow($id: ID!) {
  executionUpdates(id: $id) {
    __typename
    ... on ExecutionStateChange { state execution { id exitCode result } }
    ... on ExecutionOutput { lines { seq stream line } }
  }
}
"""
FEED = """
subscription Feed($scriptId: ID) {
  executionStateChanges(scriptId: $scriptId) { state execution { id } }
}
"""
COUNTS = """
import json, os
parameters = json.load(open(os.environ["SAASLENS_INPUT"]))["parameters"]
for number in range(parameters["count"]):
    print(f"line {number}", flush=True)
json.dump({"total": parameters["count"]}, open(os.environ["SAASLENS_RESULT"], "w"))
"""
SLEEPS = "import time\nprint('blocking', flush=True)\ntime.sleep(60)\n"
WAITS_FOR_GO = """
import json, os, time
folder = json.load(open(os.environ["SAASLENS_INPUT"]))["parameters"]["folder"]
print("waiting", flush=True)
while not os.path.exists(os.path.join(folder, "go")):
    time.sleep(0.05)
for number in range(3):
    print(f"after {number}", flush=True)
"""

Serve = Callable[..., Awaitable[Server]]


@asynccontextmanager
async def websocket(server: Server, role: Role = Role.VIEWER) -> AsyncIterator[AsyncClientSession]:
    """A graphql-transport-ws connection signed in with `role`: viewers may watch."""
    transport = WebsocketsTransport(
        url=server.websocket_url,
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        headers={"authorization": f"Bearer {server.people[role].token}"},
    )
    async with Client(transport=transport) as session:
        yield session


def request(document: str, **variables: Any) -> GraphQLRequest:
    return GraphQLRequest(document, variable_values=variables)


async def add_script(server: Server, source: str) -> str:
    data = await server.data(CREATE, {"input": {"name": "test", "source": source}})
    script_id: str = data["createScript"]["id"]
    return script_id


async def run(server: Server, script_id: str, parameters: dict[str, Any] | None = None) -> str:
    data = await server.data(RUN, {"id": script_id, "parameters": parameters or {}})
    execution_id: str = data["runScript"]["id"]
    return execution_id


async def until_state(server: Server, execution_id: str, state: str) -> None:
    for _ in range(600):
        if (await server.data(STATE, {"id": execution_id}))["execution"]["state"] == state:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"execution {execution_id} never reached {state}")


def summary(updates: list[dict[str, Any]]) -> list[str]:
    """States and output lines as one sequence, in the order they arrived."""
    seen = []
    for update in updates:
        if update["__typename"] == "ExecutionStateChange":
            seen.append(update["state"])
        else:
            seen += [line["line"] for line in update["lines"]]
    return seen


async def test_a_watcher_sees_queued_running_succeeded_and_every_line_in_order(
    serve: Serve,
) -> None:
    server = await serve(max_concurrent_executions=1)
    blocker = await run(server, await add_script(server, SLEEPS))
    await until_state(server, blocker, "RUNNING")
    waiting = await run(server, await add_script(server, COUNTS), {"count": 4})

    updates = []
    async with websocket(server) as session, asyncio.timeout(30):
        async for result in session.subscribe(request(FOLLOW, id=waiting)):
            updates.append(result["executionUpdates"])
            if len(updates) == 1:
                await server.data(CANCEL, {"id": blocker})

    assert summary(updates) == [
        "QUEUED",
        "RUNNING",
        "line 0",
        "line 1",
        "line 2",
        "line 3",
        "SUCCEEDED",
    ]
    assert updates[-1]["execution"] == {"id": waiting, "exitCode": 0, "result": {"total": 4}}
    sequence = [line["seq"] for update in updates for line in update.get("lines", [])]
    assert sequence == [1, 2, 3, 4]


async def test_a_late_watcher_gets_the_output_so_far_then_the_rest(
    serve: Serve, shared_dir: Path
) -> None:
    server = await serve()
    execution = await run(
        server, await add_script(server, WAITS_FOR_GO), {"folder": str(shared_dir)}
    )
    await until_state(server, execution, "RUNNING")

    updates = []
    async with websocket(server) as session, asyncio.timeout(30):
        async for result in session.subscribe(request(FOLLOW, id=execution)):
            updates.append(result["executionUpdates"])
            if "waiting" in summary(updates) and not (shared_dir / "go").exists():
                (shared_dir / "go").touch()

    assert summary(updates) == ["RUNNING", "waiting", "after 0", "after 1", "after 2", "SUCCEEDED"]


async def test_subscriptions_past_the_cap_on_one_connection_are_refused(serve: Serve) -> None:
    server = await serve(max_subscriptions_per_connection=2)
    blocker = await run(server, await add_script(server, SLEEPS))
    await until_state(server, blocker, "RUNNING")

    async with websocket(server) as session, asyncio.timeout(30):
        first = session.subscribe(request(FOLLOW, id=blocker))
        second = session.subscribe(request(FOLLOW, id=blocker))
        assert (await anext(first))["executionUpdates"]["state"] == "RUNNING"
        assert (await anext(second))["executionUpdates"]["state"] == "RUNNING"
        with pytest.raises(TransportQueryError) as refused:
            await anext(session.subscribe(request(FOLLOW, id=blocker)))
        await first.aclose()
        assert await _opens_soon(session, blocker)
        await second.aclose()

    await server.data(CANCEL, {"id": blocker})
    assert refused.value.errors is not None
    assert refused.value.errors[0]["extensions"]["code"] == "RATE_LIMITED"


async def test_data_version_subscriptions_hold_slots_of_the_cap_too(serve: Serve) -> None:
    server = await serve(max_subscriptions_per_connection=2)

    async with websocket(server) as session, asyncio.timeout(30):
        first = session.subscribe(request(DATA_VERSION))
        second = session.subscribe(request(DATA_VERSION))
        assert (await anext(first))["dataVersion"] == 0
        assert (await anext(second))["dataVersion"] == 0
        with pytest.raises(TransportQueryError) as refused:
            await anext(session.subscribe(request(DATA_VERSION)))
        await first.aclose()
        await second.aclose()

    assert refused.value.errors is not None
    assert refused.value.errors[0]["extensions"]["code"] == "RATE_LIMITED"


async def _opens_soon(session: AsyncClientSession, execution_id: str) -> bool:
    """The server frees a slot as it handles the end of a subscription, a moment later."""
    for _ in range(100):
        attempt = session.subscribe(request(FOLLOW, id=execution_id))
        try:
            await anext(attempt)
            return True
        except TransportQueryError:
            await asyncio.sleep(0.05)
        finally:
            await attempt.aclose()
    return False


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
async def test_a_watcher_on_one_process_sees_an_execution_started_on_another(
    serve: Serve, shared_dir: Path
) -> None:
    watched, started = await serve(), await serve()
    script_id = await add_script(started, WAITS_FOR_GO)

    updates, changes = [], []
    async with websocket(watched) as session, asyncio.timeout(30):
        feed = session.subscribe(request(FEED, scriptId=script_id))
        next_change = asyncio.ensure_future(anext(feed))
        execution = await run(started, script_id, {"folder": str(shared_dir)})
        async for result in session.subscribe(request(FOLLOW, id=execution)):
            updates.append(result["executionUpdates"])
            if "waiting" in summary(updates) and not (shared_dir / "go").exists():
                (shared_dir / "go").touch()
        while not changes or changes[-1]["state"] != "SUCCEEDED":
            changes.append((await next_change)["executionStateChanges"])
            next_change = asyncio.ensure_future(anext(feed))
        next_change.cancel()

    assert summary(updates)[-5:] == ["waiting", "after 0", "after 1", "after 2", "SUCCEEDED"]
    assert {change["execution"]["id"] for change in changes} == {execution}
    assert [change["state"] for change in changes][-2:] == ["RUNNING", "SUCCEEDED"]
