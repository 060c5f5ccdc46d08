"""Turning a script's output bytes into lines delivered one at a time, in order."""

from __future__ import annotations

import asyncio

from saaslens.automation.executors.abc import OutputSink, Stream

# A script that prints without newlines must not grow our memory without end.
MAX_LINE_BYTES = 16_384


class LineSplitter:
    """Cuts one stream's bytes into text lines, however the chunks fall."""

    def __init__(self) -> None:
        self._pending = bytearray()

    def feed(self, chunk: bytes) -> list[str]:
        self._pending += chunk
        lines = []
        while (end := self._pending.find(b"\n")) >= 0 or len(self._pending) > MAX_LINE_BYTES:
            cut = end if 0 <= end <= MAX_LINE_BYTES else MAX_LINE_BYTES
            lines.append(_decode(self._pending[:cut]))
            del self._pending[: cut + 1 if cut == end else cut]
        return lines

    def finish(self) -> list[str]:
        """The last line, when the stream ended without a newline."""
        lines = [_decode(self._pending)] if self._pending else []
        self._pending.clear()
        return lines


def _decode(raw: bytes | bytearray) -> str:
    return bytes(raw).decode(errors="replace").removesuffix("\r")


class OutputRelay:
    """Hands lines from both streams to the sink one call at a time.

    The lock is fair, so lines reach the sink in the order they were read,
    and a slow sink holds up the readers instead of piling lines in memory.
    """

    def __init__(self, sink: OutputSink) -> None:
        self._sink = sink
        self._lock = asyncio.Lock()

    async def deliver(self, stream: Stream, lines: list[str]) -> None:
        async with self._lock:
            for line in lines:
                await self._sink(stream, line)

    async def pump(self, stream: Stream, reader: asyncio.StreamReader) -> None:
        """Relay a pipe until it closes."""
        splitter = LineSplitter()
        while chunk := await reader.read(65_536):
            await self.deliver(stream, splitter.feed(chunk))
        await self.deliver(stream, splitter.finish())
