"""A database shared with a Lucia v3 application: its tables, its cookie, its types.

The tables are made as the Lucia v3 adapters' own guides lay them out:
integer seconds for expires_at on SQLite, timestamptz on PostgreSQL, and on
PostgreSQL the table names those guides use, read from the settings.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from saaslens.auth.roles import Role
from saaslens.config import Settings, load_settings
from saaslens.data.engine import create_engine
from tests.api import MovableClock, add_person, running_api

ME = "{ me { email } }"
T0 = datetime(2026, 1, 1, 9, tzinfo=UTC)

SQLITE_TABLES = [
    "CREATE TABLE user (id TEXT NOT NULL PRIMARY KEY)",
    "CREATE TABLE session (id TEXT NOT NULL PRIMARY KEY, expires_at INTEGER NOT NULL, "
    "user_id TEXT NOT NULL, FOREIGN KEY (user_id) REFERENCES user(id))",
]
POSTGRES_TABLES = [
    "DROP TABLE IF EXISTS user_session",
    "DROP TABLE IF EXISTS auth_user",
    "CREATE TABLE auth_user (id TEXT PRIMARY KEY)",
    "CREATE TABLE user_session (id TEXT PRIMARY KEY, expires_at TIMESTAMPTZ NOT NULL, "
    "user_id TEXT NOT NULL REFERENCES auth_user(id))",
]


@pytest.fixture
async def lucia(store_url: str) -> AsyncIterator[Settings]:
    """Settings in compatibility mode over a store that holds Lucia's tables."""
    sqlite = store_url.startswith("sqlite")
    names = (
        {} if sqlite else {"lucia_user_table": "auth_user", "lucia_session_table": "user_session"}
    )
    engine = create_engine(store_url)
    async with engine.begin() as connection:
        for statement in SQLITE_TABLES if sqlite else POSTGRES_TABLES:
            await connection.execute(text(statement))
    yield load_settings(database_url=store_url, lucia_compat=True, **names)
    if not sqlite:
        async with engine.begin() as connection:
            for statement in POSTGRES_TABLES[:2]:
                await connection.execute(text(statement))
    await engine.dispose()


async def _sql(settings: Settings, statement: str, **values: object) -> list[tuple[object, ...]]:
    engine = create_engine(settings.database_url)
    async with engine.begin() as connection:
        result = await connection.execute(text(statement), values)
        rows = [tuple(row) for row in result] if result.returns_rows else []
    await engine.dispose()
    return rows


def _stored(settings: Settings, moment: datetime) -> object:
    return int(moment.timestamp()) if settings.database_url.startswith("sqlite") else moment


async def _lucia_session(settings: Settings, user_id: str, expires_at: datetime) -> str:
    """A session row written as the Lucia v3 package writes one; its id is the cookie."""
    session_id = base64.b32encode(secrets.token_bytes(25)).decode().rstrip("=").lower()
    await _sql(
        settings,
        f'INSERT INTO "{settings.lucia_session_table}" (id, user_id, expires_at) '
        "VALUES (:id, :user_id, :expires_at)",
        id=session_id,
        user_id=user_id,
        expires_at=_stored(settings, expires_at),
    )
    return session_id


async def _expiry(settings: Settings, session_id: str) -> object:
    rows = await _sql(
        settings,
        f'SELECT expires_at FROM "{settings.lucia_session_table}" WHERE id = :id',
        id=session_id,
    )
    return rows[0][0] if rows else None


async def test_a_lucia_v3_session_works_as_its_cookie_and_as_bearer(lucia: Settings) -> None:
    person = await add_person(lucia, "ada@example.com", Role.VIEWER)
    session_id = await _lucia_session(lucia, person.id, datetime.now(UTC) + timedelta(days=20))

    async with running_api(lucia) as api:
        by_cookie = await api.with_cookie(session_id).data(ME)
        by_bearer = await api.as_bearer(session_id).data(ME)

    assert lucia.cookie_name == "auth_session"
    assert by_cookie["me"]["email"] == "ada@example.com"
    assert by_bearer["me"]["email"] == "ada@example.com"


async def test_lucia_rows_are_extended_and_expired_in_the_adapters_types(
    lucia: Settings,
) -> None:
    clock = MovableClock(T0)
    person = await add_person(lucia, "ada@example.com", Role.VIEWER, now=T0)
    fresh = await _lucia_session(lucia, person.id, T0 + timedelta(days=30))
    stale = await _lucia_session(lucia, person.id, T0 + timedelta(days=10))

    async with running_api(lucia, clock) as api:
        clock.advance(timedelta(days=16))
        extended = await api.with_cookie(fresh).post(ME)
        expired = await api.as_bearer(stale).post_graphql(ME)

    assert extended.json()["data"]["me"]["email"] == person.email
    assert f"auth_session={fresh}" in extended.headers["set-cookie"]
    assert await _expiry(lucia, fresh) == _stored(lucia, T0 + timedelta(days=16 + 30))
    assert expired["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await _expiry(lucia, stale) is None, "an expired row is deleted when met"


async def test_signing_in_writes_a_session_the_lucia_application_can_read(
    lucia: Settings,
) -> None:
    person = await add_person(lucia, "ada@example.com", Role.VIEWER)

    async with running_api(lucia) as api:
        response = await api.post(
            "mutation ($e: String!, $p: String!) { signIn(email: $e, password: $p) "
            "{ __typename } }",
            {"e": person.email, "p": person.password},
        )
    cookie = response.cookies.get("auth_session") or ""
    rows = await _sql(
        lucia,
        f'SELECT user_id, expires_at FROM "{lucia.lucia_session_table}" WHERE id = :id',
        id=cookie,
    )

    assert response.json()["data"]["signIn"]["__typename"] == "SignedIn"
    assert len(cookie) == 40, "the session id itself, 25 random bytes in base32"
    assert rows[0][0] == person.id
    expected_type = int if lucia.database_url.startswith("sqlite") else datetime
    assert isinstance(rows[0][1], expected_type)


async def test_a_lucia_user_unknown_to_saaslens_is_refused_and_keeps_the_cookie(
    lucia: Settings,
) -> None:
    await _sql(lucia, f'INSERT INTO "{lucia.lucia_user_table}" (id) VALUES (:id)', id="shopper")
    session_id = await _lucia_session(lucia, "shopper", datetime.now(UTC) + timedelta(days=20))

    async with running_api(lucia) as api:
        response = await api.with_cookie(session_id).post(ME)

    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "set-cookie" not in response.headers, "the Lucia application's cookie is its own"
    assert await _expiry(lucia, session_id) is not None
