"""Fan-out to subscribers inside one process, shared by every broker."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from saaslens.automation.eventbrokers.abc import Event, EventBroker, Resync, Subscription

logger = logging.getLogger(__name__)

# A subscriber this far behind is told to resync instead of holding more events.
BACKLOG = 10_000


class QueuedSubscription(Subscription):
    def __init__(self) -> None:
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()

    def deliver(self, event: Event | None) -> None:
        if self._queue.qsize() >= BACKLOG:
            logger.warning("a subscriber fell %d events behind; telling it to resync", BACKLOG)
            while not self._queue.empty():
                self._queue.get_nowait()
            event = Resync()
        self._queue.put_nowait(event)

    def __aiter__(self) -> QueuedSubscription:
        return self

    async def __anext__(self) -> Event:
        event = await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        return event


class FanOutBroker(EventBroker):
    """Keeps this process's subscribers and hands each of them every event."""

    def __init__(self) -> None:
        self._subscribers: set[QueuedSubscription] = set()

    def fan_out(self, event: Event | None) -> None:
        """Deliver to every subscriber; None ends their subscriptions."""
        for subscriber in list(self._subscribers):
            subscriber.deliver(event)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        subscription = QueuedSubscription()
        self._subscribers.add(subscription)
        try:
            yield subscription
        finally:
            self._subscribers.discard(subscription)
