"""Statistics on data read from the store, kept until the next ingestion.

A statistic on a metric series or on attributes changes only when the data
does, so it is kept under its kind, its inputs and the data version, like
every other analysis. One on values the client sends is not kept: it
depends on nothing stored, and a key holding up to 100,000 values would
cost about what computing the statistic again does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from saaslens.data.state import data_version
from saaslens.services.cache import cache_for

R = TypeVar("R")


async def kept(
    session: AsyncSession, key: Hashable | None, compute: Callable[[], Awaitable[R]]
) -> R:
    """The result cached under `key` and the data version, computed on a miss.

    A key of None means the result does not come from the store: it is
    computed every time.
    """
    if key is None:
        return await compute()
    engine: AsyncEngine = session.bind  # type: ignore[assignment]
    cache = cache_for(engine)
    versioned = ("statistics", key, await data_version(session))
    cached = cache.get(versioned)
    if cached is not None:
        return cached  # type: ignore[return-value]
    result = await compute()
    cache.put(versioned, result)
    return result
