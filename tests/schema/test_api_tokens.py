"""API tokens: scopes, expiry, revocation, and their makers' standing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from saaslens.auth.roles import Role
from saaslens.config import Settings
from tests.api import Api, MovableClock, add_person, running_api

CREATE = """
mutation ($name: String!, $scopes: [TokenScope!]!, $days: Int) {
  createApiToken(name: $name, scopes: $scopes, days: $days) {
    __typename
    ... on ApiTokenCreated { token apiToken { id scopes expiresAt } }
    ... on InvalidInputProblem { field }
  }
}
"""
CUSTOMERS = "{ customers(first: 1) { totalCount } }"
USERS = "{ users(first: 1) { totalCount } }"
T0 = datetime(2026, 1, 1, 9, tzinfo=UTC)


def code(body: dict[str, Any]) -> Any:
    return body["errors"][0]["extensions"]["code"]


async def _token(api: Api, scopes: list[str], days: int | None = None) -> dict[str, Any]:
    created = await api.data(CREATE, {"name": "loader", "scopes": scopes, "days": days})
    result: dict[str, Any] = created["createApiToken"]
    return result


async def test_a_token_grants_only_its_scopes(api: Api) -> None:
    reader = await _token(api, ["READ"])
    loader = await _token(api, ["INGEST"])

    read = await api.as_bearer(reader["token"]).post_graphql(CUSTOMERS)
    no_read = await api.as_bearer(loader["token"]).post_graphql(CUSTOMERS)
    no_admin = await api.as_bearer(reader["token"]).post_graphql(USERS)

    assert read["data"]["customers"]["totalCount"] == 0
    assert code(no_read) == "FORBIDDEN"
    assert "read scope" in no_read["errors"][0]["message"]
    assert code(no_admin) == "FORBIDDEN", "tokens never act as admins"


async def test_a_token_is_a_jwt_naming_its_id_scopes_and_expiry(api: Api) -> None:
    created = await _token(api, ["READ", "AUTOMATION"], days=7)

    claims = jwt.decode(
        created["token"], api.settings.secret_key.get_secret_value(), algorithms=["HS256"]
    )

    assert claims["jti"] == created["apiToken"]["id"]
    assert claims["scope"] == "automation read"
    assert claims["exp"] - claims["iat"] == 7 * 24 * 3600


async def test_a_token_expires(settings: Settings) -> None:
    clock = MovableClock(T0)
    admin = await add_person(settings, "admin@example.com", Role.ADMIN, now=T0)
    async with running_api(settings, clock) as anonymous:
        api = anonymous.as_bearer(admin.token)
        created = await _token(api, ["READ"], days=1)
        before = await api.as_bearer(created["token"]).post_graphql(CUSTOMERS)
        clock.advance(timedelta(days=1))
        after = await api.as_bearer(created["token"]).post_graphql(CUSTOMERS)

    assert "errors" not in before
    assert code(after) == "UNAUTHENTICATED"


async def test_a_revoked_token_stops_working(api: Api) -> None:
    created = await _token(api, ["READ"])

    revoked = await api.data(
        "mutation ($id: ID!) { revokeApiToken(id: $id) { __typename ... on ApiTokenRevoked "
        "{ apiToken { revokedAt } } } }",
        {"id": created["apiToken"]["id"]},
    )
    listed = await api.data("{ apiTokens(first: 5) { edges { node { id revokedAt } } } }")

    assert revoked["revokeApiToken"]["apiToken"]["revokedAt"] is not None
    assert listed["apiTokens"]["edges"][0]["node"]["revokedAt"] is not None
    assert code(await api.as_bearer(created["token"]).post_graphql(CUSTOMERS)) == (
        "UNAUTHENTICATED"
    )


async def test_a_token_signed_with_another_key_is_refused(api: Api) -> None:
    created = await _token(api, ["READ"])
    claims = jwt.decode(
        created["token"], api.settings.secret_key.get_secret_value(), algorithms=["HS256"]
    )

    forged = jwt.encode(claims, "another key of at least thirty-two bytes", algorithm="HS256")
    unsigned = jwt.encode(claims, None, algorithm="none")

    assert code(await api.as_bearer(forged).post_graphql(CUSTOMERS)) == "UNAUTHENTICATED"
    assert code(await api.as_bearer(unsigned).post_graphql(CUSTOMERS)) == "UNAUTHENTICATED"


async def test_tokens_of_a_demoted_admin_stop_working(api: Api) -> None:
    maker = await add_person(api.settings, "maker@example.com", Role.ADMIN)
    created = await _token(api.as_bearer(maker.token), ["READ"])

    await api.data(
        "mutation ($id: ID!) { setRole(userId: $id, role: ANALYST) { __typename } }",
        {"id": maker.id},
    )

    assert code(await api.as_bearer(created["token"]).post_graphql(CUSTOMERS)) == (
        "UNAUTHENTICATED"
    )


async def test_a_token_needs_a_scope_a_name_and_a_lifetime(api: Api) -> None:
    no_scope = await _token(api, [])
    no_days = await _token(api, ["READ"], days=0)
    created = await api.data(CREATE, {"name": " ", "scopes": ["READ"]})

    assert no_scope["field"] == "scopes"
    assert no_days["field"] == "days"
    assert created["createApiToken"]["field"] == "name"


async def test_a_token_cannot_act_as_a_person(api: Api) -> None:
    created = await _token(api, ["READ", "INGEST", "AUTOMATION"])
    service = api.as_bearer(created["token"])

    sign_out = await service.post_graphql("mutation { signOut }")
    mint = await service.post_graphql(CREATE, {"name": "more", "scopes": ["READ"]})

    assert code(sign_out) == "FORBIDDEN"
    assert code(mint) == "FORBIDDEN", "a token never makes more tokens"
