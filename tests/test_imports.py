"""`saaslens import` as a user runs it: the real command in a subprocess, on real stores."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.config import load_settings
from saaslens.data.engine import create_engine, create_session_factory
from saaslens.data.ingestion import Kind, ingest
from saaslens.data.models import Customer, Event
from saaslens.data.state import data_version

SAASLENS = str(Path(sys.executable).parent / "saaslens")
Sessions = async_sessionmaker[AsyncSession]


def saaslens(url: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "SAASLENS_DATABASE_URL": url}
    return subprocess.run(
        [SAASLENS, *arguments], env=environment, capture_output=True, text=True, timeout=120
    )


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def customers_csv(path: Path, count: int) -> Path:
    rows = [[f"c{n}", f"Customer {n}", "us", "2024-01-01T00:00:00Z", ""] for n in range(count)]
    return write_csv(path, ["id", "name", "country", "created_at", "attributes"], rows)


def event(number: int, customer: str = "c0") -> dict[str, Any]:
    return {
        "id": f"e{number}",
        "customer_id": customer,
        "user_id": "u1",
        "name": "report.viewed",
        "occurred_at": "2024-03-01T10:00:00Z",
    }


async def seed_customers(url: str, count: int) -> None:
    """Customers for the events under test, stored without starting a process."""
    engine = create_engine(url)
    rows = [
        {"id": f"c{n}", "name": f"Customer {n}", "created_at": "2024-01-01"} for n in range(count)
    ]
    async with create_session_factory(engine)() as session:
        report = await ingest(session, Kind.CUSTOMERS, rows, load_settings(database_url=url))
    await engine.dispose()
    assert report.accepted


async def count(sessions: Sessions, model: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def last_line(output: str) -> str:
    return output.strip().splitlines()[-1]


async def test_import_of_csv_and_jsonl_files_and_its_rerun(
    store_url: str, sessions: Sessions, tmp_path: Path
) -> None:
    customers = customers_csv(tmp_path / "customers.csv", 3)
    events = write_jsonl(tmp_path / "events.jsonl", [event(n, f"c{n % 3}") for n in range(7)])

    first = saaslens(store_url, "import", "customers", str(customers))
    second = saaslens(store_url, "import", "events", str(events), "--batch-size", "3")
    again = saaslens(store_url, "import", "events", str(events), "--batch-size", "3")

    assert first.returncode == 0, first.stdout + first.stderr
    assert last_line(first.stdout).startswith("Imported: inserted 3, unchanged 0, ")
    assert last_line(second.stdout).startswith("Imported: inserted 7, unchanged 0, ")
    assert last_line(again.stdout).startswith("Imported: inserted 0, unchanged 7, ")
    assert last_line(again.stdout).endswith(" rows/s")
    assert await count(sessions, Event) == 7
    async with sessions() as session:
        # One version per committed batch (customers, then three event batches).
        assert await data_version(session) == 4


async def test_a_rejected_batch_stops_the_import_naming_file_lines(
    store_url: str, sessions: Sessions, tmp_path: Path
) -> None:
    await seed_customers(store_url, 1)
    rows = [[f"e{n}", "c0", "u1", "login", "2024-03-01T10:00:00Z", ""] for n in range(6)]
    rows[3][1] = "c404"  # file line 5: the header is line 1
    rows[4][4] = "soon"  # file line 6
    header = ["id", "customer_id", "user_id", "name", "occurred_at", "properties"]
    events = write_csv(tmp_path / "events.csv", header, rows)

    result = saaslens(store_url, "import", "events", str(events), "--batch-size", "2")

    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "line 5, customer_id: no customer with id 'c404' is stored"
    assert lines[1] == (
        "Rejected the batch on lines 4-5; nothing of it was written. "
        "2 rows were committed before it."
    )
    assert lines[2].startswith("Imported: inserted 2, unchanged 0, ")
    assert await count(sessions, Event) == 2


async def test_line_numbers_count_the_lines_of_multi_line_cells(
    store_url: str, sessions: Sessions, tmp_path: Path
) -> None:
    rows = [
        ["c1", "Two\nline name", "2024-01-01T00:00:00Z"],
        ["c2", "", "2024-01-01T00:00:00Z"],
    ]
    customers = write_csv(tmp_path / "customers.csv", ["id", "name", "created_at"], rows)

    result = saaslens(store_url, "import", "customers", str(customers))

    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == "line 4, name: Field required"
    assert await count(sessions, Customer) == 0


async def test_check_reports_every_bad_row_and_writes_nothing(
    store_url: str, sessions: Sessions, tmp_path: Path
) -> None:
    await seed_customers(store_url, 1)
    events = [event(n) for n in range(5)]
    events[2]["customer_id"] = "c9"
    # The same id with other content, in a later batch than the first e0: the
    # check sees earlier batches as the import would have stored them.
    events.append({**event(0), "name": "another name"})
    path = write_jsonl(tmp_path / "events.jsonl", events)
    with path.open("a") as handle:
        handle.write("{not json\n")

    bad = saaslens(store_url, "import", "events", str(path), "--check", "--batch-size", "2")
    good = saaslens(
        store_url,
        "import",
        "events",
        str(write_jsonl(tmp_path / "ok.jsonl", events[3:5])),
        "--check",
    )

    assert bad.returncode == 1
    assert bad.stdout.strip().splitlines() == [
        "line 3, customer_id: no customer with id 'c9' is stored",
        "line 6, id: 'e0' is already stored with different content",
        "line 7: not valid JSON: Expecting property name enclosed in double quotes at column 2",
        "The check found 3 bad rows; nothing was written.",
        bad.stdout.strip().splitlines()[-1],
    ]
    assert good.returncode == 0
    assert last_line(good.stdout).startswith("Checked: would have inserted 2, unchanged 0, ")
    assert await count(sessions, Event) == 0


def test_an_unknown_extension_needs_a_format(sqlite_store: str, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "events.txt", [event(1)])

    refused = saaslens(sqlite_store, "import", "events", str(path))
    told = saaslens(sqlite_store, "import", "events", str(path), "--format", "jsonl")

    assert refused.returncode == 2
    assert "give --format" in refused.stderr
    assert told.returncode == 1  # the file is read, and its customer is unknown
    assert "no customer with id 'c0'" in told.stdout


def events_file(path: Path, total: int) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "customer_id", "user_id", "name", "occurred_at"])
        for number in range(total):
            minute = f"{number % 60:02d}"
            writer.writerow([f"e{number}", "c0", "u1", "login", f"2024-03-01T10:{minute}:00Z"])
    return path


def stored_events(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        return int(connection.execute("SELECT count(*) FROM events").fetchone()[0])


@pytest.mark.slow
def test_a_killed_import_leaves_whole_batches_and_a_rerun_completes(
    sqlite_store: str, tmp_path: Path
) -> None:
    total, batch = 100_000, 1_000
    database = Path(sqlite_store.removeprefix("sqlite+aiosqlite:///"))
    asyncio.run(seed_customers(sqlite_store, 1))
    events = events_file(tmp_path / "events.csv", total)
    command = [SAASLENS, "import", "events", str(events), "--batch-size", str(batch)]
    environment = {**os.environ, "SAASLENS_DATABASE_URL": sqlite_store}

    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while stored_events(database) < 3 * batch and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = stored_events(database)
    rerun = saaslens(sqlite_store, "import", "events", str(events), "--batch-size", str(batch))

    assert process.returncode == -signal.SIGKILL
    assert 3 * batch <= killed_at < total
    assert killed_at % batch == 0
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert last_line(rerun.stdout).startswith(
        f"Imported: inserted {total - killed_at}, unchanged {killed_at}, "
    )
    assert stored_events(database) == total


def test_an_unmigrated_store_is_named_as_the_reason(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}"
    customers = customers_csv(tmp_path / "customers.csv", 1)

    result = saaslens(url, "import", "customers", str(customers))

    assert result.returncode == 1
    assert result.stdout.strip() == (
        "The store refused the import: no such table: store_state. "
        "Has `saaslens db upgrade` been run?"
    )
