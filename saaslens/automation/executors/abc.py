"""What every executor promises: run one script in a sandbox and report on it.

The script contract, the same in every sandbox: the script finds a JSON file
at the path in SAASLENS_INPUT holding ``{"parameters": {...}, "snapshot":
{...} | null}``, and may write its result as JSON to the path in
SAASLENS_RESULT. Its standard output and error are reported line by line.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

INPUT_VARIABLE = "SAASLENS_INPUT"
RESULT_VARIABLE = "SAASLENS_RESULT"


class RunState(StrEnum):
    """How a run ended; the engine's QUEUED, RUNNING and CRASHED are its own."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    CANCELLED = "CANCELLED"


class Stream(StrEnum):
    STDOUT = "stdout"
    STDERR = "stderr"


@dataclass(frozen=True, slots=True)
class Limits:
    """What one run may use; each executor enforces every field."""

    timeout_seconds: float = 60.0
    memory_mb: int = 256
    cpu_seconds: int = 30
    max_processes: int = 32
    max_file_mb: int = 16
    max_open_files: int = 64

    def __post_init__(self) -> None:
        numbers = (self.timeout_seconds, self.memory_mb, self.cpu_seconds)
        counts = (self.max_processes, self.max_file_mb, self.max_open_files)
        if min(*numbers, *counts) <= 0:
            raise ValueError(f"every limit must be positive: {self}")


@dataclass(frozen=True, slots=True)
class ScriptRun:
    """One run of a script: its source, its input document and its limits."""

    source: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    snapshot: Mapping[str, Any] | None = None
    limits: Limits = Limits()

    def input_document(self) -> bytes:
        document = {"parameters": dict(self.parameters), "snapshot": self.snapshot}
        return json.dumps(document).encode()


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a run ended.

    `exit_code` is 128 + N when signal N killed the script, as a shell says
    it, and None when it was cancelled before it started. `duration` is in
    seconds; `result` is the parsed result file, None without one.
    """

    state: RunState
    exit_code: int | None
    duration: float
    result: Any = None
    reason: str | None = None


OutputSink = Callable[[Stream, str], Awaitable[None]]
"""Receives each output line as it arrives, one call at a time, in order."""


class Executor(ABC):
    """Runs scripts in a sandbox, each run on its own, many at once."""

    @abstractmethod
    async def run(self, script: ScriptRun, on_output: OutputSink) -> Outcome:
        """Run the script to its end and say how it ended.

        Cancelling the task that awaits this (``task.cancel()``) kills the
        script and everything it started, cleans up, and returns an outcome
        in state CANCELLED instead of raising: the cancellation becomes the
        run's recorded end. Time limits are the executor's own, so do not
        wrap a run in ``asyncio.timeout``.
        """
