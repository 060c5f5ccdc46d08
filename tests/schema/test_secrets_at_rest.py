"""No session token or API token is kept in clear anywhere in the store."""

from __future__ import annotations

import hashlib

from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncEngine

from saaslens.auth.roles import Role
from tests.api import Api, add_person


async def _every_value(engine: AsyncEngine) -> list[str]:
    """Every value of every column of every table the database holds, as text."""
    metadata = MetaData()
    async with engine.connect() as connection:
        await connection.run_sync(metadata.reflect)
        values: list[str] = []
        for table in metadata.sorted_tables:
            for row in await connection.execute(select(table)):
                values.extend(str(value) for value in row)
    return values


async def test_neither_token_is_stored_in_clear(anonymous: Api, engine: AsyncEngine) -> None:
    person = await add_person(anonymous.settings, "ada@example.com", Role.ADMIN)
    signed_in = await anonymous.post(
        "mutation ($e: String!, $p: String!) { signIn(email: $e, password: $p) { __typename } }",
        {"e": person.email, "p": person.password},
    )
    session_token = signed_in.cookies["session"]
    created = await anonymous.with_cookie(session_token).data(
        'mutation { createApiToken(name: "loader", scopes: [INGEST]) '
        "{ ... on ApiTokenCreated { token } } }"
    )
    api_token = created["createApiToken"]["token"]

    values = await _every_value(engine)

    assert hashlib.sha256(session_token.encode()).hexdigest() in values, "sessions were read"
    assert not [value for value in values if session_token in value]
    assert not [value for value in values if api_token in value]
    assert not [value for value in values if person.token in value]
