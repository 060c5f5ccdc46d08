"""A small in-process cache of analysis results, bounded and counted.

Keys include the store's data version, so an ingestion makes every older
entry unreachable; they age out of the LRU order instead of being purged.
Each engine has its own cache: the version counts from zero in every store,
so two stores sharing one cache could hand each other their results.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from threading import Lock
from weakref import WeakKeyDictionary

from sqlalchemy.ext.asyncio import AsyncEngine

_lock = Lock()


class ResultCache:
    def __init__(self, capacity: int = 512) -> None:
        self.capacity = capacity
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = Lock()
        self._pending: dict[Hashable, asyncio.Future[object]] = {}

    def get(self, key: Hashable) -> object | None:
        with self._lock:
            if key not in self._entries:
                self.misses += 1
                return None
            self.hits += 1
            self._entries.move_to_end(key)
            return self._entries[key]

    def put(self, key: Hashable, result: object) -> None:
        with self._lock:
            self._entries[key] = result
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    async def once(self, key: Hashable, compute: Callable[[], Awaitable[object]]) -> object:
        """After a miss: the result for `key`, computed by one caller as the others wait.

        After an ingestion every dashboard asks again at about the same time;
        computing each result once spares the store that many copies of it.
        A caller that gives up does not stop the computation the others await.
        """
        with self._lock:
            # Put there by a computation that ended since the caller's miss.
            if key in self._entries:
                return self._entries[key]
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._compute(key, compute))
            self._pending[key] = pending
        return await asyncio.shield(pending)

    async def _compute(self, key: Hashable, compute: Callable[[], Awaitable[object]]) -> object:
        try:
            result = await compute()
            self.put(key, result)
            return result
        finally:
            del self._pending[key]

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0


_caches: WeakKeyDictionary[AsyncEngine, ResultCache] = WeakKeyDictionary()


def cache_for(engine: AsyncEngine) -> ResultCache:
    """The cache of results read from `engine`'s store; it lives as long as the engine."""
    with _lock:
        return _caches.setdefault(engine, ResultCache())
