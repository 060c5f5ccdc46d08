"""A real HTTP client on the real application, for tests that speak GraphQL.

`api` is signed in as an admin through a Bearer session token, so tests of
other areas read and write freely; `anonymous` is the same client without
credentials, for tests of what strangers see.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import httpx
import pytest

from saaslens.app import create_app
from saaslens.auth.clock import Clock, system_clock
from saaslens.auth.passwords import hash_password
from saaslens.auth.roles import Role
from saaslens.auth.users import new_user_id
from saaslens.auth.viewers import session_scheme
from saaslens.config import Settings, load_settings
from saaslens.data.engine import create_engine, create_session_factory
from saaslens.data.models import User

PASSWORD = "correct horse battery staple"
# The origin of pages the test application serves itself.
SELF = "http://testserver"


class Api:
    def __init__(
        self, client: httpx.AsyncClient, settings: Settings, headers: dict[str, str] | None = None
    ) -> None:
        self.client = client
        self.settings = settings
        self.headers = headers or {}

    def as_bearer(self, token: str | None) -> Api:
        """The same client sending `token` as a Bearer token, or nothing when None."""
        headers = {} if token is None else {"authorization": f"Bearer {token}"}
        return Api(self.client, self.settings, headers)

    def with_cookie(self, token: str, origin: str | None = None) -> Api:
        """The same client sending `token` as the session cookie, from `origin`."""
        headers = {"cookie": f"{self.settings.cookie_name}={token}"}
        return Api(self.client, self.settings, headers | {"origin": origin or SELF})

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST a document; return the response as it came."""
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={**self.headers, **(headers or {})},
        )
        # Each test says which cookie it sends; none is kept between requests.
        self.client.cookies.clear()
        return response

    async def post_graphql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST a document; return the whole response body, errors included."""
        body: dict[str, Any] = (await self.post(query, variables, headers)).json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST a document that must succeed; return its data."""
        body = await self.post_graphql(query, variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data


@dataclass(frozen=True)
class Person:
    id: str
    email: str
    password: str
    token: str


@cache
def password_hash() -> str:
    """PASSWORD's hash, made once: Argon2 is slow by design, and tests add many people."""
    return hash_password(PASSWORD)


async def add_person(
    settings: Settings, email: str, role: Role, now: datetime | None = None
) -> Person:
    """A user written straight into the store, with a session started for them."""
    now = now or system_clock()
    engine = create_engine(settings.database_url)
    user = User(
        id=new_user_id(),
        email=email,
        password_hash=password_hash(),
        role=role.value,
        disabled=False,
        created_at=now,
    )
    async with create_session_factory(engine)() as db:
        db.add(user)
        await db.flush()
        issued = await session_scheme(settings).create(db, user.id, now)
        await db.commit()
    await engine.dispose()
    return Person(user.id, user.email, PASSWORD, issued.token)


@pytest.fixture
def settings(store_url: str) -> Settings:
    return load_settings(database_url=store_url)


@asynccontextmanager
async def running_api(settings: Settings, clock: Clock = system_clock) -> AsyncIterator[Api]:
    """The application over `settings`, judging time by `clock`, with no credentials."""
    app = create_app(settings, clock)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=SELF) as client,
    ):
        yield Api(client, settings)


@pytest.fixture
async def anonymous(settings: Settings) -> AsyncIterator[Api]:
    async with running_api(settings) as api:
        yield api


@pytest.fixture
async def api(anonymous: Api) -> Api:
    admin = await add_person(anonymous.settings, "admin@example.com", Role.ADMIN)
    return anonymous.as_bearer(admin.token)


class MovableClock:
    """A clock a test sets and moves; the application reads it as the time now."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by
