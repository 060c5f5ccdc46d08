"""Columns of generated records, turned into plain dicts a slice at a time.

The generator keeps each kind as numpy columns, which is compact, and only
builds the dicts the ingester reads for the batch about to be written.
"""

from __future__ import annotations

from collections.abc import Mapping
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

    def take(self, order: npt.NDArray[np.int64]) -> Table:
        columns = {name: values[order] for name, values in self.columns.items()}
        return Table(columns, self.ids, self.documents)

    def rows(self, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        names = list(self.columns)
        values = [self._python(name, self.columns[name][start:stop]) for name in names]
        records = [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
        for document, keys in self.documents.items():
            for record in records:
                content = {key: record.pop(key) for key in keys}
                record[document] = {k: v for k, v in content.items() if v is not None}
        return records

    def _python(self, name: str, values: Column) -> list[Any]:
        if name in self.ids:
            pattern = self.ids[name]
            return [pattern % number for number in values.tolist()]
        if values.dtype == np.dtype("datetime64[s]"):
            return np.datetime_as_string(values, unit="s", timezone="UTC").tolist()  # type: ignore[no-any-return]
        if values.dtype == np.dtype("datetime64[D]"):
            return np.datetime_as_string(values, unit="D").tolist()  # type: ignore[no-any-return]
        return values.tolist()  # type: ignore[no-any-return]


def optional(values: Column, present: npt.NDArray[np.bool_]) -> npt.NDArray[np.object_]:
    """`values` where present and None elsewhere, for a field that may be empty."""
    column = np.full(len(values), None, dtype=object)
    column[present] = values[present]
    return column


def id_pattern(prefix: str, count: int, width: int = 6) -> str:
    """A %-pattern for ids like cus_000123, wide enough for `count` of them."""
    return f"{prefix}_%0{max(width, len(str(count)))}d"
