"""Many clients at once against one API process: latency per kind, and errors.

    .venv/bin/python bench/load.py [--customers 2000] [--clients 100] [--seconds 60]

Copies the demo store for `--customers` (built once under var/bench/) so
the run's ingestion leaves it unchanged, starts the API under uvicorn on
loopback, and runs `--clients` clients for `--seconds`, each in a loop:

- most send dashboard queries, a kind at random: MRR movements and the SaaS
  metrics over 24 months, a page of 50 customers from a random point,
  monthly retention over a year; between two they pause a random time,
  `--think` seconds on average, as a person reading a dashboard does;
- one in ten sends a batch of `--batch` product events every
  `--ingest-every` seconds, so the data version moves and cached dashboard
  results go stale, to be computed again;
- one in ten holds a socket (graphql-transport-ws) subscribed to the data
  version: its latency is from subscribing to the first version, and each
  later version it receives counts as a delivery.

Prints p50, p95 and p99 per kind, the errors with the first few seen, and
the machine's load. Target: no errors at 100 clients for 60 s, p99 <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import websockets
from auth import credentials
from cohorts import RETENTION
from metrics import MONTHS, MOVEMENTS, SAAS, api_process, build_store

from saaslens.config import load_settings
from saaslens.data.migrate import upgrade
from saaslens.schema.connections import encode_cursor

CUSTOMERS = """
query ($after: String) {
  customers(first: 50, after: $after) {
    totalCount edges { node { id name country segment createdAt } }
  }
}
"""
INGEST = """
mutation ($records: [EventInput!]!) {
  ingestEvents(records: $records) {
    __typename ... on IngestionRejected { errors { index field reason } }
  }
}
"""
MONTH_RANGE = {"start": MONTHS[0], "end": MONTHS[1]}
YEAR_RANGE = {"start": "2025-01-01", "end": "2025-12-31"}
DASHBOARD = {
    "mrrMovements": (MOVEMENTS, MONTH_RANGE),
    "saasMetrics": (SAAS, MONTH_RANGE),
    "retention": (RETENTION, YEAR_RANGE),
}


@dataclass
class Tally:
    """Latencies per kind, deliveries and errors of the whole run."""

    latencies: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    deliveries: int = 0

    def fail(self, kind: str, reason: object) -> None:
        self.errors[kind].append(str(reason)[:200])


def dashboard_body(kind: str, customers: int) -> dict[str, Any]:
    if kind == "customers":
        after = encode_cursor(f"cus_{random.randrange(1, customers):06}")
        return {"query": CUSTOMERS, "variables": {"after": after}}
    document, variables = DASHBOARD[kind]
    return {"query": document, "variables": variables}


def events_body(size: int, customers: int) -> dict[str, Any]:
    """A batch of new product events from existing customers' users."""
    now = datetime.now(UTC).isoformat()
    records = [
        {
            "id": f"load-{secrets.token_hex(8)}",
            "customerId": f"cus_{number:06}",
            "userId": f"load-user-{number}",
            "name": "report_viewed",
            "occurredAt": now,
        }
        for number in random.sample(range(1, customers + 1), size)
    ]
    return {"query": INGEST, "variables": {"records": records}}


async def post(client: httpx.AsyncClient, kind: str, body: dict[str, Any], tally: Tally) -> None:
    started = time.perf_counter()
    try:
        response = await client.post("/graphql", json=body)
        answer = response.json()
    except (httpx.HTTPError, ValueError) as error:
        tally.fail(kind, repr(error))
        return
    tally.latencies[kind].append(time.perf_counter() - started)
    if response.status_code != 200 or "errors" in answer:
        tally.fail(kind, answer.get("errors", response.status_code))
    elif "IngestionRejected" in json.dumps(answer):
        tally.fail(kind, answer)


async def dashboard_client(
    client: httpx.AsyncClient, deadline: float, options: argparse.Namespace, tally: Tally
) -> None:
    while time.perf_counter() < deadline:
        kind = random.choice(["customers", *DASHBOARD])
        await post(client, kind, dashboard_body(kind, options.customers), tally)
        await asyncio.sleep(random.uniform(0, 2 * options.think))


async def ingesting_client(
    client: httpx.AsyncClient, deadline: float, options: argparse.Namespace, tally: Tally
) -> None:
    batch, every, customers = options.batch, options.ingest_every, options.customers
    # Spread the ingesting clients over the interval rather than all at once.
    await asyncio.sleep(random.uniform(0, every))
    while time.perf_counter() < deadline:
        await post(client, "ingestEvents", events_body(batch, customers), tally)
        await asyncio.sleep(every)


async def subscribing_client(url: str, token: str, deadline: float, tally: Tally) -> None:
    """One socket after another, each subscribed to the data version for a while."""
    while time.perf_counter() < deadline:
        try:
            await subscription(url, token, min(deadline, time.perf_counter() + 15), tally)
        except (OSError, websockets.WebSocketException, RuntimeError) as error:
            tally.fail("dataVersion", repr(error))


async def subscription(url: str, token: str, until: float, tally: Tally) -> None:
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as socket:
        started = time.perf_counter()
        await socket.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
        if json.loads(await socket.recv())["type"] != "connection_ack":
            raise RuntimeError("connection not acknowledged")
        subscribe = {"query": "subscription { dataVersion }"}
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
        first = True
        while (left := until - time.perf_counter()) > 0:
            try:
                message = json.loads(await asyncio.wait_for(socket.recv(), left))
            except TimeoutError:
                break
            if message["type"] != "next" or "errors" in message["payload"]:
                raise RuntimeError(message)
            if first:
                tally.latencies["dataVersion"].append(time.perf_counter() - started)
                first = False
            else:
                tally.deliveries += 1
        await socket.send(json.dumps({"id": "1", "type": "complete"}))


async def run(port: int, token: str, options: argparse.Namespace) -> Tally:
    tally = Tally()
    deadline = time.perf_counter() + options.seconds
    limits = httpx.Limits(max_connections=options.clients)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}",
        headers={"authorization": f"Bearer {token}"},
        timeout=60,
        limits=limits,
    ) as client:
        clients = []
        for number in range(options.clients):
            if number % 10 == 1:
                clients.append(ingesting_client(client, deadline, options, tally))
            elif number % 10 == 2:
                url = f"ws://127.0.0.1:{port}/graphql"
                clients.append(subscribing_client(url, token, deadline, tally))
            else:
                clients.append(dashboard_client(client, deadline, options, tally))
        await asyncio.gather(*clients)
    return tally


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(tally: Tally, options: argparse.Namespace, load: tuple[float, float]) -> None:
    print(
        f"\n{options.clients} clients for {options.seconds:g} s on {options.customers} customers"
    )
    print(f"load average before {load[0]:.1f}, after {load[1]:.1f} on {os.cpu_count()} cores")
    print(f"{'kind':<14}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for kind, values in sorted(tally.latencies.items()):
        print(
            f"{kind:<14}{len(values):>8}{statistics.median(values) * 1000:>10.1f}"
            f"{percentile(values, 0.95) * 1000:>10.1f}{percentile(values, 0.99) * 1000:>10.1f}"
            f"{len(tally.errors[kind]):>8}"
        )
    every = [value for values in tally.latencies.values() for value in values]
    errors = sum(len(reasons) for reasons in tally.errors.values())
    print(
        f"{'all':<14}{len(every):>8}{statistics.median(every) * 1000:>10.1f}"
        f"{percentile(every, 0.95) * 1000:>10.1f}{percentile(every, 0.99) * 1000:>10.1f}"
        f"{errors:>8}"
    )
    print(f"data version deliveries to subscribers: {tally.deliveries}")
    for kind, reasons in tally.errors.items():
        for reason in reasons[:3]:
            print(f"  error in {kind}: {reason}")
    print("target: no errors, p99 <= 1000 ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--batch", type=int, default=50, help="events per ingestion")
    parser.add_argument(
        "--ingest-every", type=float, default=30.0, help="seconds between one client's batches"
    )
    parser.add_argument(
        "--think", type=float, default=2.0, help="mean pause of a client between requests, s"
    )
    options = parser.parse_args()

    built = build_store(options.customers)
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / built.name
        shutil.copyfile(built, store)
        url = f"sqlite+aiosqlite:///{store}"
        upgrade(url)
        email = f"load-{secrets.token_hex(4)}@example.com"
        token, _ = asyncio.run(credentials(load_settings(database_url=url), email))
        with api_process(store, token) as (client, _pid):
            port = client.base_url.port or 80
            before = os.getloadavg()[0]
            tally = asyncio.run(run(port, token, options))
            after = os.getloadavg()[0]
    report(tally, options, (before, after))


if __name__ == "__main__":
    main()
