"""What authentication costs a request, next to a request that needs none.

Through the real application in process (httpx over ASGI, a SQLite file or
PostgreSQL), each kind of request is timed once per round, and its median
printed with its ratio to the baseline, `{ __typename }` without
credentials, timed in the same rounds:

- a session token as Bearer (one indexed read of the session and its user),
- the same token as the cookie (the Origin check as well),
- an API token (JWT signature, then one read of its record and owner),
- signIn (one Argon2id verification at m=19456 KiB, t=2, p=1, and a write).

    .venv/bin/python bench/auth.py --rounds 300 --sign-in-every 10 \\
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


Request = tuple[dict[str, Any], dict[str, str]]


async def timed(client: httpx.AsyncClient, request: Request) -> float:
    body, headers = request
    started = time.perf_counter()
    response = await client.post("/graphql", json=body, headers=headers)
    elapsed = time.perf_counter() - started
    assert "errors" not in response.json(), response.text
    client.cookies.clear()
    return elapsed


def kinds(email: str, session: str, api_token: str) -> dict[str, Request]:
    me = {"query": "{ me { email } }"}
    sign_in = {
        "query": "mutation ($e: String!, $p: String!) { signIn(email: $e, password: $p) "
        "{ __typename } }",
        "variables": {"e": email, "p": PASSWORD},
    }
    return {
        "no credentials (baseline)": ({"query": "{ __typename }"}, {}),
        "session token as Bearer": (me, {"authorization": f"Bearer {session}"}),
        "session cookie": (me, {"cookie": f"session={session}", "origin": ORIGIN}),
        "API token": (me, {"authorization": f"Bearer {api_token}"}),
        "signIn": (sign_in, {}),
    }


async def measure(settings: Settings, rounds: int, sign_in_every: int) -> None:
    """Time every kind once per round, so a busy machine slows all kinds alike."""
    # A new admin each run, so a PostgreSQL database can be measured again.
    email = f"bench-{secrets.token_hex(4)}@example.com"
    requests = kinds(email, *await credentials(settings, email))
    timings: dict[str, list[float]] = {name: [] for name in requests}
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client,
    ):
        for number in range(rounds):
            for name, request in requests.items():
                if name != "signIn" or number % sign_in_every == 0:
                    timings[name].append(await timed(client, request))
    medians = {name: statistics.median(values) * 1000 for name, values in timings.items()}
    baseline = medians["no credentials (baseline)"]
    print(f"store: {settings.database_url.split(':')[0]}, {rounds} rounds")
    for name, milliseconds in medians.items():
        print(f"  {name:28} median {milliseconds:7.2f} ms   x{milliseconds / baseline:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--sign-in-every", type=int, default=10, help="rounds per signIn")
    parser.add_argument("--postgres", help="a database the benchmark may add to")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        urls = [f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"]
        urls += [options.postgres] if options.postgres else []
        for url in urls:
            upgrade(url)
            settings = load_settings(database_url=url)
            asyncio.run(measure(settings, options.rounds, options.sign_in_every))


if __name__ == "__main__":
    main()
