"""A real HTTP client on the real application, for tests that speak GraphQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from saaslens.app import create_app
from saaslens.config import Settings, load_settings


class Api:
    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    async def post_graphql(
        self, query: str, variables: dict[str, Any] | None = None, **request: Any
    ) -> dict[str, Any]:
        """POST a document; return the whole response body, errors included."""
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, **request
        )
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST a document that must succeed; return its data."""
        body = await self.post_graphql(query, variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture
def settings(store_url: str) -> Settings:
    return load_settings(database_url=store_url)


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Api]:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client,
    ):
        yield Api(client, settings)
