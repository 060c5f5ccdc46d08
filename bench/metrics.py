"""Dashboard latency of the metrics API, next to DuckDB on the same data.

    .venv/bin/python bench/metrics.py [--customers 100000] [--rounds 3] [--warm 40]

Builds (once, kept under var/bench/) a SQLite store with the demo generator
and a DuckDB copy of the columns the metrics read, then in each round starts
the real API (uvicorn on loopback, a fresh process so its result cache is
empty) and times over HTTP:

- MRR movements, monthly, for the 24 months before the demo's end;
- the SaaS metrics series over the same months;
- DAU, WAU and MAU for each of the last 365 days.

The first request of a round is cold (computed), the next ones are warm
(cached). DuckDB runs the same computations in SQL on a fresh connection each
round. Prints medians, the cold ratio API / DuckDB (target <= 2), the warm
p95 (target <= 20 ms) and the API's peak RSS (target <= 1 GiB), and checks
that both sides found the same MRR and active users.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pandas as pd

from saaslens.auth.clock import system_clock
from saaslens.auth.roles import Role
from saaslens.auth.users import create_user
from saaslens.auth.viewers import session_scheme
from saaslens.config import load_settings
from saaslens.data.buckets import day_number, month_number
from saaslens.data.engine import create_engine, create_session_factory
from saaslens.data.migrate import upgrade

END = date(2026, 1, 1)
MONTHS = ("2024-01-01", "2025-12-31")
DAYS = ("2025-01-01", "2025-12-31")
STORES = Path("var/bench")

MOVEMENTS = """
query ($start: Date!, $end: Date!) {
  mrrMovements(range: {start: $start, end: $end}, granularity: MONTH) {
    series { periods { start mrr { amount } payingCustomers
      newBusiness { amount { amount } customers } expansion { amount { amount } customers }
      contraction { amount { amount } customers } churn { amount { amount } customers }
      reactivation { amount { amount } customers } } }
  }
}
"""

SAAS = """
query ($start: Date!, $end: Date!) {
  saasMetrics(range: {start: $start, end: $end}, granularity: MONTH) {
    series { periods { start mrr { amount } arr { amount } payingCustomers
      customerChurnRate { value lower upper } grossMrrChurnRate { value } nrr { value }
      grr { value } arpa { money { amount } } asp { money { amount } } ltv { money { amount } }
      quickRatio { value } trialToPaid { value } netRevenue { amount } } }
  }
}
"""

ENGAGEMENT = """
query ($start: Date!, $end: Date!) {
  engagement(range: {start: $start, end: $end}, granularity: DAY) {
    series { periods { start dau wau mau } }
  }
}
"""

DASHBOARD = {"mrr movements": (MOVEMENTS, MONTHS), "saas metrics": (SAAS, MONTHS)}
DASHBOARD["dau/wau/mau"] = (ENGAGEMENT, DAYS)


def run(*command: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "saaslens", *command], env=env, check=True)


def build_store(customers: int) -> Path:
    """The demo store for this size; generated through the ingester the first time."""
    path = STORES / f"metrics-{customers}.db"
    if path.exists():
        return path
    STORES.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.db")
    partial.unlink(missing_ok=True)
    env = {**os.environ, "SAASLENS_DATABASE_URL": f"sqlite+aiosqlite:///{partial}"}
    print(f"generating the demo store for {customers} customers (once) ...", flush=True)
    run("db", "upgrade", env=env)
    run("demo", "--customers", str(customers), "--end", END.isoformat(), env=env)
    # Fold the write-ahead log into the file, so renaming it leaves nothing behind.
    with closing(sqlite3.connect(partial)) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")
    partial.rename(path)
    return path


COPIED = {
    "subscription_changes": "id, subscription_id, customer_id, status, mrr, effective_at, "
    "day, month",
    "payments": "kind, amount, day, month",
    "events": "user_id, day",
}


def build_duckdb(store: Path) -> Path:
    """A DuckDB file holding the columns the dashboard reads, copied from SQLite."""
    path = store.with_suffix(".duckdb")
    if path.exists():
        return path
    print("copying the store into DuckDB (once) ...", flush=True)
    partial = path.with_suffix(".partial.duckdb")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(store)
    target = duckdb.connect(str(partial))
    for table, columns in COPIED.items():
        for number, chunk in enumerate(
            pd.read_sql_query(f"SELECT {columns} FROM {table}", source, chunksize=1_000_000)
        ):
            target.register("chunk", chunk)
            verb = f"CREATE TABLE {table} AS" if number == 0 else f"INSERT INTO {table}"
            target.execute(f"{verb} SELECT * FROM chunk")
            target.unregister("chunk")
    target.close()
    source.close()
    partial.rename(path)
    return path


# The movement rules of saaslens/data/queries/mrr.py, written for DuckDB.
DUCKDB_MOVEMENTS = """
WITH states AS (
  SELECT subscription_id, customer_id, {period} AS period,
         CASE WHEN status IN ('active', 'past_due') THEN mrr ELSE 0 END AS mrr,
         row_number() OVER (PARTITION BY subscription_id, {period}
                            ORDER BY effective_at DESC, id DESC) AS rank
  FROM subscription_changes WHERE day <= {last_day}
  QUALIFY rank = 1
), deltas AS (
  SELECT customer_id, period,
         mrr - coalesce(lag(mrr) OVER (PARTITION BY subscription_id ORDER BY period), 0) AS d
  FROM states
), steps AS (
  SELECT customer_id, period, sum(d) AS delta FROM deltas
  GROUP BY ALL HAVING sum(d) <> 0
), first_paid AS (
  SELECT customer_id, min({first_key}) AS period FROM (
    SELECT customer_id, day, month,
           CASE WHEN status IN ('active', 'past_due') THEN mrr ELSE 0 END AS mrr,
           row_number() OVER (PARTITION BY subscription_id, day
                              ORDER BY effective_at DESC, id DESC) AS rank
    FROM subscription_changes WHERE day <= {last_day} QUALIFY rank = 1
  ) WHERE mrr > 0 GROUP BY customer_id
), moves AS (
  SELECT s.period, s.delta,
         sum(s.delta) OVER (PARTITION BY s.customer_id ORDER BY s.period) AS mrr,
         f.period AS first_paid
  FROM steps s JOIN first_paid f USING (customer_id)
)
SELECT greatest(period, {first} - 1) AS period,
       CASE WHEN mrr - delta = 0 THEN
              CASE WHEN first_paid = period THEN 'new_business' ELSE 'reactivation' END
            WHEN mrr = 0 THEN 'churn'
            WHEN delta > 0 THEN 'expansion' ELSE 'contraction' END AS movement,
       count(*) AS customers, sum(delta) AS amount
FROM moves GROUP BY ALL ORDER BY 1
"""

DUCKDB_TRIALS = """
SELECT month AS period, count(*) AS trials, count(paid_at) AS converted FROM (
  SELECT min(effective_at) FILTER (status = 'trialing') AS trial_at,
         min(month) FILTER (status = 'trialing') AS month,
         min(effective_at) FILTER (status IN ('active', 'past_due') AND mrr > 0) AS paid,
         CASE WHEN paid > trial_at THEN paid END AS paid_at
  FROM subscription_changes WHERE day <= {last_day} GROUP BY subscription_id
) WHERE trial_at IS NOT NULL AND month >= {first} GROUP BY ALL
"""

DUCKDB_PAYMENTS = """
SELECT month AS period, sum(CASE WHEN kind = 'charge' THEN amount ELSE -amount END) AS net
FROM payments WHERE day BETWEEN {first_day} AND {last_day} GROUP BY ALL
"""

# The span counting of saaslens/data/queries/engagement.py, written for DuckDB;
# a range join of days to user-days gives the same numbers 20-70 times slower.
DUCKDB_ACTIVE_USERS = """
WITH user_days AS (
  SELECT DISTINCT user_id, day FROM events WHERE day BETWEEN {first_day} - 29 AND {last_day}
), spans AS (
  SELECT day, lead(day) OVER (PARTITION BY user_id ORDER BY day) AS next_day FROM user_days
), changes AS (
  SELECT day, 1 AS starts, 0 AS ends7, 0 AS ends30 FROM spans
  UNION ALL SELECT least(coalesce(next_day, day + 7), day + 7), 0, 1, 0 FROM spans
  UNION ALL SELECT least(coalesce(next_day, day + 30), day + 30), 0, 0, 1 FROM spans
), daily AS (
  SELECT day, sum(starts) AS starts, sum(ends7) AS ends7, sum(ends30) AS ends30
  FROM changes GROUP BY day
)
SELECT grid.day, coalesce(starts, 0) AS dau,
       sum(coalesce(starts, 0) - coalesce(ends7, 0)) OVER (ORDER BY grid.day) AS wau,
       sum(coalesce(starts, 0) - coalesce(ends30, 0)) OVER (ORDER BY grid.day) AS mau
FROM range({first_day} - 29, {last_day} + 1) AS grid(day) LEFT JOIN daily USING (day)
QUALIFY grid.day >= {first_day} ORDER BY grid.day
"""


def months_bounds() -> dict[str, int]:
    first, last = (date.fromisoformat(value) for value in MONTHS)
    return {"first": month_number(first), "last_day": day_number(last)}


def duckdb_dashboard(path: Path) -> dict[str, Callable[[], pd.DataFrame]]:
    connection = duckdb.connect(str(path), read_only=True)
    months = months_bounds()
    movements = DUCKDB_MOVEMENTS.format(period="month", first_key="month", **months)
    # The SaaS series also needs the 6 months before the range, for LTV.
    history = DUCKDB_MOVEMENTS.format(
        period="month", first_key="month", first=months["first"] - 6, last_day=months["last_day"]
    )
    first_day = day_number(date.fromisoformat(MONTHS[0]))
    trials = DUCKDB_TRIALS.format(**months)
    payments = DUCKDB_PAYMENTS.format(first_day=first_day, last_day=months["last_day"])
    days = [day_number(date.fromisoformat(value)) for value in DAYS]
    active = DUCKDB_ACTIVE_USERS.format(first_day=days[0], last_day=days[1])

    def saas() -> pd.DataFrame:
        connection.execute(trials).df()
        connection.execute(payments).df()
        return connection.execute(history).df()

    return {
        "mrr movements": lambda: connection.execute(movements).df(),
        "saas metrics": saas,
        "dau/wau/mau": lambda: connection.execute(active).df(),
    }


async def viewer_token(url: str) -> str:
    """A session token of a new viewer, the least role that reads every metric."""
    settings = load_settings(database_url=url)
    engine = create_engine(settings.database_url)
    async with create_session_factory(engine)() as db:
        now = system_clock()
        email = f"bench-{secrets.token_hex(4)}@example.com"
        viewer = await create_user(db, email, secrets.token_hex(16), Role.VIEWER, now)
        session = await session_scheme(settings).create(db, viewer.id, now)
        await db.commit()
    await engine.dispose()
    return session.token


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def api_process(
    store: Path, token: str, settings: dict[str, str] | None = None
) -> Iterator[tuple[httpx.Client, int]]:
    """The API served on loopback over `store`, with SAASLENS_* `settings` added."""
    port = free_port()
    env = {
        **os.environ,
        "SAASLENS_DATABASE_URL": f"sqlite+aiosqlite:///{store.resolve()}",
        "SAASLENS_LOG_LEVEL": "WARNING",
        **(settings or {}),
    }
    # As operators start it: `saaslens serve` also tunes the garbage collector.
    command = [sys.executable, "-m", "saaslens", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port)]
    with serving(command, env, port, {"authorization": f"Bearer {token}"}) as served:
        yield served


@contextmanager
def serving(
    command: list[str], env: dict[str, str], port: int, headers: dict[str, str]
) -> Iterator[tuple[httpx.Client, int]]:
    """Start a server process; yield a client once its /healthz answers, and its pid."""
    server = subprocess.Popen(command, env=env)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=600)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)
        yield client, server.pid
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=30)


def post(client: httpx.Client, document: str, bounds: tuple[str, str]) -> tuple[float, Any]:
    started = time.perf_counter()
    response = client.post(
        "/graphql", json={"query": document, "variables": {"start": bounds[0], "end": bounds[1]}}
    )
    elapsed = time.perf_counter() - started
    body = response.json()
    if "errors" in body:
        raise RuntimeError(body["errors"])
    return elapsed, body["data"]


def peak_rss(pid: int) -> int:
    """The process's high-water resident set, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise LookupError("no VmHWM")


def timed(call: Callable[[], pd.DataFrame]) -> tuple[float, pd.DataFrame]:
    started = time.perf_counter()
    frame = call()
    return time.perf_counter() - started, frame


def check_agreement(answers: dict[str, Any], frames: dict[str, pd.DataFrame]) -> None:
    """Both sides must have found the same MRR per month and the same active users."""
    periods = answers["mrr movements"]["mrrMovements"]["series"][0]["periods"]
    totals = frames["mrr movements"].groupby("period")["amount"].sum().cumsum()
    assert [period["mrr"]["amount"] for period in periods] == totals.iloc[1:].tolist()
    days = answers["dau/wau/mau"]["engagement"]["series"][0]["periods"]
    duck = frames["dau/wau/mau"]
    assert [(day["dau"], day["wau"], day["mau"]) for day in days] == list(
        duck[["dau", "wau", "mau"]].itertuples(index=False, name=None)
    )


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warm", type=int, default=40, help="warm requests per query")
    options = parser.parse_args()

    store = build_store(options.customers)
    url = f"sqlite+aiosqlite:///{store.resolve()}"
    upgrade(url)
    token = asyncio.run(viewer_token(url))
    duck_file = build_duckdb(store)
    with closing(sqlite3.connect(store)) as connection:
        events = connection.execute("SELECT count(*) FROM events").fetchone()[0]
    print(f"store: {store} ({options.customers} customers, {events} events)")

    cold: dict[str, list[float]] = {name: [] for name in DASHBOARD}
    warm: dict[str, list[float]] = {name: [] for name in DASHBOARD}
    duck: dict[str, list[float]] = {name: [] for name in DASHBOARD}
    rss: list[int] = []
    for _ in range(options.rounds):
        queries = duckdb_dashboard(duck_file)
        frames = {}
        for name, call in queries.items():
            seconds, frames[name] = timed(call)
            duck[name].append(seconds)
        with api_process(store, token) as (client, pid):
            answers = {}
            for name, (document, bounds) in DASHBOARD.items():
                seconds, answers[name] = post(client, document, bounds)
                cold[name].append(seconds)
            for name, (document, bounds) in DASHBOARD.items():
                warm[name] += [post(client, document, bounds)[0] for _ in range(options.warm)]
            rss.append(peak_rss(pid))
        check_agreement(answers, frames)

    print(f"\n{'query':<15}{'api cold':>10}{'duckdb':>10}{'ratio':>8}{'warm p95':>11}")
    for name in DASHBOARD:
        api, base = statistics.median(cold[name]), statistics.median(duck[name])
        print(
            f"{name:<15}{api * 1000:>8.0f}ms{base * 1000:>8.0f}ms{api / base:>8.2f}"
            f"{p95(warm[name]) * 1000:>9.1f}ms"
        )
    print(f"\nmedians of {options.rounds} rounds; targets: ratio <= 2, warm p95 <= 20 ms")
    print(f"API peak RSS: {max(rss) / 2**20:.0f} MiB (target <= 1024 MiB)")
    print("API and DuckDB agree on MRR per month and on DAU/WAU/MAU per day")


if __name__ == "__main__":
    main()
