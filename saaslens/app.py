"""The FastAPI application: GraphQL, health and readiness."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from saaslens.auth.clock import Clock, system_clock
from saaslens.automation.alerting import Alerting
from saaslens.automation.engine import Engine
from saaslens.automation.scheduler import Scheduler
from saaslens.config import Settings, get_settings
from saaslens.data.engine import create_engine, create_session_factory
from saaslens.data.migrate import current_revision, head_revision
from saaslens.errors import DatabaseUnavailable
from saaslens.logs import request_id
from saaslens.schema import schema
from saaslens.schema.context import context_getter
from saaslens.schema.router import GraphQLEndpoint
from saaslens.services import pool

logger = logging.getLogger(__name__)

READINESS_TIMEOUT = 3.0


def create_app(settings: Settings | None = None, clock: Clock = system_clock) -> FastAPI:
    """The application; `clock` is the time sessions and tokens are judged by."""
    settings = settings or get_settings()
    engine = create_engine(settings.database_url)
    sessions = create_session_factory(engine)
    automation = Engine.for_settings(settings, sessions)
    alerting = Alerting(sessions, automation, settings.reporting_time_zone)
    scheduler = Scheduler(sessions, automation, alerting, settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        logger.info("serving %s", engine.url.render_as_string(hide_password=True))
        await automation.start()
        await scheduler.start()
        try:
            yield
        finally:
            await scheduler.stop()
            await automation.stop()
            await asyncio.to_thread(pool.shutdown)
            await engine.dispose()

    app = FastAPI(title="saaslens", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.automation = automation
    app.state.scheduler = scheduler
    graphql = GraphQLEndpoint(
        schema,
        context_getter=context_getter(settings, sessions, clock, automation, scheduler),
        allowed_origins=settings.allowed_origins,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
    )
    app.include_router(graphql, prefix="/graphql")

    @app.middleware("http")
    async def tag_request(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        incoming = request.headers.get("x-request-id", "")
        tag = incoming[:64] if incoming.isalnum() else secrets.token_hex(8)
        token = request_id.set(tag)
        try:
            response = await call_next(request)
        finally:
            request_id.reset(token)
        response.headers["x-request-id"] = tag
        return response

    async def database_unavailable(_request: Request, fault: Exception) -> JSONResponse:
        """A request the store failed before GraphQL ran, answered in GraphQL's shape."""
        logger.warning("database fault before execution: %s", fault.__cause__ or fault)
        error = {"message": str(fault), "extensions": {"code": DatabaseUnavailable.code.value}}
        return JSONResponse({"data": None, "errors": [error]}, 503)

    app.add_exception_handler(DatabaseUnavailable, database_unavailable)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """The database answers and its schema is at the newest migration."""
        try:
            revision = await asyncio.wait_for(current_revision(engine), READINESS_TIMEOUT)
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            logger.warning("not ready: %s", error)
            return JSONResponse({"status": "unavailable", "reason": "database"}, 503)
        if revision != head_revision():
            return JSONResponse(
                {"status": "unavailable", "reason": f"migrations at {revision}, not head"}, 503
            )
        return JSONResponse({"status": "ok"})

    return app
