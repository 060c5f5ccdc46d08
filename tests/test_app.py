from __future__ import annotations

import time
from pathlib import Path

import httpx

from saaslens.app import create_app
from saaslens.config import load_settings
from tests.api import Api
from tests.conftest import sqlite_url


async def _get(url: str, path: str) -> httpx.Response:
    app = create_app(load_settings(database_url=url))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        return await client.get(path)


async def test_ready_when_the_store_is_at_the_newest_migration(api: Api) -> None:
    response = await api.client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_healthz_answers_without_a_database(tmp_path: Path) -> None:
    response = await _get("postgresql+asyncpg://nobody@127.0.0.1:1/none", "/healthz")

    assert response.status_code == 200


async def test_not_ready_before_migrations(tmp_path: Path) -> None:
    response = await _get(sqlite_url(tmp_path / "empty.db"), "/readyz")

    assert response.status_code == 503
    assert "migrations" in response.json()["reason"]


async def test_not_ready_and_quick_when_the_database_is_unreachable() -> None:
    started = time.monotonic()
    response = await _get("postgresql+asyncpg://nobody@127.0.0.1:1/none", "/readyz")

    assert response.status_code == 503
    assert response.json()["reason"] == "database"
    assert time.monotonic() - started < 10


async def test_every_response_carries_a_request_id(api: Api) -> None:
    chosen = await api.client.get("/healthz", headers={"x-request-id": "abc123"})
    made = await api.client.get("/healthz")

    assert chosen.headers["x-request-id"] == "abc123"
    assert len(made.headers["x-request-id"]) == 16


async def test_graphiql_is_served_in_development(api: Api) -> None:
    response = await api.client.get("/graphql", headers={"accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
