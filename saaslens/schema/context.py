"""The typed GraphQL context, so no resolver reaches into an untyped dict."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.fastapi import BaseContext

from saaslens.config import Settings


class Context(BaseContext):
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        request_id: str,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.sessions = sessions
        self.request_id = request_id

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        """A database session for one unit of work; closed when the block ends."""
        async with self.sessions() as session:
            yield session


Info = strawberry.Info[Context, None]
