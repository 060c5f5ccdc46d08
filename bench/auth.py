"""What authentication costs a request, next to a request that needs none.

Through the real application in process (httpx over ASGI, a SQLite file or
PostgreSQL), each kind of request is timed many times and its median printed
with its ratio to the baseline, `{ __typename }` without credentials, which
is measured in the same run:

- a session token as Bearer (one indexed read of the session and its user),
- the same token as the cookie (the Origin check as well),
- an API token (JWT signature, then one read of its record and owner),
- signIn (one Argon2id verification at m=19456 KiB, t=2, p=1, and a write).

    .venv/bin/python bench/auth.py --requests 300 --sign-ins 20 \\
        --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/saaslens_bench
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from saaslens.app import create_app
from saaslens.auth.clock import system_clock
from saaslens.auth.roles import Role
from saaslens.auth.tokens import Scope, issue_token
from saaslens.auth.users import create_user
from saaslens.auth.viewers import session_scheme
from saaslens.config import Settings, load_settings
from saaslens.data.engine import create_engine, create_session_factory
from saaslens.data.migrate import upgrade

PASSWORD = "a benchmark password"
ORIGIN = "http://bench"


async def credentials(settings: Settings, email: str) -> tuple[str, str]:
    """An admin's session token and an API token of theirs."""
    engine = create_engine(settings.database_url)
    async with create_session_factory(engine)() as db:
        now = system_clock()
        admin = await create_user(db, email, PASSWORD, Role.ADMIN, now)
        session = await session_scheme(settings).create(db, admin.id, now)
        token = await issue_token(db, settings, admin, "bench", [Scope.READ], now)
        await db.commit()
    await engine.dispose()
    return session.token, token.token


async def median_ms(
    client: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str], count: int
) -> float:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        response = await client.post("/graphql", json=body, headers=headers)
        timings.append(time.perf_counter() - started)
        assert "errors" not in response.json(), response.text
        client.cookies.clear()
    return statistics.median(timings) * 1000


async def measure(settings: Settings, requests: int, sign_ins: int) -> None:
    # A new admin each run, so a PostgreSQL database can be measured again.
    email = f"bench-{secrets.token_hex(4)}@example.com"
    session, api_token = await credentials(settings, email)
    me = {"query": "{ me { email } }"}
    sign_in = {
        "query": "mutation ($e: String!, $p: String!) { signIn(email: $e, password: $p) "
        "{ __typename } }",
        "variables": {"e": email, "p": PASSWORD},
    }
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client,
    ):
        await median_ms(client, {"query": "{ __typename }"}, {}, 20)
        baseline = await median_ms(client, {"query": "{ __typename }"}, {}, requests)
        rows = {
            "no credentials (baseline)": baseline,
            "session token as Bearer": await median_ms(
                client, me, {"authorization": f"Bearer {session}"}, requests
            ),
            "session cookie": await median_ms(
                client, me, {"cookie": f"session={session}", "origin": ORIGIN}, requests
            ),
            "API token": await median_ms(
                client, me, {"authorization": f"Bearer {api_token}"}, requests
            ),
            "signIn": await median_ms(client, sign_in, {}, sign_ins),
        }
    print(f"store: {settings.database_url.split(':')[0]}")
    for name, milliseconds in rows.items():
        print(f"  {name:28} median {milliseconds:7.2f} ms   x{milliseconds / baseline:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--sign-ins", type=int, default=20)
    parser.add_argument("--postgres", help="a database the benchmark may add to")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        urls = [f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"]
        urls += [options.postgres] if options.postgres else []
        for url in urls:
            upgrade(url)
            settings = load_settings(database_url=url)
            asyncio.run(measure(settings, options.requests, options.sign_ins))


if __name__ == "__main__":
    main()
