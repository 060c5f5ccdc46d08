"""Prometheus series for one application, served at /metrics.

Each application has its own registry, so several in one process (as in
the tests) count apart. Counters and the latency histogram are updated as
requests are answered, and the open subscriptions as they start and end;
the executions per state, the result cache and the connection pool are read
when a scrape asks for them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import QueuePool
from starlette.requests import Request

from saaslens.automation import executions
from saaslens.config import Settings
from saaslens.services.cache import cache_for

logger = logging.getLogger(__name__)

# Operation names come from clients; past this many, new ones count as "other".
MAX_OPERATION_NAMES = 200
# A scrape waits this long for the execution counts, then serves the last ones.
STORE_READ_SECONDS = 3.0
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
LAG_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 3600.0)


class Monitoring:
    """The series of one application and the scrape that reads them."""

    def __init__(self, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.registry = CollectorRegistry()
        self.operations = Counter(
            "saaslens_graphql_operations",
            "GraphQL operations answered over HTTP, by operation name and outcome.",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "saaslens_graphql_operation_seconds",
            "Seconds from receiving a GraphQL operation to its answer, by operation name.",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.subscriptions = Gauge(
            "saaslens_graphql_subscriptions",
            "GraphQL subscriptions open now, by operation name.",
            ["operation"],
            registry=self.registry,
        )
        self.executions = Gauge(
            "saaslens_executions",
            "Script executions in the store, by state, as of the scrape.",
            ["state"],
            registry=self.registry,
        )
        self.scheduler_lag = Histogram(
            "saaslens_scheduler_lag_seconds",
            "Seconds between a schedule's planned fire time and the queueing of its run.",
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_StoreCollector(engine))
        self._names: set[str] = set()

    def observe(self, operation: str | None, outcome: str, seconds: float) -> None:
        """Count one answered operation and its latency."""
        name = self._label(operation)
        self.operations.labels(name, outcome).inc()
        self.latency.labels(name).observe(seconds)

    @contextmanager
    def subscription(self, operation: str | None) -> Iterator[None]:
        """Count one subscription as open for as long as the block runs, however it ends."""
        open_now = self.subscriptions.labels(self._label(operation))
        open_now.inc()
        try:
            yield
        finally:
            open_now.dec()

    def _label(self, operation: str | None) -> str:
        if operation is None:
            return "anonymous"
        if operation not in self._names and len(self._names) >= MAX_OPERATION_NAMES:
            return "other"
        self._names.add(operation)
        return operation

    async def refresh(self) -> None:
        """Read the figures only the store knows; keep the last ones if it does not answer."""
        try:
            async with asyncio.timeout(STORE_READ_SECONDS), self.sessions() as session:
                counts = await executions.count_by_state(session)
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            logger.warning("execution counts are stale: %s", error)
            return
        for state, count in counts.items():
            self.executions.labels(state.value).set(count)


class _StoreCollector(Collector):
    """The result cache's hits and misses and the pool's connections, read at scrape."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        cache = cache_for(self.engine)
        hits, misses = cache.hits, cache.misses
        yield CounterMetricFamily(
            "saaslens_result_cache_hits", "Analysis results served from the cache.", hits
        )
        yield CounterMetricFamily(
            "saaslens_result_cache_misses", "Analysis results computed afresh.", misses
        )
        yield GaugeMetricFamily(
            "saaslens_result_cache_hit_ratio",
            "Hits over lookups since the process started; 0 before the first lookup.",
            hits / (hits + misses) if hits + misses else 0.0,
        )
        pool = self.engine.pool
        if isinstance(pool, QueuePool):
            yield GaugeMetricFamily(
                "saaslens_db_pool_checked_out",
                "Database connections in use by this process.",
                pool.checkedout(),
            )
            yield GaugeMetricFamily(
                "saaslens_db_pool_size",
                "Connections the pool keeps open, before overflow.",
                pool.size(),
            )


def may_scrape(request: Request, settings: Settings) -> bool:
    """With a metrics token, whoever sends it; without one, loopback clients only."""
    if settings.metrics_token is not None:
        expected = f"Bearer {settings.metrics_token.get_secret_value()}"
        sent = request.headers.get("authorization", "")
        return secrets.compare_digest(sent.encode(), expected.encode())
    client = request.client
    if client is None:
        return False
    try:
        return ipaddress.ip_address(client.host).is_loopback
    except ValueError:
        return False
