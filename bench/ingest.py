"""How fast events go in: `saaslens import` on SQLite and PostgreSQL, and GraphQL.

Generates an events file (and the customers it refers to), then times each
path end to end as a user runs it, a median of several runs, next to a
baseline measured in the same run on the same machine: a raw executemany of
the same rows through the bare driver, without validation or any of saaslens.

    .venv/bin/python bench/ingest.py --events 500000 --runs 3 \\
        --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/saaslens_bench

Targets: 50,000 events/s for the import on SQLite, 10,000 events/s through
GraphQL mutations of 1,000 events.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

BIN = Path(sys.executable).parent
SAASLENS = str(BIN / "saaslens")
EVENT_COLUMNS = ["id", "customer_id", "user_id", "name", "occurred_at", "properties"]
EVENT_NAMES = ["session.started", "report.viewed", "export.created", "invite.sent", "search"]
GRAPHQL_BATCH = 1000


def write_files(folder: Path, events: int, customers: int, seed: int) -> tuple[Path, Path]:
    rng = random.Random(seed)
    customer_file = folder / "customers.csv"
    with customer_file.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "country", "created_at"])
        for number in range(customers):
            writer.writerow([f"c{number}", f"Customer {number}", "US", "2023-06-01T00:00:00Z"])
    event_file = folder / "events.csv"
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with event_file.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(EVENT_COLUMNS)
        for number in range(events):
            customer = rng.randrange(customers)
            moment = start + timedelta(seconds=rng.randrange(365 * 86400))
            properties = json.dumps({"plan": "pro", "page": rng.randrange(20)})
            writer.writerow(
                [
                    f"ev{number}",
                    f"c{customer}",
                    f"u{customer}-{rng.randrange(5)}",
                    rng.choice(EVENT_NAMES),
                    moment.isoformat(),
                    properties if number % 3 == 0 else "",
                ]
            )
    return customer_file, event_file


def event_rows(event_file: Path) -> Iterator[dict[str, str]]:
    with event_file.open(newline="") as handle:
        yield from csv.DictReader(handle)


def saaslens(url: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "SAASLENS_DATABASE_URL": url}
    return subprocess.run(
        [SAASLENS, *arguments], env=environment, capture_output=True, text=True, check=True
    )


def fresh_store(url: str) -> None:
    """An empty, migrated store: a new SQLite file, or PostgreSQL's tables emptied."""
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite+aiosqlite:///"))
        for leftover in (
            path,
            path.with_name(path.name + "-wal"),
            path.with_name(path.name + "-shm"),
        ):
            leftover.unlink(missing_ok=True)
    saaslens(url, "db", "upgrade")
    if url.startswith("postgresql"):
        asyncio.run(_truncate_postgres(url))


async def _truncate_postgres(url: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    await connection.execute("TRUNCATE events, customers CASCADE")
    await connection.close()


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def time_import(url: str, customer_file: Path, event_file: Path, events: int) -> float:
    """Rows per second of `saaslens import events`, process start to exit."""
    fresh_store(url)
    saaslens(url, "import", "customers", str(customer_file))
    started = time.perf_counter()
    saaslens(url, "import", "events", str(event_file))
    return events / (time.perf_counter() - started)


def raw_sqlite(path: Path, event_file: Path, events: int, batch: int) -> float:
    """Rows per second of sqlite3 executemany of the file's rows, committed per batch."""
    fresh_store(sqlite_url(path))
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    statement = (
        "INSERT INTO events (id, customer_id, user_id, name, occurred_at, day, properties,"
        " fingerprint) VALUES (?, ?, ?, ?, ?, 0, ?, 0)"
    )
    started = time.perf_counter()
    for chunk in _chunks(event_rows(event_file), batch):
        values = [
            (
                row["id"],
                row["customer_id"],
                row["user_id"],
                row["name"],
                row["occurred_at"],
                row["properties"] or "{}",
            )
            for row in chunk
        ]
        connection.executemany(statement, values)
        connection.commit()
    elapsed = time.perf_counter() - started
    connection.close()
    return events / elapsed


def raw_postgres(url: str, event_file: Path, events: int, batch: int) -> float:
    """Rows per second of asyncpg executemany of the file's rows, committed per batch."""
    fresh_store(url)
    return asyncio.run(_raw_postgres(url, event_file, events, batch))


async def _raw_postgres(url: str, event_file: Path, events: int, batch: int) -> float:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    statement = (
        "INSERT INTO events (id, customer_id, user_id, name, occurred_at, day, properties,"
        " fingerprint) VALUES ($1, $2, $3, $4, $5, 0, $6, 0)"
    )
    started = time.perf_counter()
    for chunk in _chunks(event_rows(event_file), batch):
        values = [
            (
                row["id"],
                row["customer_id"],
                row["user_id"],
                row["name"],
                datetime.fromisoformat(row["occurred_at"]),
                row["properties"] or "{}",
            )
            for row in chunk
        ]
        async with connection.transaction():
            await connection.executemany(statement, values)
    elapsed = time.perf_counter() - started
    await connection.close()
    return events / elapsed


def _chunks(rows: Iterator[dict[str, str]], size: int) -> Iterator[list[dict[str, str]]]:
    chunk: list[dict[str, str]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


MUTATION = """
mutation Ingest($records: [EventInput!]!) {
  ingestEvents(records: $records) {
    __typename
    ... on IngestionAccepted { inserted unchanged dataVersion }
    ... on IngestionRejected { errors { index field reason } }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def time_graphql(path: Path, customer_file: Path, event_file: Path, events: int) -> float:
    """Rows per second of ingestEvents mutations of 1,000 events to a real server."""
    url = sqlite_url(path)
    fresh_store(url)
    saaslens(url, "import", "customers", str(customer_file))
    port = _free_port()
    environment = {
        **os.environ,
        "SAASLENS_DATABASE_URL": url,
        "SAASLENS_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [SAASLENS, "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            _wait_until_up(client)
            client.headers["authorization"] = f"Bearer {_sign_in_as_admin(url, client)}"
            return events / _post_batches(client, event_file)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_up(client: httpx.Client) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


ADMIN_EMAIL = "bench@example.com"
ADMIN_PASSWORD = "a long benchmark password"
SIGN_IN = """
mutation ($email: String!, $password: String!) {
  signIn(email: $email, password: $password, bearer: true) { ... on SignedIn { token } }
}
"""


def _sign_in_as_admin(url: str, client: httpx.Client) -> str:
    """An admin's session token: ingestion needs the admin role."""
    command = ["users", "create", "--email", ADMIN_EMAIL, "--role", "admin", "--password-stdin"]
    subprocess.run(
        [SAASLENS, *command],
        input=ADMIN_PASSWORD + "\n",
        env={**os.environ, "SAASLENS_DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=True,
    )
    variables = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    answer = client.post("/graphql", json={"query": SIGN_IN, "variables": variables}).json()
    return str(answer["data"]["signIn"]["token"])


def _post_batches(client: httpx.Client, event_file: Path) -> float:
    bodies = [
        json.dumps({"query": MUTATION, "variables": {"records": _event_inputs(chunk)}})
        for chunk in _chunks(event_rows(event_file), GRAPHQL_BATCH)
    ]
    headers = {"content-type": "application/json"}
    started = time.perf_counter()
    for body in bodies:
        response = client.post("/graphql", content=body, headers=headers)
        outcome = response.json()["data"]["ingestEvents"]
        if outcome["__typename"] != "IngestionAccepted":
            raise RuntimeError(f"a batch was rejected: {outcome}")
    return time.perf_counter() - started


def _event_inputs(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [
        {
            "id": row["id"],
            "customerId": row["customer_id"],
            "userId": row["user_id"],
            "name": row["name"],
            "occurredAt": row["occurred_at"],
            "properties": json.loads(row["properties"]) if row["properties"] else None,
        }
        for row in rows
    ]


def median_of(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


def report(name: str, rate: float, baseline: float, target: float | None) -> None:
    verdict = "" if target is None else ("  meets" if rate >= target else "  MISSES")
    goal = "" if target is None else f"  target {target:>8,.0f}{verdict}"
    print(
        f"{name:<34} {rate:>10,.0f} rows/s   baseline {baseline:>10,.0f}"
        f"   ratio {rate / baseline:5.2f}{goal}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("SAASLENS_BENCH_POSTGRES_URL"),
        help="postgresql+asyncpg:// URL of a database this benchmark may empty",
    )
    parser.add_argument("--skip-graphql", action="store_true")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="saaslens-bench-") as scratch:
        folder = Path(scratch)
        customer_file, event_file = write_files(
            folder, arguments.events, arguments.customers, arguments.seed
        )
        events, runs, batch = arguments.events, arguments.runs, arguments.batch_size
        print(f"{events:,} events, {arguments.customers:,} customers, median of {runs} runs")
        database = folder / "bench.db"

        baseline = median_of(runs, lambda: raw_sqlite(database, event_file, events, batch))
        imported = median_of(
            runs, lambda: time_import(sqlite_url(database), customer_file, event_file, events)
        )
        report("saaslens import events (SQLite)", imported, baseline, 50_000)

        if arguments.postgres:
            url = arguments.postgres
            pg_baseline = median_of(runs, lambda: raw_postgres(url, event_file, events, batch))
            pg_imported = median_of(
                runs, lambda: time_import(url, customer_file, event_file, events)
            )
            report("saaslens import events (PostgreSQL)", pg_imported, pg_baseline, None)

        if not arguments.skip_graphql:
            through_api = median_of(
                runs, lambda: time_graphql(database, customer_file, event_file, events)
            )
            report("GraphQL ingestEvents x1,000 (SQLite)", through_api, baseline, 10_000)


if __name__ == "__main__":
    main()
