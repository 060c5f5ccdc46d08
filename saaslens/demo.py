"""What `saaslens demo` shows: a progress bar over every row, then a summary."""

from __future__ import annotations

import asyncio
import time

from rich.console import Console, Group
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from saaslens.config import Settings
from saaslens.data.demo import Scenario, simulate
from saaslens.data.demo.loading import RejectedBatch, Tally, stored_customers, write
from saaslens.data.engine import create_engine, create_session_factory
from saaslens.data.migrate import current_revision, head_revision
from saaslens.errors import InvalidInput


def run_demo(settings: Settings, scenario: Scenario, *, batch_size: int, force: bool) -> bool:
    """Simulate the scenario and write it; print what happened; return whether it all went in."""
    console = Console(highlight=False, soft_wrap=True)
    try:
        tally, seconds = asyncio.run(_run(settings, scenario, batch_size, force, console))
    except (InvalidInput, RejectedBatch) as error:
        console.print(str(error), style="red")
        return False
    console.print(_summary(tally, seconds))
    return True


async def _run(
    settings: Settings, scenario: Scenario, batch_size: int, force: bool, console: Console
) -> tuple[Tally, float]:
    engine = create_engine(settings.database_url)
    sessions = create_session_factory(engine)
    try:
        if await current_revision(engine) != head_revision():
            raise InvalidInput(
                "the store is not at the newest migration; run `saaslens db upgrade` first"
            )
        async with sessions() as session:
            existing = await stored_customers(session)
        if existing and not force:
            raise InvalidInput(
                f"the store already holds {existing} customers; pass --force to write the "
                "demo over them, or point SAASLENS_DATABASE_URL at an empty store"
            )
        started = time.perf_counter()
        with console.status("Simulating the business"):
            business = simulate(scenario)
        total = sum(business.totals.values())
        columns = (
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("rows"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("Writing", total=total)
            tally = await write(
                business,
                sessions,
                settings,
                batch_size=batch_size,
                progress=lambda kind, tally: progress.update(
                    task, completed=tally.rows, description=f"Writing {kind}"
                ),
            )
        return tally, time.perf_counter() - started
    finally:
        await engine.dispose()


def _summary(tally: Tally, seconds: float) -> Group:
    table = Table(title=f"Demo data written in {seconds:,.1f} s")
    for heading in ("records", "inserted", "unchanged", "rows/s"):
        table.add_column(heading, justify="left" if heading == "records" else "right")
    for kind, inserted in tally.inserted.items():
        unchanged = tally.unchanged[kind]
        rate = (inserted + unchanged) / max(tally.seconds[kind], 1e-9)
        table.add_row(str(kind), f"{inserted:,}", f"{unchanged:,}", f"{rate:,.0f}")
    inserted, unchanged = sum(tally.inserted.values()), sum(tally.unchanged.values())
    return Group(
        table,
        f"{tally.rows:,} rows: {inserted:,} inserted, {unchanged:,} unchanged, "
        f"{tally.rows / seconds:,.0f} rows/s",
    )
