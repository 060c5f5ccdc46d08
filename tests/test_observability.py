"""What an operator sees: JSON log lines tagged with request ids, and /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from saaslens.app import create_app
from saaslens.auth.roles import Role
from saaslens.config import Settings, SettingsError, load_settings
from saaslens.data.engine import create_engine
from tests.api import SELF, Api, add_person, running_api
from tests.schema.test_subscription_auth import PROTOCOL
from tests.schema.test_subscription_auth import serving as serving_in_process

CUSTOMERS = "query Customers { customers { totalCount } }"
MOVEMENTS = '{ mrrMovements(range: {start: "2024-01-01", end: "2024-03-31"}) { __typename } }'
SCRIPT = """
mutation {
  createScript(input: {name: "hello", source: "print('hello')"}) { ... on Script { id } }
}
"""
RUN = "mutation ($id: ID!) { runScript(scriptId: $id) { ... on Execution { id } } }"
EXECUTION = "query ($id: ID!) { execution(id: $id) { state } }"
SCHEDULE = """
mutation ($script: ID!) {
  createSchedule(input: {scriptId: $script, kind: INTERVAL, intervalSeconds: 1}) {
    ... on Schedule { id }
  }
}
"""
FINISHED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "CRASHED"}
VERSIONS = "subscription Versions { dataVersion }"
MISSING = 'subscription Missing { executionUpdates(id: "999") { __typename } }'


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(api: Api, **headers: str) -> Samples:
    response = await api.client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


async def until_finished(state_of: Callable[[str], Awaitable[str]], execution: str) -> None:
    """Polls, since the engine runs the execution in the background."""
    async with asyncio.timeout(30):
        while await state_of(execution) not in FINISHED:  # noqa: ASYNC110
            await asyncio.sleep(0.1)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_operations_are_counted_and_timed_by_name(api: Api) -> None:
    for _ in range(3):
        await api.data(CUSTOMERS)
    await api.data("{ __typename }")
    await api.post_graphql("query Broken { nothing }")

    samples = await scrape(api)

    operations = "saaslens_graphql_operations_total"
    assert value(samples, operations, operation="Customers", outcome="ok") == 3
    assert value(samples, operations, operation="anonymous", outcome="ok") == 1
    assert value(samples, operations, operation="Broken", outcome="error") == 1
    assert value(samples, "saaslens_graphql_operation_seconds_count", operation="Customers") == 3
    assert value(samples, "saaslens_graphql_operation_seconds_sum", operation="Customers") > 0


async def test_a_timed_out_operation_is_counted_as_such(store_url: str) -> None:
    settings = load_settings(database_url=store_url, request_timeout_seconds=0.000001)
    async with running_api(settings) as anonymous:
        admin = await add_person(settings, "admin@example.com", Role.ADMIN)
        api = anonymous.as_bearer(admin.token)
        body = await api.post_graphql(CUSTOMERS)
        samples = await scrape(api)

    assert body["errors"][0]["extensions"]["code"] == "TIMEOUT"
    assert (
        value(
            samples, "saaslens_graphql_operations_total", operation="Customers", outcome="timeout"
        )
        == 1
    )


async def test_executions_per_state_match_the_store(api: Api, store_url: str) -> None:
    script = (await api.data(SCRIPT))["createScript"]["id"]
    executions = [(await api.data(RUN, {"id": script}))["runScript"]["id"] for _ in range(3)]

    async def state_of(execution: str) -> str:
        state: str = (await api.data(EXECUTION, {"id": execution}))["execution"]["state"]
        return state

    for execution in executions:
        await until_finished(state_of, execution)

    samples = await scrape(api)

    engine = create_engine(store_url)
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT state, count(*) FROM executions GROUP BY state")
        )
        stored = {state: count for state, count in rows}
    await engine.dispose()
    shown = {
        dict(labels)["state"]: count
        for (name, labels), count in samples.items()
        if name == "saaslens_executions"
    }
    assert {state: count for state, count in shown.items() if count} == stored
    assert sum(stored.values()) == 3
    assert set(shown) >= FINISHED | {"QUEUED", "RUNNING"}


async def test_cache_hits_and_misses_follow_a_repeated_analysis(api: Api) -> None:
    before = await scrape(api)
    await api.data(MOVEMENTS)
    first = await scrape(api)
    await api.data(MOVEMENTS)
    second = await scrape(api)

    def delta(later: Samples, earlier: Samples, name: str) -> float:
        return value(later, name) - value(earlier, name)

    hits, misses = "saaslens_result_cache_hits_total", "saaslens_result_cache_misses_total"
    computed = delta(first, before, misses)
    assert computed > 0
    assert delta(first, before, hits) == 0
    assert (delta(second, first, hits), delta(second, first, misses)) == (computed, 0)
    ratio = value(second, hits) / (value(second, hits) + value(second, misses))
    assert value(second, "saaslens_result_cache_hit_ratio") == pytest.approx(ratio)


async def test_pool_use_is_zero_at_rest(api: Api, store_url: str) -> None:
    await api.data(CUSTOMERS)

    samples = await scrape(api)

    assert value(samples, "saaslens_db_pool_checked_out") == 0
    # create_engine keeps ten PostgreSQL connections; SQLAlchemy's default is five.
    expected = 10 if store_url.startswith("postgresql") else 5
    assert value(samples, "saaslens_db_pool_size") == expected


async def test_scheduler_lag_is_observed_for_each_scheduled_run(api: Api, store_url: str) -> None:
    script = (await api.data(SCRIPT))["createScript"]["id"]
    await api.data(SCHEDULE, {"script": script})
    engine = create_engine(store_url)

    async def scheduled() -> int:
        async with engine.connect() as connection:
            query = text("SELECT count(*) FROM executions WHERE trigger = 'schedule'")
            return int((await connection.execute(query)).scalar_one())

    try:
        async with asyncio.timeout(20):
            while await scheduled() < 2:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
            # A run is timed as it is claimed, just before its execution is written.
            while True:
                samples = await scrape(api)
                runs = await scheduled()
                if value(samples, "saaslens_scheduler_lag_seconds_count") == runs:
                    break
                await asyncio.sleep(0.05)
    finally:
        await engine.dispose()

    assert value(samples, "saaslens_scheduler_lag_seconds_sum") >= 0


async def test_metrics_ask_for_the_token_when_one_is_set(store_url: str) -> None:
    settings = load_settings(database_url=store_url, metrics_token="scrape-me-" * 2)
    async with running_api(settings) as api:
        without = await api.client.get("/metrics")
        wrong = await api.client.get("/metrics", headers={"authorization": "Bearer nope"})
        right = await api.client.get(
            "/metrics", headers={"authorization": "Bearer scrape-me-scrape-me-"}
        )

    assert without.status_code == wrong.status_code == 401
    assert without.headers["www-authenticate"] == "Bearer"
    assert right.status_code == 200
    assert "saaslens_graphql_operation_seconds" in right.text


async def test_without_a_token_only_loopback_may_scrape(settings: Settings) -> None:
    app = create_app(settings)

    async def scrape_from(address: str) -> int:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url=SELF) as client:
            return (await client.get("/metrics")).status_code

    async with app.router.lifespan_context(app):
        statuses = {address: await scrape_from(address) for address in ("10.1.2.3", "::1")}

    assert statuses == {"10.1.2.3": 401, "::1": 200}


@contextlib.asynccontextmanager
async def acknowledged_socket(
    address: str, token: str
) -> AsyncIterator[websockets.ClientConnection]:
    """A graphql-transport-ws socket whose connection_init, with `token`, was acknowledged."""
    async with websockets.connect(
        f"ws://{address}/graphql", subprotocols=[websockets.Subprotocol(PROTOCOL)]
    ) as socket:
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        await socket.send(json.dumps(init))
        assert (await received(socket))["type"] == "connection_ack"
        yield socket


async def received(socket: websockets.ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 10))
    return message


async def subscribe(socket: websockets.ClientConnection, id: str, document: str) -> dict[str, Any]:
    """Start `document` as operation `id`; return the first message it gets."""
    await socket.send(json.dumps({"id": id, "type": "subscribe", "payload": {"query": document}}))
    return await received(socket)


async def open_subscriptions(api: Api, operation: str, expected: float) -> float:
    """The gauge of `operation` once it reads `expected`, or as it stands after five seconds.

    The server ends a subscription a moment after the client stops it or goes.
    """
    deadline = time.monotonic() + 5
    while True:
        seen = value(await scrape(api), "saaslens_graphql_subscriptions", operation=operation)
        if seen == expected or time.monotonic() > deadline:
            return seen
        await asyncio.sleep(0.05)


async def test_open_subscriptions_are_counted_until_stopped_or_disconnected(
    settings: Settings,
) -> None:
    viewer = await add_person(settings, "ada@example.com", Role.VIEWER)
    async with (
        serving_in_process(settings) as address,
        httpx.AsyncClient(base_url=f"http://{address}") as http,
    ):
        api = Api(http, settings)
        before = await open_subscriptions(api, "Versions", 0)
        async with acknowledged_socket(address, viewer.token) as socket:
            firsts = [await subscribe(socket, id, VERSIONS) for id in ("1", "2")]
            both = await open_subscriptions(api, "Versions", 2)
            await socket.send(json.dumps({"id": "1", "type": "complete"}))
            one = await open_subscriptions(api, "Versions", 1)
        none = await open_subscriptions(api, "Versions", 0)

    assert [first["payload"]["data"] for first in firsts] == [{"dataVersion": 0}] * 2
    assert (before, both, one, none) == (0, 2, 1, 0)


async def test_a_subscription_that_fails_is_no_longer_counted(settings: Settings) -> None:
    viewer = await add_person(settings, "ada@example.com", Role.VIEWER)
    async with (
        serving_in_process(settings) as address,
        httpx.AsyncClient(base_url=f"http://{address}") as http,
    ):
        api = Api(http, settings)
        async with acknowledged_socket(address, viewer.token) as socket:
            await subscribe(socket, "1", VERSIONS)
            failed = await subscribe(socket, "2", MISSING)
            missing = await open_subscriptions(api, "Missing", 0)
            versions = await open_subscriptions(api, "Versions", 1)

    assert failed["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (missing, versions) == (0, 1)


def test_a_metrics_token_is_at_least_sixteen_characters() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(metrics_token="")

    assert "SAASLENS_METRICS_TOKEN" in str(refused.value)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def serving(store_url: str, log: Path) -> AsyncIterator[httpx.AsyncClient]:
    """`saaslens serve` with JSON logs written to `log`; stopped when the block ends."""
    port = free_port()
    environment = os.environ | {
        "SAASLENS_DATABASE_URL": store_url,
        "SAASLENS_PORT": str(port),
        "SAASLENS_LOG_JSON": "true",
        "SAASLENS_EXECUTION_POLL_SECONDS": "0.2",
    }
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "saaslens", "serve", env=environment, stderr=output
        )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            async with asyncio.timeout(30):
                while True:
                    with contextlib.suppress(httpx.TransportError):
                        if (await client.get("/healthz")).status_code == 200:
                            break
                    await asyncio.sleep(0.1)
            yield client
    finally:
        process.terminate()
        await process.wait()


async def test_json_logs_carry_the_request_id_of_each_request(
    sqlite_store: str, tmp_path: Path
) -> None:
    settings = load_settings(database_url=sqlite_store)
    admin = await add_person(settings, "admin@example.com", Role.ADMIN)
    bearer = {"authorization": f"Bearer {admin.token}"}
    log = tmp_path / "server.log"

    async def post(query: str, request_id: str, **variables: Any) -> dict[str, Any]:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers=bearer | {"x-request-id": request_id},
        )
        assert response.headers["x-request-id"] == request_id
        data: dict[str, Any] = response.json()["data"]
        return data

    async with serving(sqlite_store, log) as client:
        untagged = (await client.get("/healthz")).headers["x-request-id"]
        script = (await post(SCRIPT, "makescript"))["createScript"]["id"]
        execution = (await post(RUN, "runscript", id=script))["runScript"]["id"]

        async def state_of(execution: str) -> str:
            state: str = (await post(EXECUTION, "poll", id=execution))["execution"]["state"]
            return state

        await until_finished(state_of, execution)

    entries = [json.loads(line) for line in log.read_text().splitlines()]
    access = {
        entry["request_id"]: entry["message"]
        for entry in entries
        if entry["logger"] == "uvicorn.access"
    }
    assert '"GET /healthz HTTP/1.1" 200' in access[untagged]
    assert '"POST /graphql HTTP/1.1" 200' in access["runscript"]
    engine_lines = [
        entry["message"]
        for entry in entries
        if entry["logger"] == "saaslens.automation.engine" and entry["request_id"] == "runscript"
    ]
    # Queued inside the request, then run and finished by the engine in the background.
    assert any(f"execution {execution} of script {script} queued" in m for m in engine_lines)
    assert any(m.startswith(f"execution {execution} attempt 1 running") for m in engine_lines)
    assert {entry["level"] for entry in entries} <= {"debug", "info", "warning", "error"}
