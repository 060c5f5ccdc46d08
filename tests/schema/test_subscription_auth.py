"""Subscriptions authenticate at connection_init or by cookie, over a real socket.

The application runs under uvicorn on loopback; clients are gql's websocket
transport and, for what gql would never send, the websockets library itself.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from gql import Client, gql
from gql.transport.exceptions import TransportConnectionFailed, TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.app import create_app
from saaslens.auth.roles import Role
from saaslens.config import Settings
from saaslens.data.state import bump_data_version
from tests.api import Person, add_person
from tests.schema.walk import root_fields

DATA_VERSION = "subscription { dataVersion }"
PROTOCOL = WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[str]:
    """The application under uvicorn on a free loopback port; yields its host:port."""
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=0, log_config=None, lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.02)
    else:
        raise TimeoutError("uvicorn did not start within 10 seconds")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[str]:
    async with serving(settings) as address:
        yield address


@pytest.fixture
async def ada(settings: Settings) -> Person:
    return await add_person(settings, "ada@example.com", Role.VIEWER)


def transport(address: str, **options: Any) -> WebsocketsTransport:
    return WebsocketsTransport(url=f"ws://{address}/graphql", subprotocols=[PROTOCOL], **options)


async def first_results(
    socket: WebsocketsTransport, document: str, count: int = 1
) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    async with Client(transport=socket) as session:
        async for result in session.subscribe(gql(document)):
            results.append(result)
            if len(results) == count:
                break
    return results


async def test_a_token_in_connection_init_authenticates_the_subscription(
    server: str, ada: Person, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    socket = transport(server, init_payload={"authorization": f"Bearer {ada.token}"})

    async def bump_soon() -> None:
        await asyncio.sleep(0.5)
        async with sessions() as db:
            await bump_data_version(db, settings.reporting_time_zone)
            await db.commit()

    bumping = asyncio.create_task(bump_soon())
    results = await asyncio.wait_for(first_results(socket, DATA_VERSION, count=2), 15)
    await bumping

    assert results == [{"dataVersion": 0}, {"dataVersion": 1}]


async def test_the_session_cookie_authenticates_the_socket(server: str, ada: Person) -> None:
    socket = transport(server, headers={"cookie": f"session={ada.token}"})

    assert await first_results(socket, DATA_VERSION) == [{"dataVersion": 0}]


async def test_every_subscription_without_credentials_is_unauthenticated(server: str) -> None:
    fields = root_fields("subscription")

    for name, document in fields.items():
        with pytest.raises(TransportQueryError) as refused:
            await first_results(transport(server), document)
        assert refused.value.errors is not None
        assert refused.value.errors[0]["extensions"]["code"] == "UNAUTHENTICATED", name
    assert fields


async def test_an_invalid_token_in_connection_init_closes_the_socket(server: str) -> None:
    socket = transport(server, init_payload={"token": "not-a-session"})

    with pytest.raises(TransportConnectionFailed) as failed:
        await first_results(socket, DATA_VERSION)

    closed = failed.value.__cause__
    assert isinstance(closed, websockets.ConnectionClosed)
    assert closed.rcvd is not None
    assert closed.rcvd.code == 4403


async def test_a_subscribe_before_connection_init_is_refused(server: str, ada: Person) -> None:
    subscribe = {"id": "1", "type": "subscribe", "payload": {"query": DATA_VERSION}}
    async with websockets.connect(
        f"ws://{server}/graphql",
        subprotocols=[websockets.Subprotocol(PROTOCOL)],
        additional_headers={"cookie": f"session={ada.token}"},
    ) as socket:
        await socket.send(json.dumps(subscribe))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401


async def test_a_foreign_page_cannot_open_a_socket_with_the_cookie(
    server: str, ada: Person
) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(
            f"ws://{server}/graphql",
            subprotocols=[websockets.Subprotocol(PROTOCOL)],
            additional_headers={"cookie": f"session={ada.token}"},
            origin=websockets.Origin("https://evil.example"),
        ):
            pass

    assert refused.value.response.status_code == 403


async def test_a_subscription_started_after_signing_out_is_refused(
    server: str, ada: Person
) -> None:
    socket = transport(server, init_payload={"authorization": f"Bearer {ada.token}"})
    async with Client(transport=socket) as session:
        first = await anext(aiter(session.subscribe(gql(DATA_VERSION))))
        async with httpx.AsyncClient(base_url=f"http://{server}") as http:
            await http.post(
                "/graphql",
                json={"query": "mutation { signOut }"},
                headers={"authorization": f"Bearer {ada.token}"},
            )
        with pytest.raises(TransportQueryError) as refused:
            await anext(aiter(session.subscribe(gql(DATA_VERSION))))

    assert first == {"dataVersion": 0}
    assert refused.value.errors is not None
    assert refused.value.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
