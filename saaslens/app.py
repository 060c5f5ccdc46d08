"""The FastAPI application: GraphQL, health, readiness and metrics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
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
from saaslens.logs import RequestTagging
from saaslens.monitoring import Monitoring, may_scrape
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
    monitoring = Monitoring(engine, sessions)
    scheduler = Scheduler(
        sessions,
        automation,
        alerting,
        settings.database_url,
        on_lag=monitoring.scheduler_lag.observe,
    )

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
        context_getter=context_getter(
            settings, sessions, clock, automation, scheduler, monitoring
        ),
        allowed_origins=settings.allowed_origins,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        timeout_seconds=settings.request_timeout_seconds,
        monitoring=monitoring,
    )
    app.include_router(graphql, prefix="/graphql")

    app.add_middleware(RequestTagging)

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

    @app.get("/metrics")
    async def metrics(request: Request) -> Response:
        """Prometheus series; see docs/operations.md for who may scrape them."""
        if not may_scrape(request, settings):
            return JSONResponse(
                {"detail": "send the metrics token as a Bearer token, or scrape from loopback"},
                401,
                headers={"www-authenticate": "Bearer"},
            )
        await monitoring.refresh()
        return Response(generate_latest(monitoring.registry), media_type=CONTENT_TYPE_LATEST)

    return app
