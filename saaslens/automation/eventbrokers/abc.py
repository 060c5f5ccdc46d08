"""What an event broker promises, and the events it carries.

Events are small on purpose: they say which execution changed and how far
its state and output have got. A listener reads the details from the
database, so an event that is lost or late costs a little latency, never
wrong data, and a `Resync` tells listeners to catch up by reading again.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ExecutionChanged:
    """An execution entered `state`, its `state_changes`-th state, with that much output."""

    execution_id: int
    script_id: int
    state: str
    state_changes: int
    output_lines: int


@dataclass(frozen=True, slots=True)
class OutputAppended:
    """An execution's stored output now runs to line `output_lines`."""

    execution_id: int
    output_lines: int


@dataclass(frozen=True, slots=True)
class CancelRequested:
    """Whichever process runs the execution should kill it."""

    execution_id: int


@dataclass(frozen=True, slots=True)
class AlertFired:
    """An alert rule fired and recorded alert `alert_id`."""

    alert_id: int
    rule_id: int


@dataclass(frozen=True, slots=True)
class TriggerChanged:
    """A schedule or an alert rule (`trigger`) was made, changed or deleted; the leader reloads it.

    Not `kind`: that key names the event's class on the wire.
    """

    trigger: str
    id: int


@dataclass(frozen=True, slots=True)
class Resync:
    """Events may have been lost; listeners should read what they follow again."""


Event = ExecutionChanged | OutputAppended | CancelRequested | AlertFired | TriggerChanged | Resync

_KINDS: dict[str, type[Event]] = {
    kind.__name__: kind
    for kind in (
        ExecutionChanged,
        OutputAppended,
        CancelRequested,
        AlertFired,
        TriggerChanged,
        Resync,
    )
}


def encode(event: Event) -> str:
    return json.dumps({"kind": type(event).__name__, **asdict(event)}, separators=(",", ":"))


def decode(payload: str) -> Event:
    fields: dict[str, Any] = json.loads(payload)
    kind = _KINDS[fields.pop("kind")]
    return kind(**fields)


class Subscription(ABC):
    """Events in the order the broker received them, until the block ends."""

    @abstractmethod
    def __aiter__(self) -> Subscription: ...

    @abstractmethod
    async def __anext__(self) -> Event: ...


class EventBroker(ABC):
    """Delivers every published event to every subscriber, in publication order."""

    @abstractmethod
    async def start(self) -> None:
        """Be ready to deliver; called once before anything is published."""

    @abstractmethod
    async def stop(self) -> None:
        """Release connections; subscriptions end."""

    @abstractmethod
    async def publish(self, event: Event) -> None:
        """Send an event; raises nothing, since listeners catch up from the database."""

    @abstractmethod
    def subscribe(self) -> AbstractAsyncContextManager[Subscription]:
        """Receive every event published from now on while the block lasts."""
