"""Ingestion's bulk insert stores every column exactly as the ORM would store it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.config import load_settings
from saaslens.data.ingestion import Kind, ingest
from saaslens.data.models import Base, Customer, Event

Sessions = async_sessionmaker[AsyncSession]

CUSTOMERS = [
    {"id": "c1", "name": "Acme", "created_at": "2024-01-05T10:00:00Z"},
    {
        "id": "c2",
        "name": "Zeta",
        "attributes": '{"tier": "gold", "seats": [1.5, null]}',
        "created_at": "0999-12-31T23:59:59.999999-01:00",
    },
]
EVENTS = [
    {
        "id": "e1",
        "customer_id": "c1",
        "user_id": "u1",
        "name": "search",
        "occurred_at": "2024-02-01T12:00:00Z",
    },
    {
        "id": "e2",
        "customer_id": "c2",
        "user_id": "u2",
        "name": "report.viewed",
        "occurred_at": "2024-03-31T01:30:00.123+05:30",
        "properties": '{"page": 3, "filters": {"to": "é", "from": 1}}',
    },
    {
        "id": "e3",
        "customer_id": "c2",
        "user_id": "u2 ",
        "name": "export",
        "occurred_at": "2024-03-31 01:30",
        "properties": {},
    },
]


async def _raw_rows(sessions: Sessions, table: str) -> dict[str, tuple[Any, ...]]:
    """Each row's stored values as the driver returns them, by id, without the id."""
    async with sessions() as session:
        connection = await session.connection()
        result = await connection.exec_driver_sql(f"SELECT * FROM {table}")
        return {row[0]: tuple(row[1:]) for row in result}


async def _copy_through_the_orm(sessions: Sessions, model: type[Base]) -> None:
    """Add a copy of every ingested row, id prefixed with "orm-", through the ORM."""
    async with sessions() as session:
        stored = (await session.scalars(text(f"SELECT id FROM {model.__tablename__}"))).all()
        for id in stored:
            original = await session.get(model, id)
            columns = {
                column.key: getattr(original, column.key) for column in model.__table__.columns
            }
            session.add(model(**{**columns, "id": f"orm-{id}"}))
        await session.commit()


async def test_ingested_rows_are_stored_as_the_orm_stores_them(
    store_url: str, sessions: Sessions
) -> None:
    settings = load_settings(database_url=store_url, reporting_time_zone="Europe/Berlin")
    for kind, rows in ((Kind.CUSTOMERS, CUSTOMERS), (Kind.EVENTS, EVENTS)):
        async with sessions() as session:
            assert (await ingest(session, kind, rows, settings)).accepted

    for model in (Customer, Event):
        await _copy_through_the_orm(sessions, model)
        stored = await _raw_rows(sessions, model.__tablename__)
        ingested = {id: row for id, row in stored.items() if not id.startswith("orm-")}
        assert len(ingested) == len(stored) // 2 > 0
        for id, row in ingested.items():
            assert stored[f"orm-{id}"] == row, id
