"""Overlap making the next batch with writing the current one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Generator
from typing import TypeVar

T = TypeVar("T")


async def prefetched(items: Generator[T, None, None]) -> AsyncGenerator[T, None]:
    """Yield the items, making the next in a thread while the caller handles this one.

    Reading, simulating and validating are Python work; the database driver
    writes in its own thread, mostly outside the interpreter lock, so the two
    overlap.
    """
    upcoming = asyncio.create_task(asyncio.to_thread(next, items, None))
    try:
        while (item := await upcoming) is not None:
            upcoming = asyncio.create_task(asyncio.to_thread(next, items, None))
            yield item
    finally:
        # The thread cannot be interrupted; let it finish before closing the source.
        await asyncio.wait([upcoming])
        if not upcoming.cancelled():
            upcoming.exception()
        items.close()
