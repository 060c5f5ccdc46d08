"""Reading record files in batches, streamed so a file larger than memory works.

CSV files have a header row; an empty cell means the field is absent, and a
JSON object column (attributes, properties) holds its object as JSON text.
JSON-lines files hold one object per line. Every row keeps the 1-based line
of the file it started on, so errors can point at it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from saaslens.errors import InvalidInput


class Format(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


SUFFIXES = {".csv": Format.CSV, ".jsonl": Format.JSONL, ".ndjson": Format.JSONL}


def detect_format(path: Path) -> Format:
    try:
        return SUFFIXES[path.suffix.lower()]
    except KeyError:
        raise InvalidInput(
            f"cannot tell the format of {path.name} from its extension; "
            "name it .csv or .jsonl, or give --format"
        ) from None


@dataclass
class Batch:
    """Rows read together, their line numbers, and lines that are not rows at all."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    unreadable: list[tuple[int, str]] = field(default_factory=list)
    bytes_read: int = 0

    def __len__(self) -> int:
        return len(self.rows) + len(self.unreadable)

    @property
    def first_line(self) -> int:
        return min(self.lines[:1] + [line for line, _ in self.unreadable[:1]])

    @property
    def last_line(self) -> int:
        return max(self.lines[-1:] + [line for line, _ in self.unreadable[-1:]])


def read_batches(path: Path, format: Format, size: int) -> Iterator[Batch]:
    """Yield batches of at most `size` rows, reading the file once from start to end."""
    with path.open("rb") as raw, io.TextIOWrapper(raw, "utf-8-sig", newline="") as handle:
        rows = _csv_rows(handle) if format is Format.CSV else _jsonl_rows(handle)
        batch = Batch()
        try:
            for line, row in rows:
                if isinstance(row, str):
                    batch.unreadable.append((line, row))
                else:
                    batch.rows.append(row)
                    batch.lines.append(line)
                if len(batch) == size:
                    # The position of the raw file, read ahead of the decoded text by
                    # at most a buffer, is close enough for a progress bar.
                    batch.bytes_read = raw.tell()
                    yield batch
                    batch = Batch()
        except UnicodeDecodeError as error:
            raise InvalidInput(f"{path.name} is not UTF-8 text: {error.reason}") from None
        if len(batch):
            batch.bytes_read = raw.tell()
            yield batch


# A row read from a file, or the reason its line is not a row.
_Read = tuple[int, dict[str, Any] | str]


def _csv_rows(lines: TextIO) -> Iterator[_Read]:
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        return
    header = [name.strip() for name in header]
    width = len(header)
    start = reader.line_num + 1
    try:
        for cells in reader:
            if cells:
                yield start, _csv_row(header, width, cells)
            start = reader.line_num + 1
    except csv.Error as error:
        raise InvalidInput(f"line {reader.line_num} is not valid CSV: {error}") from None


def _csv_row(header: list[str], width: int, cells: list[str]) -> dict[str, Any]:
    if len(cells) == width and "" not in cells:
        # Most rows fill every cell; pairing them whole is several times faster.
        return dict(zip(header, cells, strict=True))
    row = {name: cell for name, cell in zip(header, cells, strict=False) if cell}
    # Cells beyond the header get names of their own, so the row fails validation
    # with a message instead of being cut silently.
    for position in range(width, len(cells)):
        row[f"column {position + 1}"] = cells[position]
    return row


def _jsonl_rows(lines: TextIO) -> Iterator[_Read]:
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as error:
            # An error at the end of the line is at its last column, not past its break.
            column = min(error.pos, len(text.rstrip("\r\n"))) + 1
            yield number, f"not valid JSON: {error.msg} at column {column}"
            continue
        if isinstance(row, dict):
            yield number, row
        else:
            yield number, f"expected a JSON object, got {type(row).__name__}"
