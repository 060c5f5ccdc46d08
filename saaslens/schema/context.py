"""The typed GraphQL context, so no resolver reaches into an untyped dict.

Over a websocket one context serves the whole connection, which is what lets
it count that connection's open subscriptions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.fastapi import BaseContext

from saaslens.automation.engine import Engine
from saaslens.config import Settings
from saaslens.errors import RateLimited


class Context(BaseContext):
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        request_id: str,
        engine: Engine,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.sessions = sessions
        self.request_id = request_id
        self.engine = engine
        self.open_subscriptions = 0

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        """A database session for one unit of work; closed when the block ends."""
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def subscription(self) -> AsyncIterator[None]:
        """Hold one of this connection's subscription slots; refused past the cap."""
        cap = self.settings.max_subscriptions_per_connection
        if self.open_subscriptions >= cap:
            raise RateLimited(
                f"a connection may hold {cap} subscriptions; end one first", retry_after=1
            )
        self.open_subscriptions += 1
        try:
            yield
        finally:
            self.open_subscriptions -= 1


Info = strawberry.Info[Context, None]
