"""Events within one process, handed from publisher to subscribers on the event loop."""

from __future__ import annotations

from saaslens.automation.eventbrokers.abc import Event
from saaslens.automation.eventbrokers.base import FanOutBroker


class LocalEventBroker(FanOutBroker):
    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self.fan_out(None)

    async def publish(self, event: Event) -> None:
        self.fan_out(event)
