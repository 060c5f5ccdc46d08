"""The async engine and the session factory for the configured store."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from saaslens.data.faults import refuse_unreachable

T = TypeVar("T")

# A server that accepts connections but never answers would otherwise hold a
# request for asyncpg's default of a minute.
CONNECT_TIMEOUT_SECONDS = 5.0
# Longer than any healthy request holds a connection, shorter than a client waits.
POOL_TIMEOUT_SECONDS = 10.0


def _tune_sqlite(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets dashboards read while an import writes; NORMAL is durable in WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-65536")
    # temp_store stays on disk: the large sorts of the activity statements ran
    # three times slower in SQLite's in-memory temp store.
    cursor.close()


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """Make an engine; a SQLite file's folder is created when missing."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **options)
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
        return engine
    options.setdefault("pool_pre_ping", True)
    options.setdefault("pool_size", 10)
    options.setdefault("max_overflow", 10)
    options.setdefault("pool_timeout", POOL_TIMEOUT_SECONDS)
    options.setdefault("connect_args", {"timeout": CONNECT_TIMEOUT_SECONDS})
    engine = create_async_engine(url, **options)
    event.listen(engine.sync_engine, "do_connect", refuse_unreachable)
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def finish_then_cancel(step: Awaitable[T]) -> T:
    """Run a step of store work to its end even if the awaiting task is cancelled.

    A task cancelled in the middle of a transaction abandons its connection:
    SQLAlchemy invalidates it without closing it, and on SQLite the write
    lock it held outlives the engine, so the next writer to the file waits
    and fails with "database is locked". Background loops run each step
    through this, so stopping them waits for the step and then cancels.
    """
    task = asyncio.ensure_future(step)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        raise
