"""Importing a record file batch by batch, each batch committed on its own.

A process killed mid-import therefore leaves whole batches and nothing
partial, and running the import again resumes it, because rows already
stored are identical re-sends. A check runs every batch in one transaction
that is rolled back, so references between batches are checked as an import
would see them, and nothing is written.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from contextlib import aclosing
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.config import Settings
from saaslens.data.ingestion.batches import (
    IngestionReport,
    RowError,
    ValidatedBatch,
    apply_validated,
    validate,
)
from saaslens.data.ingestion.files import Batch, Format, read_batches
from saaslens.data.ingestion.prefetch import prefetched
from saaslens.data.ingestion.records import Kind


@dataclass(frozen=True)
class LineError:
    """What is wrong with the row starting on `line` (1-based) of the file."""

    line: int
    field: str | None
    reason: str


@dataclass
class ImportOutcome:
    """What an import or a check did so far, and the bad rows that stopped it."""

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


@dataclass(frozen=True)
class _Prepared:
    batch: Batch
    validated: ValidatedBatch


def _prepared(
    kind: Kind, path: Path, format: Format, size: int
) -> Generator[_Prepared, None, None]:
    for batch in read_batches(path, format, size):
        yield _Prepared(batch, validate(kind, batch.rows))


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
    async with aclosing(prefetched(_prepared(kind, path, format, batch_size))) as items:
        async for item in items:
            async with sessions() as session:
                report = await apply_validated(session, item.validated, settings)
                if item.batch.unreadable or not report.accepted:
                    await session.rollback()
                    outcome.errors = _line_errors(item.batch, report)
                    outcome.rejected_lines = (item.batch.first_line, item.batch.last_line)
                    break
                await session.commit()
            outcome.add(report)
            progress(item.batch.bytes_read, outcome)
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
    async with (
        sessions() as session,
        aclosing(prefetched(_prepared(kind, path, format, batch_size))) as items,
    ):
        try:
            async for item in items:
                report = await apply_validated(session, item.validated, settings)
                if item.batch.unreadable or not report.accepted:
                    outcome.errors += _line_errors(item.batch, report)
                else:
                    outcome.add(report)
                progress(item.batch.bytes_read, outcome)
        finally:
            await session.rollback()
    return outcome
