"""Sessions as a browser and a script meet them, through real HTTP."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.auth.roles import Role
from saaslens.config import Settings, load_settings
from saaslens.data.models import Session
from tests.api import Api, MovableClock, add_person, running_api

ME = "{ me { email role } }"
SIGN_IN = """
mutation ($email: String!, $password: String!, $bearer: Boolean! = false) {
  signIn(email: $email, password: $password, bearer: $bearer) {
    __typename
    ... on SignedIn { token expiresAt user { email } }
    ... on SignInFailed { message }
  }
}
"""
T0 = datetime(2026, 1, 1, 9, tzinfo=UTC)


def lucia_token() -> tuple[str, str]:
    """A token and session id made as Lucia's guide makes them, without saaslens code."""
    token = base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=").lower()
    return token, hashlib.sha256(token.encode()).hexdigest()


async def sessions_of(sessions: async_sessionmaker[AsyncSession], user_id: str) -> int:
    async with sessions() as db:
        count = select(func.count()).where(Session.user_id == user_id)
        return await db.scalar(count) or 0


def code(body: dict[str, object]) -> object:
    errors = body.get("errors")
    assert isinstance(errors, list), body
    return errors[0]["extensions"]["code"]


async def test_a_session_made_as_lucia_makes_it_works_as_cookie_and_bearer(
    anonymous: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = await add_person(anonymous.settings, "ada@example.com", Role.ANALYST)
    token, session_id = lucia_token()
    async with sessions() as db:
        now = datetime.now(UTC)
        await db.execute(
            insert(Session).values(
                id=session_id,
                user_id=person.id,
                expires_at=now + timedelta(days=30),
                created_at=now,
            )
        )
        await db.commit()

    by_cookie = await anonymous.with_cookie(token).data(ME)
    by_bearer = await anonymous.as_bearer(token).data(ME)

    assert by_cookie["me"] == {"email": "ada@example.com", "role": "ANALYST"}
    assert by_bearer == by_cookie
    assert len(token) == 32


async def test_sign_in_sets_a_cookie_a_browser_keeps_for_the_session(anonymous: Api) -> None:
    await add_person(anonymous.settings, "ada@example.com", Role.VIEWER)

    response = await anonymous.post(
        SIGN_IN, {"email": "ADA@example.com", "password": "correct horse battery staple"}
    )

    cookie = response.headers["set-cookie"]
    token = response.cookies.get("session") or ""
    assert response.json()["data"]["signIn"]["__typename"] == "SignedIn"
    assert response.json()["data"]["signIn"]["token"] is None, "browsers get only the cookie"
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert "Max-Age=2592000" in cookie
    assert "Secure" not in cookie, "development serves plain HTTP"
    assert (await anonymous.with_cookie(token).data(ME))["me"]["email"] == "ada@example.com"


async def test_the_cookie_is_secure_outside_development(store_url: str) -> None:
    settings = load_settings(
        database_url=store_url, profile="production", secret_key="a-production-secret-" * 2
    )
    async with running_api(settings) as api:
        await add_person(settings, "ada@example.com", Role.VIEWER)
        response = await api.post(
            SIGN_IN, {"email": "ada@example.com", "password": "correct horse battery staple"}
        )

    assert "Secure" in response.headers["set-cookie"]


async def test_bearer_sign_in_returns_the_token_instead_of_a_cookie(anonymous: Api) -> None:
    person = await add_person(anonymous.settings, "ada@example.com", Role.VIEWER)

    response = await anonymous.post(
        SIGN_IN, {"email": person.email, "password": person.password, "bearer": True}
    )

    token = response.json()["data"]["signIn"]["token"]
    assert "set-cookie" not in response.headers
    assert (await anonymous.as_bearer(token).data(ME))["me"]["email"] == person.email


async def test_a_session_expires_after_30_days_and_is_deleted(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    clock = MovableClock(T0)
    person = await add_person(settings, "ada@example.com", Role.VIEWER, now=T0)
    async with running_api(settings, clock) as api:
        clock.advance(timedelta(days=30))
        response = await api.with_cookie(person.token).post(ME)

    assert code(response.json()) == "UNAUTHENTICATED"
    assert await sessions_of(sessions, person.id) == 0
    assert 'session=""' in response.headers["set-cookie"], "the dead cookie is cleared"


async def test_a_session_with_under_15_days_left_is_extended_and_the_cookie_resent(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    clock = MovableClock(T0)
    person = await add_person(settings, "ada@example.com", Role.VIEWER, now=T0)
    async with running_api(settings, clock) as api:
        clock.advance(timedelta(days=14))
        early = await api.with_cookie(person.token).post(ME)
        clock.advance(timedelta(days=2))
        late = await api.with_cookie(person.token).post(ME)
    async with sessions() as db:
        stored = await db.scalar(select(Session.expires_at).where(Session.user_id == person.id))

    assert "set-cookie" not in early.headers, "16 days were left: nothing to extend"
    assert late.json()["data"]["me"]["email"] == person.email
    assert f"session={person.token}" in late.headers["set-cookie"]
    assert "Max-Age=2592000" in late.headers["set-cookie"]
    assert stored == T0 + timedelta(days=16 + 30)


async def test_sign_out_deletes_the_session(
    anonymous: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = await add_person(anonymous.settings, "ada@example.com", Role.VIEWER)

    response = await anonymous.with_cookie(person.token).post("mutation { signOut }")

    assert response.json()["data"] == {"signOut": True}
    assert 'session=""' in response.headers["set-cookie"]
    assert await sessions_of(sessions, person.id) == 0
    assert code(await anonymous.as_bearer(person.token).post_graphql(ME)) == "UNAUTHENTICATED"


async def test_sign_out_everywhere_ends_every_session_of_the_user(
    anonymous: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    person = await add_person(anonymous.settings, "ada@example.com", Role.VIEWER)
    other = await anonymous.post_graphql(
        SIGN_IN, {"email": person.email, "password": person.password, "bearer": True}
    )
    bystander = await add_person(anonymous.settings, "bob@example.com", Role.VIEWER)

    await anonymous.as_bearer(person.token).data("mutation { signOutEverywhere }")

    phone = anonymous.as_bearer(other["data"]["signIn"]["token"])
    assert code(await phone.post_graphql(ME)) == "UNAUTHENTICATED"
    assert await sessions_of(sessions, person.id) == 0
    assert await sessions_of(sessions, bystander.id) == 1


async def test_sign_in_replaces_the_session_the_browser_held(anonymous: Api) -> None:
    person = await add_person(anonymous.settings, "ada@example.com", Role.VIEWER)

    response = await anonymous.with_cookie(person.token).post(
        SIGN_IN, {"email": person.email, "password": person.password}
    )

    new_token = response.cookies.get("session")
    assert new_token
    assert new_token != person.token
    assert code(await anonymous.as_bearer(person.token).post_graphql(ME)) == "UNAUTHENTICATED"
    assert (await anonymous.as_bearer(new_token).data(ME))["me"]["email"] == person.email


async def test_a_disabled_user_cannot_sign_in_and_their_sessions_stop(api: Api) -> None:
    person = await add_person(api.settings, "ada@example.com", Role.ANALYST)

    disabled = await api.data(
        "mutation ($id: ID!) { disableUser(userId: $id) { __typename } }", {"id": person.id}
    )
    signed = await api.as_bearer(None).post_graphql(
        SIGN_IN, {"email": person.email, "password": person.password}
    )

    assert disabled["disableUser"]["__typename"] == "UserDisabled"
    assert code(await api.as_bearer(person.token).post_graphql(ME)) == "UNAUTHENTICATED"
    assert signed["data"]["signIn"]["__typename"] == "SignInFailed"


async def test_a_demoted_users_earlier_sessions_stop_working(api: Api) -> None:
    person = await add_person(api.settings, "ada@example.com", Role.ADMIN)
    users = "{ users(first: 5) { totalCount } }"
    assert (await api.as_bearer(person.token).data(users))["users"]["totalCount"] == 2

    changed = await api.data(
        "mutation ($id: ID!) { setRole(userId: $id, role: VIEWER) { __typename } }",
        {"id": person.id},
    )
    again = await api.as_bearer(None).post_graphql(
        SIGN_IN, {"email": person.email, "password": person.password, "bearer": True}
    )
    demoted = api.as_bearer(again["data"]["signIn"]["token"])

    assert changed["setRole"]["__typename"] == "RoleChanged"
    assert code(await api.as_bearer(person.token).post_graphql(users)) == "UNAUTHENTICATED"
    assert code(await demoted.post_graphql(users)) == "FORBIDDEN"
    assert (await demoted.data(ME))["me"]["role"] == "VIEWER"
