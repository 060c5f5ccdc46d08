"""Lookups of many keys at once, in chunks both SQLite and PostgreSQL accept."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Table, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

# Well under both backends' limits on bound parameters in one statement.
CHUNK = 2000


def chunks(items: Collection[T], size: int = CHUNK) -> Iterator[list[T]]:
    ordered = list(items)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _key(table: Table, columns: Sequence[str]) -> ColumnElement[Any]:
    if len(columns) == 1:
        return table.c[columns[0]]
    return tuple_(*(table.c[name] for name in columns))


async def stored_fingerprints(
    session: AsyncSession, table: Table, columns: Sequence[str], keys: Collection[Hashable]
) -> dict[Hashable, int]:
    """The fingerprint of every stored row among `keys` (a tuple per composite key)."""
    found: dict[Hashable, int] = {}
    selected = [table.c[name] for name in columns]
    for chunk in chunks(keys):
        statement = select(*selected, table.c.fingerprint).where(_key(table, columns).in_(chunk))
        for *key, fingerprint in await session.execute(statement):
            found[key[0] if len(key) == 1 else tuple(key)] = fingerprint
    return found


async def stored_ids(session: AsyncSession, table: Table, ids: Collection[str]) -> set[str]:
    """Which of `ids` the table's `id` column holds."""
    found: set[str] = set()
    for chunk in chunks(ids):
        found.update(await session.scalars(select(table.c.id).where(table.c.id.in_(chunk))))
    return found
