"""Writing a simulated business into a store through the ingester.

Each batch is ingested and committed on its own, exactly as an import would
be, so a demo stopped half-way leaves whole batches, and running it again
with the same scenario resumes it: stored rows come back as identical
re-sends and change nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.config import Settings
from saaslens.data.demo.business import Business
from saaslens.data.ingestion import RowError
from saaslens.data.ingestion.batches import apply_validated, validate
from saaslens.data.ingestion.prefetch import prefetched
from saaslens.data.ingestion.records import Kind
from saaslens.data.models import Customer


class RejectedBatch(Exception):
    """The ingester refused a batch of demo records; nothing of it was written."""

    def __init__(self, kind: Kind, errors: list[RowError]) -> None:
        first = errors[0]
        super().__init__(
            f"a batch of {kind} was rejected with {len(errors)} bad rows; "
            f"the first, row {first.index} ({first.field}): {first.reason}"
        )
        self.kind = kind
        self.errors = errors


@dataclass
class Tally:
    """Rows written so far, per kind, and the seconds spent on each kind."""

    inserted: dict[Kind, int] = field(default_factory=dict)
    unchanged: dict[Kind, int] = field(default_factory=dict)
    seconds: dict[Kind, float] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(self.inserted.values()) + sum(self.unchanged.values())

    def add(self, kind: Kind, inserted: int, unchanged: int, seconds: float) -> None:
        self.inserted[kind] = self.inserted.get(kind, 0) + inserted
        self.unchanged[kind] = self.unchanged.get(kind, 0) + unchanged
        self.seconds[kind] = self.seconds.get(kind, 0.0) + seconds


# Called after each committed batch with the kind it held and the tally so far.
Progress = Callable[[Kind, Tally], None]


async def stored_customers(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Customer)) or 0


async def write(
    business: Business,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    batch_size: int,
    progress: Progress,
) -> Tally:
    """Ingest every batch of the business, one transaction each; stop at a rejection."""
    tally = Tally()
    started = time.perf_counter()
    batches = (validate(kind, rows) for kind, rows in business.batches(batch_size))
    async with aclosing(prefetched(batches)) as validated:
        async for batch in validated:
            async with sessions() as session:
                report = await apply_validated(session, batch, settings)
                if not report.accepted:
                    await session.rollback()
                    raise RejectedBatch(batch.kind, report.errors)
                await session.commit()
            now = time.perf_counter()
            # A batch's time includes making it: that is what a user waits for.
            tally.add(batch.kind, report.inserted, report.unchanged, now - started)
            started = now
            progress(batch.kind, tally)
    return tally
