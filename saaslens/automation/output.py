"""Recording a run's output: lines batched into the store as they arrive, up to a cap.

The executor hands over lines one at a time and waits while we take each,
so taking one only appends it to memory; a background flush writes the
batch in one transaction and tells listeners how far the output has got.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import UTC, datetime
from types import TracebackType

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.automation import executions
from saaslens.automation.eventbrokers.abc import EventBroker, OutputAppended
from saaslens.automation.executions import LogLine
from saaslens.automation.executors.abc import Stream

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 0.05
# Lines from saaslens itself, such as a retry notice, under the script's output.
ENGINE_STREAM = "saaslens"


class OutputRecorder:
    """Stores one execution's lines from `stored + 1` on; at the cap, a marker and no more."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        broker: EventBroker,
        execution_id: int,
        stored: int,
        cap: int,
    ) -> None:
        self._sessions = sessions
        self._broker = broker
        self._execution_id = execution_id
        self._stored = stored
        self._cap = cap
        self._pending: list[LogLine] = []
        self._accepted = stored
        self.truncated = False
        self._closing = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None

    async def write(self, stream: Stream, line: str) -> None:
        """The executor's output sink."""
        if self._accepted < self._cap:
            self._take(stream.value, line)
        elif not self.truncated:
            self.truncated = True
            self._take(ENGINE_STREAM, f"output truncated after {self._cap} lines")

    def note(self, line: str) -> None:
        """A line of our own; it is kept even past the cap."""
        self._take(ENGINE_STREAM, line)

    def _take(self, stream: str, line: str) -> None:
        self._pending.append(LogLine(stream, line, datetime.now(UTC)))
        self._accepted += 1

    async def __aenter__(self) -> OutputRecorder:
        self._flusher = asyncio.create_task(self._flush_regularly())
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._closing.set()
        if self._flusher is not None:
            await self._flusher

    async def _flush_regularly(self) -> None:
        while not self._closing.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), FLUSH_SECONDS)
            await self.flush()
        # Lines taken while the last flush in the loop was writing.
        await self.flush()

    async def flush(self) -> None:
        """Store the lines taken so far and announce them."""
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        try:
            async with self._sessions() as session:
                await executions.append_output(
                    session, self._execution_id, self._stored + 1, batch, self.truncated
                )
        except SQLAlchemyError:
            # Kept for the next flush; the last flush of a run gives up and says so.
            logger.warning(
                "storing %d output lines of execution %d failed",
                len(batch),
                self._execution_id,
                exc_info=True,
            )
            self._pending[:0] = batch
            return
        self._stored += len(batch)
        await self._broker.publish(OutputAppended(self._execution_id, self._stored))
