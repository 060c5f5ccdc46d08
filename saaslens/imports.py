"""What `saaslens import` shows: a progress bar by bytes, the bad rows, a summary."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from sqlalchemy.exc import DBAPIError

from saaslens.config import Settings
from saaslens.data.engine import create_engine, create_session_factory
from saaslens.data.faults import refusal
from saaslens.data.ingestion.files import Format
from saaslens.data.ingestion.imports import ImportOutcome, LineError, check_file, import_file
from saaslens.data.ingestion.records import Kind
from saaslens.errors import DatabaseUnavailable, InvalidInput

# Enough to fix a file by; a whole rejected batch could list thousands.
SHOWN_ERRORS = 50


def run_import(
    settings: Settings, kind: Kind, path: Path, format: Format, batch_size: int, *, check: bool
) -> bool:
    """Import or check the file, print what happened; return whether it was accepted."""
    console = Console(highlight=False, soft_wrap=True)
    job = _Job(kind, path, path.stat().st_size, format, batch_size, check)
    try:
        outcome = asyncio.run(_run(settings, job, console))
    except InvalidInput as error:
        console.print(escape(error.message), style="red")
        return False
    except (DBAPIError, DatabaseUnavailable) as error:
        refused = refusal(error, "the import")
        if refused is None:
            raise
        console.print(escape(refused), style="red")
        return False
    _print_errors(console, outcome.errors)
    if outcome.rejected_lines is not None:
        first, last = outcome.rejected_lines
        console.print(
            f"Rejected the batch on lines {first}-{last}; nothing of it was written. "
            f"{outcome.rows} rows were committed before it."
        )
    elif check and not outcome.accepted:
        console.print(f"The check found {len(outcome.errors)} bad rows; nothing was written.")
    console.print(_summary(outcome, check))
    return outcome.accepted


@dataclass(frozen=True)
class _Job:
    kind: Kind
    path: Path
    size: int
    format: Format
    batch_size: int
    check: bool


async def _run(settings: Settings, job: _Job, console: Console) -> ImportOutcome:
    engine = create_engine(settings.database_url)
    work = check_file if job.check else import_file
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TextColumn("{task.fields[rows]} rows"),
        TimeRemainingColumn(),
    )
    try:
        with Progress(
            *columns, console=console, transient=True, disable=not console.is_terminal
        ) as progress:
            verb = "Checking" if job.check else "Importing"
            task = progress.add_task(f"{verb} {escape(job.path.name)}", total=job.size, rows=0)
            return await work(
                create_session_factory(engine),
                job.kind,
                job.path,
                settings,
                format=job.format,
                batch_size=job.batch_size,
                progress=lambda done, outcome: progress.update(
                    task, completed=done, rows=outcome.rows
                ),
            )
    finally:
        await engine.dispose()


def _print_errors(console: Console, errors: list[LineError]) -> None:
    for error in errors[:SHOWN_ERRORS]:
        where = f"line {error.line}" + (f", {error.field}" if error.field else "")
        console.print(f"{where}: {escape(error.reason)}", style="red")
    if len(errors) > SHOWN_ERRORS:
        console.print(f"... and {len(errors) - SHOWN_ERRORS} more bad rows", style="red")


def _summary(outcome: ImportOutcome, check: bool) -> str:
    counts = (
        f"inserted {outcome.inserted}, unchanged {outcome.unchanged}, "
        f"{outcome.rows_per_second:,.0f} rows/s"
    )
    return f"Checked: would have {counts}" if check else f"Imported: {counts}"
