"""The process pool that model training and fitting run in.

Fitting is CPU-bound Python and numpy work that would hold the event loop
(and the GIL) for seconds; in separate processes it leaves the API free to
answer other queries. The pool starts on first use, since most processes
never fit anything, and the application's lifespan shuts it down.
Processes are spawned rather than forked: forking a process that runs an
event loop and database connections copies their state half-way. Each
worker keeps its numeric libraries to one thread: the pool already spreads
work over the cores, and OpenMP threads spinning for a core that another
process holds made a small gradient boosting fit fifteen times slower.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from threading import Lock
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from threadpoolctl import threadpool_limits

R = TypeVar("R")

WORKERS = 2

_lock = Lock()
_pool: ProcessPoolExecutor | None = None


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn"))
        return _pool


async def in_pool(function: Callable[..., R], *args: object) -> R:
    """`function(*args)` in a worker process; it and its arguments must pickle."""
    return await asyncio.get_running_loop().run_in_executor(
        _executor(), _single_threaded, function, *args
    )


def _single_threaded(function: Callable[..., R], *args: object) -> R:
    # Limited per call, not once per worker: a library only obeys the limit if it
    # is loaded already, and the function's module loads them as it unpickles.
    with threadpool_limits(limits=1):
        return function(*args)


async def end_reading(session: AsyncSession) -> None:
    """End the session's read transaction before a fit: fits take seconds, and an open
    transaction would hold its locks (and a pooled connection) all that time."""
    await session.commit()


def shutdown() -> None:
    """Stop the workers, if any started; a later use starts a new pool."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
