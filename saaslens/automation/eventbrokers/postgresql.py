"""Events across processes through PostgreSQL LISTEN/NOTIFY.

Each process keeps one connection listening on a channel and one for
sending. Every event goes through the database, the sender's own process
included, so all processes see events in the same order. Each time the
listening connection is made, the first time included, subscribers get a
`Resync`, because whatever was sent before never reached them.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from saaslens.automation.eventbrokers.abc import Event, Resync, decode, encode
from saaslens.automation.eventbrokers.base import FanOutBroker

logger = logging.getLogger(__name__)

CHANNEL = "saaslens_events"
# A silently dead connection is noticed by the next keep-alive query.
KEEPALIVE_SECONDS = 10.0


def asyncpg_dsn(url: str) -> str:
    """The plain PostgreSQL URL asyncpg takes, from our SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgreSQLEventBroker(FanOutBroker):
    def __init__(self, url: str, channel: str = CHANNEL, retry_seconds: float = 1.0) -> None:
        super().__init__()
        self._dsn = asyncpg_dsn(url)
        self._channel = channel
        self._retry_seconds = retry_seconds
        self._listener: asyncio.Task[None] | None = None
        self._sender: Any = None
        self._send_lock = asyncio.Lock()

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="event listener")

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with suppress(asyncio.CancelledError):
                await self._listener
        if self._sender is not None:
            await self._sender.close()
        self.fan_out(None)

    async def publish(self, event: Event) -> None:
        payload = encode(event)
        async with self._send_lock:
            for attempt in (1, 2):
                try:
                    await self._send(payload)
                    return
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                    logger.warning("sending an event failed (attempt %d): %s", attempt, error)
                    self._sender = None

    async def _send(self, payload: str) -> None:
        if self._sender is None or self._sender.is_closed():
            self._sender = await asyncpg.connect(self._dsn)
        await self._sender.execute("SELECT pg_notify($1, $2)", self._channel, payload)

    async def _listen(self) -> None:
        while True:
            try:
                await self._listen_once()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                logger.warning("event listener lost PostgreSQL: %s; reconnecting", error)
            await asyncio.sleep(self._retry_seconds)

    async def _listen_once(self) -> None:
        connection = await asyncpg.connect(self._dsn)
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        try:
            await connection.add_listener(self._channel, self._receive)
            # Whatever was sent before we listened never reached our subscribers.
            logger.info("listening for events")
            self.fan_out(Resync())
            while not lost.is_set():
                with suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), KEEPALIVE_SECONDS)
                if not lost.is_set():
                    await connection.execute("SELECT 1")
        finally:
            connection.terminate()

    def _receive(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        self.fan_out(decode(payload))
