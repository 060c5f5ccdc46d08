"""The typed GraphQL context, so no resolver reaches into an untyped dict.

The context also knows who is asking: the viewer is resolved once per HTTP
request, and again for each operation on a socket, so a subscription
started after signing out is refused. Over a socket one context serves the
whole connection, which is what lets it count the connection's open
subscriptions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import strawberry
from fastapi import HTTPException, Response, status
from graphql import OperationDefinitionNode
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket
from strawberry.fastapi import BaseContext

from saaslens.auth.clock import Clock, system_clock
from saaslens.auth.sessions import IssuedSession
from saaslens.auth.viewers import Viewer, authenticate
from saaslens.automation.engine import Engine
from saaslens.automation.scheduler import Scheduler
from saaslens.config import Settings
from saaslens.data.faults import database_fault
from saaslens.errors import RateLimited
from saaslens.logs import request_id
from saaslens.monitoring import Monitoring
from saaslens.schema.credentials import (
    Credential,
    OriginRefused,
    check_origin,
    clear_session_cookie,
    request_credential,
    set_session_cookie,
)
from saaslens.schema.loaders import Loaders


class Context(BaseContext):
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        request_id: str,
        engine: Engine,
        scheduler: Scheduler,
        monitoring: Monitoring,
        clock: Clock = system_clock,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.sessions = sessions
        self.request_id = request_id
        self.engine = engine
        self.scheduler = scheduler
        self.monitoring = monitoring
        self.clock = clock
        self.open_subscriptions = 0
        self.credential: Credential | None = None
        self.viewer: Viewer | None = None
        self.loaders = Loaders(sessions)
        # The operation being answered, once its document is parsed.
        self.operation_name: str | None = None

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        """A database session for one unit of work; closed when the block ends."""
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def subscription(self, operation: OperationDefinitionNode) -> AsyncIterator[None]:
        """Hold one of this connection's subscription slots; refused past the cap.

        While it is held the subscription counts as open on /metrics, under
        its operation's name, however it ends.
        """
        cap = self.settings.max_subscriptions_per_connection
        if self.open_subscriptions >= cap:
            raise RateLimited(
                f"a connection may hold {cap} subscriptions; end one first", retry_after=1
            )
        name = operation.name.value if operation.name is not None else None
        self.open_subscriptions += 1
        try:
            with self.monitoring.subscription(name):
                yield
        finally:
            self.open_subscriptions -= 1

    @property
    def client_address(self) -> str | None:
        client = self.request.client if self.request is not None else None
        return client.host if client is not None else None

    async def authenticate(self, credential: Credential | None) -> Viewer | None:
        """Resolve and remember the viewer behind `credential`."""
        self.credential = credential
        self.viewer = None
        if credential is not None:
            async with self.db() as session:
                self.viewer = await authenticate(
                    session, self.settings, credential.token, self.clock()
                )
                if _may_have_written(self.viewer):
                    await session.commit()
        return self.viewer

    async def current_viewer(self) -> Viewer | None:
        """The viewer; re-checked on a socket, whose session may end while it is open."""
        if isinstance(self.request, WebSocket):
            return await self.authenticate(self.credential)
        return self.viewer

    def start_session(self, issued: IssuedSession) -> None:
        """Hand a new session to the browser as the cookie."""
        if self.response is not None:
            set_session_cookie(
                self.response, self.settings, issued.token, issued.expires_at, self.clock()
            )

    def end_session(self) -> None:
        if self.response is not None:
            clear_session_cookie(self.response, self.settings)


def _may_have_written(viewer: Viewer | None) -> bool:
    # Validation writes only to renew a session or to end a dead one, so the
    # common request, a valid session far from renewal or an API token, ends
    # its read-only transaction without a commit.
    if viewer is None:
        return True
    return viewer.session is not None and viewer.session.renewed


Info = strawberry.Info[Context, None]

ContextGetter = Callable[[HTTPConnection, Response], Awaitable[Context]]


def context_getter(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    engine: Engine,
    scheduler: Scheduler,
    monitoring: Monitoring,
) -> ContextGetter:
    """The FastAPI dependency that builds each request's context."""

    async def context(connection: HTTPConnection, response: Response) -> Context:
        context = Context(
            settings, sessions, request_id.get(), engine, scheduler, monitoring, clock
        )
        credential = request_credential(connection, settings)
        _check_origin(connection, settings, credential)
        try:
            viewer = await context.authenticate(credential)
        except SQLAlchemyError as error:
            # Raised before GraphQL runs, so the application answers it (see app.py).
            fault = database_fault(error)
            if fault is None:
                raise
            raise fault from error
        if credential is not None and credential.by_cookie:
            _refresh_cookie(context, response, viewer)
        return context

    return context


def _check_origin(
    connection: HTTPConnection, settings: Settings, credential: Credential | None
) -> None:
    # Sockets are checked by the router against the same allowed origins.
    if connection.scope["type"] != "http" or connection.scope.get("method") != "POST":
        return
    by_cookie = credential is not None and credential.by_cookie
    try:
        check_origin(connection, settings, by_cookie)
    except OriginRefused as refusal:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(refusal)) from None


def _refresh_cookie(context: Context, response: Response, viewer: Viewer | None) -> None:
    if viewer is None:
        # A Lucia application's cookie may stand for a user saaslens does not
        # know; clearing it would sign them out of that application too.
        if not context.settings.lucia_compat:
            clear_session_cookie(response, context.settings)
    elif viewer.session is not None and viewer.session.renewed and context.credential:
        set_session_cookie(
            response,
            context.settings,
            context.credential.token,
            viewer.session.expires_at,
            context.clock(),
        )
