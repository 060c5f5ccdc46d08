"""The store's data version, for dashboards that refresh when new data lands."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from saaslens.data.state import data_version as current_data_version
from saaslens.schema.context import Info

# Polling costs one indexed read per subscriber each interval; ingestion is
# rarer than that, so a dashboard learns of new data within two seconds.
POLL_SECONDS = 2.0


async def data_version(info: Info) -> AsyncGenerator[int, None]:
    last: int | None = None
    async with info.context.subscription(info.operation):
        while True:
            async with info.context.db() as session:
                version = await current_data_version(session)
            if version != last:
                last = version
                yield version
            await asyncio.sleep(POLL_SECONDS)
