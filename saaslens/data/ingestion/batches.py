"""One batch of records of one kind: validated whole, then written atomically.

Every row is checked before anything is written: its shape, that the records
it refers to exist, that its money can be converted, and that its id is new or
names an identical stored record. One bad row rejects the batch with a list of
every bad row; an accepted batch inserts its new rows, keeps the derived
tables current and bumps the data version, all in one transaction.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.config import Settings
from saaslens.data.ingestion.bulk import insert_rows, stored_fingerprints, stored_ids
from saaslens.data.ingestion.currency import MissingRate, load_rates
from saaslens.data.ingestion.derived import refresh_lead_stages, refresh_subscriptions
from saaslens.data.ingestion.destinations import DESTINATIONS, Destination
from saaslens.data.ingestion.records import SHAPES, Fields, Kind
from saaslens.data.models import StoreState
from saaslens.data.state import bump_data_version, data_version


@dataclass(frozen=True)
class RowError:
    """What is wrong with the row at `index` (0-based) of a batch; `field` when known."""

    index: int
    field: str | None
    reason: str


@dataclass(frozen=True)
class IngestionReport:
    """The outcome of one batch: counts and the data version, or the bad rows."""

    inserted: int
    unchanged: int
    errors: list[RowError] = field(default_factory=list)
    data_version: int = 0

    @property
    def accepted(self) -> bool:
        return not self.errors


@dataclass(slots=True)
class _Candidate:
    index: int
    record: Fields
    fingerprint: int


async def ingest(
    session: AsyncSession, kind: Kind, rows: Sequence[Mapping[str, Any]], settings: Settings
) -> IngestionReport:
    """Ingest one batch and commit it, or write nothing and report every bad row."""
    try:
        report = await apply_batch(session, kind, rows, settings)
    except BaseException:
        await session.rollback()
        raise
    if report.accepted:
        await session.commit()
    else:
        await session.rollback()
    return report


async def apply_batch(
    session: AsyncSession, kind: Kind, rows: Sequence[Mapping[str, Any]], settings: Settings
) -> IngestionReport:
    """Check and write one batch in the caller's transaction, leaving the commit to it.

    A rejected batch has written nothing, so the caller may go on using the
    transaction (a whole-file check does, then rolls everything back).
    """
    return await apply_validated(session, validate(kind, rows), settings)


@dataclass(frozen=True)
class ValidatedBatch:
    """A batch whose rows were checked on their own; the store is not consulted yet."""

    kind: Kind
    candidates: list[_Candidate]
    errors: list[RowError]


def validate(kind: Kind, rows: Sequence[Mapping[str, Any]]) -> ValidatedBatch:
    """Check each row's shape and fingerprint its content; CPU only, no database.

    Kept apart so an import can validate its next batch while the database
    writes the current one.
    """
    shape = SHAPES[kind]
    candidates: list[_Candidate] = []
    errors: list[RowError] = []
    for index, row in enumerate(rows):
        try:
            record = shape.validate(row)
        except ValidationError as error:
            errors.extend(_row_errors(index, error))
            continue
        candidates.append(_Candidate(index, record, shape.fingerprint(record)))
    return ValidatedBatch(kind, candidates, errors)


async def apply_validated(
    session: AsyncSession, batch: ValidatedBatch, settings: Settings
) -> IngestionReport:
    """Check a validated batch against the store and write it, without committing."""
    destination = DESTINATIONS[batch.kind]
    await _serialise(session)
    errors = list(batch.errors)
    fresh, unchanged, conflicts = await _sort_out(session, destination, batch.candidates)
    errors += conflicts
    errors += await _missing_references(session, destination, fresh)
    new_rows, money_errors = await _rows(session, destination, fresh, settings)
    errors += money_errors
    if errors:
        errors.sort(key=lambda error: error.index)
        return IngestionReport(0, 0, errors, await data_version(session))
    if not new_rows:
        return IngestionReport(0, unchanged, [], await data_version(session))

    await insert_rows(session, destination.table, new_rows)
    await _refresh_derived(session, batch.kind, new_rows)
    version = await bump_data_version(session, settings.reporting_time_zone)
    return IngestionReport(len(new_rows), unchanged, [], version)


async def _serialise(session: AsyncSession) -> None:
    """Wait for other ingestions to finish before checking this batch against the store.

    Two batches checked side by side could both find an id new and both insert
    it. A write to the store's state row, changing nothing, takes the write lock
    first: on PostgreSQL it locks the row until the commit, on SQLite it opens
    the write transaction; either way the checks then see every batch
    committed before this one.
    """
    unchanged = {"data_version": StoreState.data_version}
    statement = update(StoreState).where(StoreState.id == 1).values(unchanged)
    await session.execute(statement.execution_options(synchronize_session=False))


def _row_errors(index: int, error: ValidationError) -> list[RowError]:
    found = []
    for problem in error.errors(include_url=False):
        location = problem["loc"]
        reason = problem["msg"].removeprefix("Value error, ")
        given = problem.get("input")
        if problem["type"] != "missing" and isinstance(given, str | int | float):
            reason += f" (got {str(given)[:60]!r})"
        found.append(RowError(index, str(location[0]) if location else None, reason))
    return found


async def _sort_out(
    session: AsyncSession, destination: Destination, candidates: list[_Candidate]
) -> tuple[list[_Candidate], int, list[RowError]]:
    """Split candidates into new records, identical repeats and conflicts."""
    first: dict[Hashable, _Candidate] = {}
    unchanged = 0
    conflicts = []
    key_field = destination.key_columns[0] if len(destination.key_columns) == 1 else None
    for candidate in candidates:
        key = destination.key(candidate.record)
        earlier = first.setdefault(key, candidate)
        if earlier is candidate:
            continue
        if earlier.fingerprint == candidate.fingerprint:
            unchanged += 1
        else:
            reason = f"{_key_text(key)} differs from row {earlier.index} of this batch"
            conflicts.append(RowError(candidate.index, key_field, reason))

    stored = await stored_fingerprints(
        session, destination.table, destination.key_columns, first.keys()
    )
    fresh = []
    for key, candidate in first.items():
        fingerprint = stored.get(key)
        if fingerprint is None:
            fresh.append(candidate)
        elif fingerprint == candidate.fingerprint:
            unchanged += 1
        else:
            reason = f"{_key_text(key)} is already stored with different content"
            conflicts.append(RowError(candidate.index, key_field, reason))
    return fresh, unchanged, conflicts


def _key_text(key: Hashable) -> str:
    if isinstance(key, tuple):
        return " ".join(str(part) for part in key)
    return repr(key)


async def _missing_references(
    session: AsyncSession, destination: Destination, fresh: list[_Candidate]
) -> list[RowError]:
    errors = []
    for reference in destination.references:
        wanted = {candidate.record[reference.field] for candidate in fresh}
        found = await stored_ids(session, reference.target, wanted)
        for candidate in fresh:
            value = candidate.record[reference.field]
            if value not in found:
                reason = f"no {reference.noun} with id {value!r} is stored"
                errors.append(RowError(candidate.index, reference.field, reason))
    return errors


async def _rows(
    session: AsyncSession,
    destination: Destination,
    fresh: list[_Candidate],
    settings: Settings,
) -> tuple[list[dict[str, Any]], list[RowError]]:
    """The table rows of the new records, or the rows whose money cannot be converted."""
    needs = [need for candidate in fresh for need in destination.money(candidate.record)]
    rates = await load_rates(session, settings.base_currency, needs)
    zone = reporting_zone(settings.reporting_time_zone)
    rows = []
    errors = []
    for candidate in fresh:
        try:
            rows.append(destination.row(candidate.record, candidate.fingerprint, zone, rates))
        except MissingRate as error:
            errors.append(RowError(candidate.index, "currency", str(error)))
    return rows, errors


def reporting_zone(name: str) -> tzinfo:
    # The same buckets either way; the fixed-offset zone converts several times faster.
    return UTC if name == "UTC" else ZoneInfo(name)


async def _refresh_derived(
    session: AsyncSession, kind: Kind, new_rows: list[dict[str, Any]]
) -> None:
    if kind is Kind.SUBSCRIPTION_CHANGES:
        await refresh_subscriptions(session, {row["subscription_id"] for row in new_rows})
    elif kind is Kind.LEAD_STAGE_CHANGES:
        await refresh_lead_stages(session, {row["lead_id"] for row in new_rows})
