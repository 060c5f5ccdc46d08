"""Importing a record file batch by batch, each batch committed on its own.

A process killed mid-import therefore leaves whole batches and nothing
partial, and running the import again resumes it, because rows already
stored are identical re-sends. A check runs every batch in one transaction
that is rolled back, so references between batches are checked as an import
would see them, and nothing is written.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.config import Settings
from saaslens.data.ingestion.batches import IngestionReport, RowError, apply_batch, ingest
from saaslens.data.ingestion.files import Batch, Format, read_batches
from saaslens.data.ingestion.records import Kind


@dataclass(frozen=True)
class LineError:
    """What is wrong with the row starting on `line` (1-based) of the file."""

    line: int
    field: str | None
    reason: str


@dataclass
class ImportOutcome:
    inserted: int = 0
    unchanged: int = 0
    started: float = field(default_factory=time.perf_counter)
    rejected_lines: tuple[int, int] | None = None
    errors: list[LineError] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.errors

    @property
    def rows(self) -> int:
        return self.inserted + self.unchanged

    @property
    def rows_per_second(self) -> float:
        return self.rows / max(time.perf_counter() - self.started, 1e-9)

    def add(self, report: IngestionReport) -> None:
        self.inserted += report.inserted
        self.unchanged += report.unchanged


# Called after each batch with the bytes of the file read so far.
Progress = Callable[[int, ImportOutcome], None]


def _line_errors(batch: Batch, report: IngestionReport) -> list[LineError]:
    errors = [LineError(line, None, reason) for line, reason in batch.unreadable]
    errors += [_at_line(batch, error) for error in report.errors]
    return sorted(errors, key=lambda error: error.line)


def _at_line(batch: Batch, error: RowError) -> LineError:
    return LineError(batch.lines[error.index], error.field, error.reason)


async def import_file(
    sessions: async_sessionmaker[AsyncSession],
    kind: Kind,
    path: Path,
    settings: Settings,
    *,
    format: Format,
    batch_size: int,
    progress: Progress,
) -> ImportOutcome:
    """Commit the file batch by batch; stop at the first rejected batch."""
    outcome = ImportOutcome()
    for batch in read_batches(path, format, batch_size):
        async with sessions() as session:
            if batch.unreadable:
                report = await apply_batch(session, kind, batch.rows, settings)
                await session.rollback()
            else:
                report = await ingest(session, kind, batch.rows, settings)
        if batch.unreadable or not report.accepted:
            outcome.errors = _line_errors(batch, report)
            outcome.rejected_lines = (batch.first_line, batch.last_line)
            break
        outcome.add(report)
        progress(batch.bytes_read, outcome)
    return outcome


async def check_file(
    sessions: async_sessionmaker[AsyncSession],
    kind: Kind,
    path: Path,
    settings: Settings,
    *,
    format: Format,
    batch_size: int,
    progress: Progress,
) -> ImportOutcome:
    """Check every batch of the file as an import would, and write nothing."""
    outcome = ImportOutcome()
    async with sessions() as session:
        try:
            for batch in read_batches(path, format, batch_size):
                report = await apply_batch(session, kind, batch.rows, settings)
                if batch.unreadable or not report.accepted:
                    outcome.errors += _line_errors(batch, report)
                else:
                    outcome.add(report)
                progress(batch.bytes_read, outcome)
        finally:
            await session.rollback()
    return outcome
