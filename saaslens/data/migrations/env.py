"""Alembic's entry point; the URL comes from saaslens, not from an ini file."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from saaslens.data.engine import create_engine
from saaslens.data.models import Base


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as connection:
        await connection.run_sync(_migrate)
    await engine.dispose()


asyncio.run(_run_online())
