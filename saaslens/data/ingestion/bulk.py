"""Reading and writing many rows at once: chunked key lookups and bulk inserts."""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC
from functools import lru_cache
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    BindParameter,
    ColumnElement,
    Dialect,
    Table,
    bindparam,
    insert,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeEngine

from saaslens.data.models.base import UTCDateTime

T = TypeVar("T")

# Well under both backends' limits on bound parameters in one statement.
CHUNK = 2000


def chunks(items: Collection[T], size: int = CHUNK) -> Iterator[list[T]]:
    ordered = list(items)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


# The keys looked up, bound at execution: a list written into the statement
# would have each of its thousands of values coerced one by one.
_LISTED: BindParameter[Any] = bindparam("listed", expanding=True)


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
    statement = select(*selected, table.c.fingerprint).where(_key(table, columns).in_(_LISTED))
    for chunk in chunks(keys):
        for *key, fingerprint in await session.execute(statement, {"listed": chunk}):
            found[key[0] if len(key) == 1 else tuple(key)] = fingerprint
    return found


async def stored_ids(session: AsyncSession, table: Table, ids: Collection[str]) -> set[str]:
    """Which of `ids` the table's `id` column holds."""
    found: set[str] = set()
    statement = select(table.c.id).where(table.c.id.in_(_LISTED))
    for chunk in chunks(ids):
        found.update(await session.scalars(statement, {"listed": chunk}))
    return found


@dataclass(frozen=True)
class _InsertPlan:
    sql: str
    values: Callable[[dict[str, Any]], tuple[Any, ...]]
    processors: list[tuple[str, Callable[[Any], Any]]]


@lru_cache(maxsize=64)
def _insert_plan(table: Table, dialect: Dialect) -> _InsertPlan:
    compiled = insert(table).compile(dialect=dialect)
    names = list(compiled.positiontup or [])
    processors: list[tuple[str, Callable[[Any], Any]]] = []
    for name in names:
        column_type = table.c[name].type
        process = column_type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors.append((name, _shortcut(column_type, dialect, process) or process))
    return _InsertPlan(compiled.string, itemgetter(*names), processors)


Processor = Callable[[Any], Any]


def _shortcut(
    column_type: TypeEngine[Any], dialect: Dialect, stock: Processor
) -> Processor | None:
    """The stock processor with the common value done directly, or None.

    On SQLite a UTC time becomes the text SQLAlchemy's DATETIME stores and an
    empty document its JSON text, without the layers of the stock processors;
    every other value still goes through them.
    """
    if dialect.name != "sqlite":
        return None
    if isinstance(column_type, UTCDateTime):

        def stored_moment(value: Any) -> Any:
            if value is not None and value.tzinfo is UTC:
                # The naive text, as "%Y-%m-%d %H:%M:%S.%f" without the "+00:00".
                return value.isoformat(" ", "microseconds")[:26]
            return stock(value)

        return stored_moment
    if isinstance(column_type, JSON):

        def stored_document(value: Any) -> Any:
            return "{}" if type(value) is dict and not value else stock(value)

        return stored_document
    return None


async def insert_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows with one executemany of the table's compiled INSERT.

    Values pass through the per-type processors SQLAlchemy itself would apply,
    but column by column rather than through its general per-row parameter
    handling, which costs more than the database's own work on this path.
    The rows are changed in place.
    """
    connection = await session.connection()
    plan = _insert_plan(table, connection.dialect)
    for name, process in plan.processors:
        for row in rows:
            row[name] = process(row[name])
    await connection.exec_driver_sql(plan.sql, [plan.values(row) for row in rows])
