"""DataLoaders: the related records of a list's rows, read together.

A page of customers that asks for each one's subscriptions would read them
customer by customer. A loader instead gathers the keys its field is asked
for while the page resolves and reads them in one statement per batch.

The loaders keep no cache: a socket's context lives as long as the
connection, and a cache there would answer later events with rows read for
earlier ones. Batching alone removes the statement per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from saaslens.automation import alerts, scripts
from saaslens.data.queries import records

# Keys per statement: well under the bound parameters SQLite and asyncpg take.
BATCH_SIZE = 1000

KeyT = TypeVar("KeyT", bound=Hashable)
RowT = TypeVar("RowT")

Read = Callable[[AsyncSession, Sequence[KeyT]], Awaitable[Sequence[RowT]]]


class Loaders:
    """One loader per related field; made with each request's context."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.customer = self._one(records.customers_by_id, lambda row: row.id)
        self.subscriptions = self._many(records.subscriptions_of, lambda row: row.customer_id)
        self.payments = self._many(records.payments_of, lambda row: row.customer_id)
        self.script = self._one(scripts.by_ids, lambda stored: stored.script.id)
        self.alert_rule = self._one(alerts.by_ids, lambda row: row.id)

    def _one(
        self, read: Read[KeyT, RowT], key: Callable[[RowT], KeyT]
    ) -> DataLoader[KeyT, RowT | None]:
        """A loader of the row each key names, or None where none does."""

        async def load(keys: list[KeyT]) -> list[RowT | None]:
            found = {key(row): row for row in await self._read(read, keys)}
            return [found.get(wanted) for wanted in keys]

        return DataLoader(load, max_batch_size=BATCH_SIZE, cache=False)

    def _many(
        self, read: Read[KeyT, RowT], key: Callable[[RowT], KeyT]
    ) -> DataLoader[KeyT, list[RowT]]:
        """A loader of every row that belongs to each key, in the read's order."""

        async def load(keys: list[KeyT]) -> list[list[RowT]]:
            grouped: defaultdict[KeyT, list[RowT]] = defaultdict(list)
            for row in await self._read(read, keys):
                grouped[key(row)].append(row)
            return [grouped.get(wanted, []) for wanted in keys]

        return DataLoader(load, max_batch_size=BATCH_SIZE, cache=False)

    async def _read(self, read: Read[KeyT, RowT], keys: list[KeyT]) -> Sequence[RowT]:
        # Without the cache a key asked for twice in one batch comes twice.
        async with self.sessions() as session:
            return await read(session, list(dict.fromkeys(keys)))
