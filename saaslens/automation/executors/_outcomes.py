"""How a finished script's exit status and result file become its outcome."""

from __future__ import annotations

import json
import signal
from dataclasses import dataclass
from typing import Any

from saaslens.automation.executors.abc import Limits, Outcome, RunState


@dataclass(frozen=True, slots=True)
class Ending:
    """What an executor saw when the script stopped."""

    exit_code: int | None
    signal: int | None = None
    timed_out: bool = False
    cancelled: bool = False
    out_of_memory: bool = False


def conclude(
    ending: Ending, result_file: bytes | None, limits: Limits, duration: float
) -> Outcome:
    """Judge a run; an unreadable result file fails a run that exited cleanly."""
    result, result_problem = _parse(result_file)
    state, reason = _judge(ending, limits)
    if state is RunState.SUCCEEDED and result_problem is not None:
        state, reason = RunState.FAILED, result_problem
    return Outcome(state, ending.exit_code, duration, result, reason)


def _parse(result_file: bytes | None) -> tuple[Any, str | None]:
    if result_file is None:
        return None, None
    try:
        return json.loads(result_file), None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return None, f"the result file is not valid JSON: {error}"


def _judge(ending: Ending, limits: Limits) -> tuple[RunState, str | None]:
    if ending.cancelled:
        return RunState.CANCELLED, "cancelled while running"
    if ending.timed_out:
        return RunState.TIMED_OUT, f"ran longer than {limits.timeout_seconds:g} s"
    if ending.signal == signal.SIGXCPU:
        return RunState.TIMED_OUT, f"used more than {limits.cpu_seconds} s of CPU time"
    if ending.out_of_memory:
        return RunState.FAILED, f"killed for using more than {limits.memory_mb} MB of memory"
    if ending.signal is not None:
        return RunState.FAILED, f"killed by {_signal_name(ending.signal)}"
    if ending.exit_code != 0:
        return RunState.FAILED, f"exited with code {ending.exit_code}"
    return RunState.SUCCEEDED, None


def _signal_name(number: int) -> str:
    # Real-time signals have numbers but no names.
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
