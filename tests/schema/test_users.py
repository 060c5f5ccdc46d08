"""Admins managing users, and people changing their own password."""

from __future__ import annotations

from saaslens.auth.roles import Role
from saaslens.config import load_settings
from tests.api import Api, add_person, running_api

CREATE = """
mutation ($email: String!, $password: String!, $role: Role!) {
  createUser(email: $email, password: $password, role: $role) {
    __typename
    ... on UserCreated { user { id email role disabled } }
    ... on ConflictProblem { message }
    ... on InvalidInputProblem { message field }
  }
}
"""
CHANGE_PASSWORD = """
mutation ($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new) {
    __typename
    ... on PasswordChanged { token }
    ... on InvalidInputProblem { field }
  }
}
"""


async def test_an_admin_creates_users_with_emails_unique_in_any_case(api: Api) -> None:
    created = await api.data(
        CREATE, {"email": " Ada@Example.com", "password": "a long password", "role": "ANALYST"}
    )
    again = await api.data(
        CREATE, {"email": "ADA@example.COM", "password": "another password", "role": "VIEWER"}
    )

    assert created["createUser"]["user"]["email"] == "ada@example.com"
    assert created["createUser"]["user"]["role"] == "ANALYST"
    assert again["createUser"]["__typename"] == "ConflictProblem"


async def test_bad_emails_and_short_passwords_are_reported_by_field(api: Api) -> None:
    email = await api.data(
        CREATE, {"email": "ada", "password": "a long password", "role": "VIEWER"}
    )
    password = await api.data(CREATE, {"email": "a@b.io", "password": "short", "role": "VIEWER"})

    assert email["createUser"]["field"] == "email"
    assert password["createUser"]["field"] == "password"


async def test_the_users_connection_pages_by_email(api: Api) -> None:
    for name in ["carol", "bob"]:
        await add_person(api.settings, f"{name}@example.com", Role.VIEWER)

    first = await api.data(
        "{ users(first: 2) { totalCount pageInfo { endCursor } edges { node { email } } } }"
    )
    cursor = first["users"]["pageInfo"]["endCursor"]
    rest = await api.data(
        "query ($after: String) { users(first: 2, after: $after) { edges { node { email } } } }",
        {"after": cursor},
    )

    assert first["users"]["totalCount"] == 3
    emails = [edge["node"]["email"] for edge in first["users"]["edges"]]
    assert emails == ["admin@example.com", "bob@example.com"]
    assert [edge["node"]["email"] for edge in rest["users"]["edges"]] == ["carol@example.com"]


async def test_the_last_admin_keeps_the_role(api: Api) -> None:
    me = await api.data("{ me { email } users(first: 1) { edges { node { id } } } }")
    admin_id = me["users"]["edges"][0]["node"]["id"]

    demoted = await api.data(
        "mutation ($id: ID!) { setRole(userId: $id, role: VIEWER) { __typename } }",
        {"id": admin_id},
    )
    disabled = await api.data(
        "mutation ($id: ID!) { disableUser(userId: $id) { __typename } }", {"id": admin_id}
    )

    assert demoted["setRole"]["__typename"] == "ConflictProblem"
    assert disabled["disableUser"]["__typename"] == "ConflictProblem"


async def test_an_unknown_user_is_a_not_found_outcome(api: Api) -> None:
    result = await api.data('mutation { setRole(userId: "nobody", role: ADMIN) { __typename } }')

    assert result["setRole"]["__typename"] == "NotFoundProblem"


async def test_analysts_may_not_manage_users(api: Api) -> None:
    analyst = await add_person(api.settings, "ana@example.com", Role.ANALYST)

    body = await api.as_bearer(analyst.token).post_graphql(
        CREATE, {"email": "x@example.com", "password": "a long password", "role": "ADMIN"}
    )

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "admin role" in body["errors"][0]["message"]


async def test_changing_the_password_ends_other_sessions_and_starts_one(api: Api) -> None:
    person = await add_person(api.settings, "ada@example.com", Role.VIEWER)
    other = await add_person(api.settings, "bob@example.com", Role.VIEWER)
    ada = api.as_bearer(person.token)

    wrong = await ada.data(CHANGE_PASSWORD, {"current": "nope", "new": "a new long password"})
    short = await ada.data(CHANGE_PASSWORD, {"current": person.password, "new": "short"})
    changed = await ada.data(
        CHANGE_PASSWORD, {"current": person.password, "new": "a new long one"}
    )

    new_token = changed["changePassword"]["token"]
    assert wrong["changePassword"]["__typename"] == "WrongPassword"
    assert short["changePassword"]["field"] == "password"
    assert (await ada.post_graphql("{ me { email } }"))["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )
    assert (await api.as_bearer(new_token).data("{ me { email } }"))["me"]["email"] == person.email
    assert (await api.as_bearer(other.token).data("{ me { email } }"))["me"][
        "email"
    ] == other.email


async def test_guessing_the_current_password_is_throttled(store_url: str) -> None:
    settings = load_settings(database_url=store_url, throttle_account_failures=2)
    person = await add_person(settings, "ada@example.com", Role.VIEWER)
    async with running_api(settings) as anonymous:
        ada = anonymous.as_bearer(person.token)
        guesses = [
            await ada.post_graphql(CHANGE_PASSWORD, {"current": guess, "new": "a new long one"})
            for guess in ["guess one", "guess two", person.password]
        ]

    assert [body["data"]["changePassword"]["__typename"] for body in guesses[:2]] == [
        "WrongPassword",
        "WrongPassword",
    ]
    assert guesses[2]["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
