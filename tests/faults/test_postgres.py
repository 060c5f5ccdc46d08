"""PostgreSQL faults on the real application: killed connections and a server gone.

Each fault is real: a backend terminated with pg_terminate_backend while a
request waits on it, a port where nothing listens, and a socket that accepts
connections but never answers, as a hung server does.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import websockets
from gql.transport.exceptions import TransportConnectionFailed

from saaslens.app import READINESS_TIMEOUT
from saaslens.automation.eventbrokers.postgresql import asyncpg_dsn
from saaslens.config import load_settings
from saaslens.data.engine import CONNECT_TIMEOUT_SECONDS
from tests.api import running_api
from tests.faults.stores import COUNT, CUSTOMERS, codes, signed_in, stored
from tests.schema.test_subscription_auth import (
    DATA_VERSION,
    PROTOCOL,
    first_results,
    serving,
    transport,
)
from tests.test_imports import SAASLENS, customers_csv, saaslens

ALICE = {"id": "c1", "name": "Alice", "createdAt": "2024-01-01T00:00:00Z"}
BOB = {"id": "c2", "name": "Bob", "createdAt": "2024-02-01T00:00:00Z"}


@asynccontextmanager
async def store_state_locked(url: str) -> AsyncIterator[None]:
    """A second connection holding the store's state row, so an ingestion waits on it."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with connection.transaction():
            await connection.execute("SELECT * FROM store_state FOR UPDATE")
            yield
    finally:
        await connection.close()


async def terminate_waiting_request(url: str) -> bool:
    """Terminate the server process of the request that waits for the held row.

    A connection of its own: pg_stat_activity is read once per transaction,
    so the holder's transaction would keep seeing the moment it began.
    """
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        for _ in range(600):
            pid = await connection.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE 'UPDATE store_state%'"
            )
            if pid is not None:
                return bool(await connection.fetchval("SELECT pg_terminate_backend($1)", pid))
            await asyncio.sleep(0.05)
    finally:
        await connection.close()
    raise AssertionError("no request came to wait on the store's state row")


@pytest.mark.postgres
async def test_a_request_whose_connection_is_killed_fails_clearly_and_the_next_succeeds(
    postgres_store: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with signed_in(postgres_store) as api:
        await api.data(CUSTOMERS, {"records": [ALICE]})
        async with store_state_locked(postgres_store):
            request = asyncio.create_task(api.post(CUSTOMERS, {"records": [BOB]}))
            assert await terminate_waiting_request(postgres_store)
            response = await asyncio.wait_for(request, timeout=10)
        nothing_written = await stored(postgres_store)
        retried = await api.data(CUSTOMERS, {"records": [BOB]})

    body = response.json()
    assert response.status_code == 200
    assert codes(body) == ["DATABASE_UNAVAILABLE"]
    assert "connection to the database was lost" in body["errors"][0]["message"]
    # One warning for the operator, not a traceback logged as an error.
    told = [record.levelname for record in caplog.records if "database fault" in record.message]
    assert told == ["WARNING"]
    assert not [record for record in caplog.records if record.name == "strawberry.execution"]
    assert nothing_written == (1, 1)
    assert retried["ingestCustomers"] == {
        "__typename": "IngestionAccepted",
        "inserted": 1,
        "dataVersion": 2,
    }


@pytest.mark.postgres
async def test_pooled_connections_killed_between_requests_are_replaced_unseen(
    postgres_store: str,
) -> None:
    async with signed_in(postgres_store) as api:
        await api.data(CUSTOMERS, {"records": [ALICE]})
        killer = await asyncpg.connect(asyncpg_dsn(postgres_store))
        try:
            killed = await killer.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await killer.close()
        after = await api.data(COUNT)

    assert killed >= 1
    assert after == {"customers": {"totalCount": 1}}


def closed_port() -> int:
    """A loopback port nothing listens on: bound for a moment, then let go."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def silent_server() -> Iterator[int]:
    """A port whose connections the kernel accepts but no one ever answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


SIGN_IN = """
mutation { signIn(email: "a@example.com", password: "p") { __typename } }
"""


async def unreachable_answers(url: str) -> tuple[Any, Any, Any, float]:
    """/readyz, a query with a Bearer token and an anonymous sign-in, and their time.

    The token sends the application to the store before GraphQL runs, to
    find whose session it is; the sign-in reaches the store in a resolver.
    """
    settings = load_settings(database_url=url)
    async with running_api(settings) as api:
        started = time.monotonic()
        ready = await api.client.get("/readyz")
        query = await api.as_bearer("t" * 32).post(COUNT)
        sign_in = await api.post(SIGN_IN)
        took = time.monotonic() - started
    return ready, query, sign_in, took


@pytest.mark.parametrize("where", ["closed port", "silent server"])
async def test_an_unreachable_database_is_reported_promptly(where: str) -> None:
    with silent_server() as silent:
        port = closed_port() if where == "closed port" else silent
        url = f"postgresql+asyncpg://saaslens@127.0.0.1:{port}/saaslens"
        ready, query, sign_in, took = await unreachable_answers(url)

    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "reason": "database"}
    assert query.status_code == 503
    assert codes(query.json()) == ["DATABASE_UNAVAILABLE"]
    assert "cannot be reached" in query.json()["errors"][0]["message"]
    assert sign_in.status_code == 200
    assert codes(sign_in.json()) == ["DATABASE_UNAVAILABLE"]
    # Each wait is bounded: readiness's own, then one connection attempt each.
    assert took < READINESS_TIMEOUT + 2 * CONNECT_TIMEOUT_SECONDS + 5


@pytest.mark.parametrize("where", ["closed port", "silent server"])
async def test_a_socket_signing_in_while_the_database_is_unreachable_is_closed_1013(
    where: str, caplog: pytest.LogCaptureFixture
) -> None:
    with silent_server() as silent:
        port = closed_port() if where == "closed port" else silent
        url = f"postgresql+asyncpg://saaslens@127.0.0.1:{port}/saaslens"
        async with serving(load_settings(database_url=url)) as address:
            socket = transport(address, init_payload={"authorization": f"Bearer {'t' * 32}"})
            with pytest.raises(TransportConnectionFailed) as failed:
                await asyncio.wait_for(first_results(socket, DATA_VERSION), 30)

    closed = failed.value.__cause__
    assert isinstance(closed, websockets.ConnectionClosed)
    assert closed.rcvd is not None
    assert closed.rcvd.code == 1013
    assert closed.rcvd.reason == "the database cannot be reached; try again shortly"
    told = [record.levelname for record in caplog.records if "database fault" in record.message]
    assert told == ["WARNING"]
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


async def test_a_socket_whose_cookie_cannot_be_checked_is_refused_with_503() -> None:
    url = f"postgresql+asyncpg://saaslens@127.0.0.1:{closed_port()}/saaslens"
    async with serving(load_settings(database_url=url)) as address:
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(
                f"ws://{address}/graphql",
                subprotocols=[websockets.Subprotocol(PROTOCOL)],
                additional_headers={"cookie": f"session={'t' * 32}"},
            ):
                pass

    response = refused.value.response
    assert response.status_code == 503
    assert json.loads(response.body) == {
        "data": None,
        "errors": [
            {
                "message": "the database cannot be reached; try again shortly",
                "extensions": {"code": "DATABASE_UNAVAILABLE"},
            }
        ],
    }


def test_saaslens_import_names_an_unreachable_database(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://saaslens@127.0.0.1:{closed_port()}/saaslens"
    refused = saaslens(url, "import", "customers", str(customers_csv(tmp_path / "c.csv", 3)))

    output = refused.stdout + refused.stderr
    assert refused.returncode == 1
    assert "The store refused the import: the database cannot be reached" in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("arguments", "refused"),
    [
        (["db", "upgrade"], "the migration"),
        (["demo", "--customers", "10"], "the demo"),
        (["users", "create", "--email", "a@example.com", "--role", "admin"], "the new user"),
    ],
)
def test_every_command_names_an_unreachable_database_in_one_line(
    arguments: list[str], refused: str
) -> None:
    url = f"postgresql+asyncpg://saaslens@127.0.0.1:{closed_port()}/saaslens"
    result = subprocess.run(
        [SAASLENS, *arguments, *(["--password-stdin"] if arguments[0] == "users" else [])],
        input="a long enough password\n",
        env={**os.environ, "SAASLENS_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"The store refused {refused}: the database cannot be reached; try again shortly."
    )
    assert "Traceback" not in result.stdout
