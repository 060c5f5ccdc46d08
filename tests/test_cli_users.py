"""`saaslens users create`, run as a real command against the store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from saaslens.auth.roles import Role
from saaslens.config import Settings
from tests.api import Api, add_person

SIGN_IN = """
mutation ($e: String!, $p: String!) {
  signIn(email: $e, password: $p, bearer: true) { __typename ... on SignedIn { token } }
}
"""


def create(store_url: str, *arguments: str, password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "saaslens", "users", "create", *arguments, "--password-stdin"],
        input=password + "\n",
        env={**os.environ, "SAASLENS_DATABASE_URL": store_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_a_created_user_can_sign_in_with_the_role_given(
    anonymous: Api, store_url: str
) -> None:
    made = create(
        store_url,
        *("--email", "Ada@Example.com", "--role", "analyst", "--id", "lucia-user-1"),
        password="a long password",
    )

    signed = await anonymous.post_graphql(
        SIGN_IN, {"e": "ada@example.com", "p": "a long password"}
    )
    token = signed["data"]["signIn"]["token"]
    me = await anonymous.as_bearer(token).data("{ me { id email role } }")

    assert made.returncode == 0, made.stderr
    assert "Created ada@example.com as analyst" in made.stdout
    assert me["me"] == {"id": "lucia-user-1", "email": "ada@example.com", "role": "ANALYST"}


async def test_a_taken_email_or_a_short_password_is_refused_with_a_reason(
    settings: Settings, store_url: str
) -> None:
    await add_person(settings, "ada@example.com", Role.VIEWER)

    taken = create(store_url, "--email", "ADA@example.com", "--role", "admin", password="x" * 12)
    short = create(store_url, "--email", "bob@example.com", "--role", "admin", password="short")

    assert taken.returncode == 1
    assert "exists already" in taken.stderr
    assert short.returncode == 1
    assert "a password has 10 to 256 characters" in short.stderr


def test_a_store_never_migrated_is_named_as_the_reason(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}"

    result = create(url, "--email", "ada@example.com", "--role", "admin", password="x" * 12)

    assert result.returncode == 1
    assert result.stderr.strip() == (
        "The store refused the new user: no such table: users. Has `saaslens db upgrade` been run?"
    )
