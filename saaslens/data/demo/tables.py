"""Columns of generated records, turned into plain dicts a slice at a time.

The generator keeps each kind as numpy columns, which is compact, and only
builds the dicts the ingester reads for the batch about to be written.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

Column = npt.NDArray[Any]


@dataclass(frozen=True)
class Table:
    """Equal-length columns; `ids` formats integer columns as source ids.

    `documents` gathers columns into one JSON object field, leaving out the
    keys whose value is None.
    """

    columns: Mapping[str, Column]
    ids: Mapping[str, str] = field(default_factory=dict)
    documents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def rows(self, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        values = {
            name: self._python(name, self.columns[name][start:stop]) for name in self.columns
        }
        with _collector_paused():
            for document, keys in self.documents.items():
                values[document] = _documents([values.pop(key) for key in keys], keys)
            names = list(values)
            return [
                dict(zip(names, row, strict=True)) for row in zip(*values.values(), strict=True)
            ]

    def _python(self, name: str, values: Column) -> list[Any]:
        if name in self.ids:
            pattern = self.ids[name]
            return [pattern % number for number in values.tolist()]
        if values.dtype == np.dtype("datetime64[s]"):
            return np.datetime_as_string(values, unit="s", timezone="UTC").tolist()  # type: ignore[no-any-return]
        if values.dtype == np.dtype("datetime64[D]"):
            return np.datetime_as_string(values, unit="D").tolist()  # type: ignore[no-any-return]
        return values.tolist()  # type: ignore[no-any-return]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cycle collector while building a batch of dicts.

    The dicts hold only strings and numbers, so they form no cycles; yet each
    thousand of them would set off a collection that walks every live object,
    which costs about as much again as building them.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _documents(parts: list[list[Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """One object per row holding the keys whose value is not None."""
    documents: list[dict[str, Any]] = [{} for _ in parts[0]] if parts else []
    for key, part in zip(keys, parts, strict=True):
        for document, value in zip(documents, part, strict=True):
            if value is not None:
                document[key] = value
    return documents


def optional(values: Column, present: npt.NDArray[np.bool_]) -> npt.NDArray[np.object_]:
    """`values` where present and None elsewhere, for a field that may be empty."""
    column = np.full(len(values), None, dtype=object)
    column[present] = values[present]
    return column


def id_pattern(prefix: str, count: int, width: int = 6) -> str:
    """A %-pattern for ids like cus_000123, wide enough for `count` of them."""
    return f"{prefix}_%0{max(width, len(str(count)))}d"
