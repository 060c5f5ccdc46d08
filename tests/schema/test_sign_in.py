"""Signing in: failures that tell nothing, throttling, and upgraded hashes."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import argon2._password_hasher
import pytest
from argon2 import Type, extract_parameters
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.auth.roles import Role
from saaslens.config import load_settings
from saaslens.data.models import User
from tests.api import Api, MovableClock, add_person, running_api
from tests.auth.test_passwords import REFERENCE_ARGON2I, REFERENCE_ARGON2ID

SIGN_IN = """
mutation ($email: String!, $password: String!) {
  signIn(email: $email, password: $password) {
    __typename
    ... on SignInFailed { message }
  }
}
"""
T0 = datetime(2026, 1, 1, 9, tzinfo=UTC)


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the Argon2 verifications the real hasher performs."""
    calls: list[int] = []
    real: Callable[..., Any] = argon2._password_hasher.verify_secret

    def counted(*args: Any) -> Any:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(argon2._password_hasher, "verify_secret", counted)
    return calls


async def test_an_unknown_email_and_a_wrong_password_look_the_same(
    anonymous: Api, verifications: list[int]
) -> None:
    person = await add_person(anonymous.settings, "ada@example.com", Role.VIEWER)
    await anonymous.post_graphql(SIGN_IN, {"email": "warm@example.com", "password": "x"})
    verifications.clear()

    started = time.perf_counter()
    unknown = await anonymous.post(SIGN_IN, {"email": "nobody@example.com", "password": "guess"})
    unknown_seconds = time.perf_counter() - started
    unknown_work = len(verifications)
    started = time.perf_counter()
    wrong = await anonymous.post(SIGN_IN, {"email": person.email, "password": "guess"})
    wrong_seconds = time.perf_counter() - started
    print(f"unknown email {unknown_seconds:.3f}s, wrong password {wrong_seconds:.3f}s")

    assert unknown.status_code == wrong.status_code == 200
    assert unknown.json() == wrong.json()
    assert unknown.json()["data"]["signIn"] == {
        "__typename": "SignInFailed",
        "message": "The email or password is incorrect.",
    }
    assert unknown_work == 1, "the decoy hash is verified for an unknown email"
    assert len(verifications) - unknown_work == 1


async def test_a_disabled_user_with_the_right_password_gets_the_same_answer(
    api: Api, verifications: list[int]
) -> None:
    person = await add_person(api.settings, "ada@example.com", Role.VIEWER)
    await api.data(
        "mutation ($id: ID!) { disableUser(userId: $id) { __typename } }", {"id": person.id}
    )
    verifications.clear()

    body = await api.as_bearer(None).post_graphql(
        SIGN_IN, {"email": person.email, "password": person.password}
    )

    assert body["data"]["signIn"]["message"] == "The email or password is incorrect."
    assert len(verifications) == 1


async def test_failed_sign_ins_of_one_account_are_throttled_with_the_wait(store_url: str) -> None:
    settings = load_settings(
        database_url=store_url, throttle_account_failures=3, throttle_window_seconds=600
    )
    clock = MovableClock(T0)
    person = await add_person(settings, "ada@example.com", Role.VIEWER)
    right = {"email": person.email, "password": person.password}
    async with running_api(settings, clock) as api:
        for _ in range(3):
            await api.post_graphql(SIGN_IN, {"email": "ADA@example.com", "password": "guess"})
            clock.advance(timedelta(seconds=10))
        throttled = await api.post_graphql(SIGN_IN, right)
        clock.now = T0 + timedelta(seconds=600)
        later = await api.post_graphql(SIGN_IN, right)

    error = throttled["errors"][0]
    assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": 570}
    assert "570 seconds" in error["message"]
    assert later["data"]["signIn"]["__typename"] == "SignedIn"


async def test_failed_sign_ins_from_one_address_are_throttled_across_accounts(
    store_url: str,
) -> None:
    settings = load_settings(
        database_url=store_url, throttle_address_failures=3, throttle_account_failures=100
    )
    async with running_api(settings) as api:
        for index in range(3):
            await api.post_graphql(SIGN_IN, {"email": f"u{index}@example.com", "password": "x"})
        throttled = await api.post_graphql(SIGN_IN, {"email": "new@example.com", "password": "x"})

    assert throttled["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert throttled["errors"][0]["extensions"]["retryAfter"] > 0


async def test_a_weaker_hash_is_upgraded_at_sign_in_and_a_stronger_one_kept(
    anonymous: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as db:
        for email, password_hash in [
            ("old@example.com", REFERENCE_ARGON2I),
            ("lucia@example.com", REFERENCE_ARGON2ID),
        ]:
            db.add(
                User(
                    id=email.split("@")[0],
                    email=email,
                    password_hash=password_hash,
                    role="viewer",
                    disabled=False,
                    created_at=T0,
                )
            )
        await db.commit()

    for email in ["old@example.com", "lucia@example.com"]:
        body = await anonymous.post_graphql(SIGN_IN, {"email": email, "password": "password"})
        assert body["data"]["signIn"]["__typename"] == "SignedIn"
    async with sessions() as db:
        hashes = dict((await db.execute(select(User.id, User.password_hash))).all())

    upgraded = extract_parameters(hashes["old"])
    assert upgraded.type is Type.ID
    assert upgraded.memory_cost == 19456
    assert hashes["lucia"] == REFERENCE_ARGON2ID
