"""Relay-style connections: edges with opaque cursors, page info and a total."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import strawberry

from saaslens.config import Settings
from saaslens.errors import InvalidInput

NodeT = TypeVar("NodeT")
RowT = TypeVar("RowT")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    total_count: int


def page_size(first: int, settings: Settings) -> int:
    """The page length asked for, refused beyond the configured cap."""
    if first < 1:
        raise InvalidInput("`first` must be at least 1")
    if first > settings.max_page_size:
        raise InvalidInput(f"`first` may be at most {settings.max_page_size}")
    return first


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        return base64.b64decode(cursor, altchars=b"-_", validate=True).decode()
    except ValueError:
        # Bad base64, bad UTF-8 and text that is not ASCII all raise ValueError.
        raise InvalidInput("`after` is not a cursor this API issued") from None


def build_connection(
    rows: Sequence[RowT],
    first: int,
    total: int,
    key: Callable[[RowT], str],
    node: Callable[[RowT], NodeT],
) -> Connection[NodeT]:
    """Shape a page fetched with one extra row, which tells whether more follow."""
    edges = [Edge(cursor=encode_cursor(key(row)), node=node(row)) for row in rows[:first]]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > first,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )
