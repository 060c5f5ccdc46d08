"""What the fault tests share: a signed-in client, and the store read afresh."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import func, select

from saaslens.auth.roles import Role
from saaslens.config import load_settings
from saaslens.data.engine import create_engine, create_session_factory
from saaslens.data.models import Customer, StoreState
from tests.api import Api, add_person, running_api

CUSTOMERS = """
mutation ($records: [CustomerInput!]!) {
  ingestCustomers(records: $records) {
    __typename
    ... on IngestionAccepted { inserted dataVersion }
  }
}
"""
COUNT = "{ customers(first: 1) { totalCount } }"


@asynccontextmanager
async def signed_in(url: str) -> AsyncIterator[Api]:
    """The application over the store at `url`, with an admin's Bearer session."""
    settings = load_settings(database_url=url)
    async with running_api(settings) as anonymous:
        admin = await add_person(settings, "admin@example.com", Role.ADMIN)
        yield anonymous.as_bearer(admin.token)


async def stored(url: str) -> tuple[int, int]:
    """The customers stored and the data version, on a connection of their own."""
    engine = create_engine(url)
    async with create_session_factory(engine)() as session:
        count = await session.scalar(select(func.count()).select_from(Customer))
        version = await session.scalar(select(StoreState.data_version))
    await engine.dispose()
    return int(count or 0), int(version or 0)


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]
