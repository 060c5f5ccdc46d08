"""Turning a cancelled run into a recorded end instead of an abandoned one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

Started = TypeVar("Started")


def absorb_cancellation() -> None:
    """Accept the current task's cancellation as handled: the run reports it."""
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()


async def start_uninterrupted(starting: Awaitable[Started]) -> tuple[Started, bool]:
    """Finish starting a sandbox even when cancelled meanwhile, and say if so.

    A process or container abandoned halfway through its start would run on
    with nobody watching it, so the caller gets it to kill.
    """
    start = asyncio.ensure_future(starting)
    try:
        return await asyncio.shield(start), False
    except asyncio.CancelledError:
        absorb_cancellation()
        return await start, True
