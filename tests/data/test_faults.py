"""Store faults recognised from the real errors of real engines."""

from __future__ import annotations

import pytest
from sqlalchemy import exc, text

from saaslens.data.engine import create_engine
from saaslens.data.faults import BUSY, database_fault


async def test_a_pool_with_no_connection_free_in_time_is_busy(sqlite_store: str) -> None:
    engine = create_engine(sqlite_store, pool_size=1, max_overflow=0, pool_timeout=0.1)
    try:
        async with engine.connect() as holder:
            await holder.execute(text("SELECT 1"))
            with pytest.raises(exc.TimeoutError) as waited:
                async with engine.connect():
                    pass
    finally:
        await engine.dispose()

    fault = database_fault(waited.value)
    assert fault is not None
    assert fault.message == BUSY


async def test_a_query_the_store_rejects_is_no_fault_of_the_store(sqlite_store: str) -> None:
    engine = create_engine(sqlite_store)
    try:
        async with engine.connect() as connection:
            with pytest.raises(exc.OperationalError) as refused:
                await connection.execute(text("SELECT * FROM no_such_table"))
    finally:
        await engine.dispose()

    assert database_fault(refused.value) is None
