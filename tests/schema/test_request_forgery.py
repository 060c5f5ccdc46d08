"""Requests another site could make a signed-in browser send."""

from __future__ import annotations

from saaslens.auth.roles import Role
from saaslens.config import load_settings
from tests.api import Api, add_person, running_api

ME = "{ me { email } }"


async def test_a_cookie_post_from_the_api_itself_is_served(anonymous: Api) -> None:
    person = await add_person(anonymous.settings, "ada@example.com", Role.VIEWER)

    response = await anonymous.with_cookie(person.token, origin="http://testserver").post(ME)

    assert response.status_code == 200
    assert response.json()["data"]["me"]["email"] == person.email


async def test_a_cookie_post_from_a_listed_front_end_is_served(store_url: str) -> None:
    settings = load_settings(database_url=store_url, allowed_origins=["https://app.example"])
    person = await add_person(settings, "ada@example.com", Role.VIEWER)
    async with running_api(settings) as api:
        listed = await api.with_cookie(person.token, origin="https://app.example").post(ME)
        other = await api.with_cookie(person.token, origin="https://other.example").post(ME)

    assert listed.json()["data"]["me"]["email"] == person.email
    assert other.status_code == 403


async def test_a_cookie_post_from_another_origin_is_refused_with_403(anonymous: Api) -> None:
    person = await add_person(anonymous.settings, "ada@example.com", Role.VIEWER)

    response = await anonymous.with_cookie(person.token, origin="https://evil.example").post(
        "mutation { signOut }"
    )

    assert response.status_code == 403
    assert "https://evil.example is not allowed" in response.json()["detail"]
    assert (await anonymous.as_bearer(person.token).data(ME))["me"]["email"] == person.email


async def test_a_cookie_post_without_origin_is_refused_with_403(anonymous: Api) -> None:
    person = await add_person(anonymous.settings, "ada@example.com", Role.VIEWER)
    cookie = {"cookie": f"session={person.token}"}

    response = await anonymous.post("mutation { signOut }", headers=cookie)

    assert response.status_code == 403
    assert "must carry an Origin header" in response.json()["detail"]


async def test_a_bearer_post_needs_no_origin(anonymous: Api) -> None:
    person = await add_person(anonymous.settings, "ada@example.com", Role.VIEWER)

    response = await anonymous.as_bearer(person.token).post(ME)

    assert response.status_code == 200


async def test_signing_in_from_another_origin_is_refused(anonymous: Api) -> None:
    person = await add_person(anonymous.settings, "ada@example.com", Role.VIEWER)

    response = await anonymous.post(
        "mutation ($e: String!, $p: String!) { signIn(email: $e, password: $p) { __typename } }",
        {"e": person.email, "p": person.password},
        headers={"origin": "https://evil.example"},
    )

    assert response.status_code == 403
    assert "set-cookie" not in response.headers


async def test_a_mutation_sent_by_get_never_runs(anonymous: Api) -> None:
    person = await add_person(anonymous.settings, "ada@example.com", Role.VIEWER)

    response = await anonymous.client.get(
        "/graphql",
        params={"query": "mutation { signOut }"},
        headers={"cookie": f"session={person.token}", "origin": "http://testserver"},
    )

    # Strawberry refuses before executing anything; the session must survive.
    assert response.status_code == 400
    assert "mutations are not allowed when using GET" in response.text
    assert "set-cookie" not in response.headers
    assert (await anonymous.as_bearer(person.token).data(ME))["me"]["email"] == person.email


async def test_a_query_sent_by_get_with_the_cookie_is_answered(anonymous: Api) -> None:
    person = await add_person(anonymous.settings, "ada@example.com", Role.VIEWER)

    response = await anonymous.client.get(
        "/graphql", params={"query": ME}, headers={"cookie": f"session={person.token}"}
    )

    assert response.json()["data"]["me"]["email"] == person.email
