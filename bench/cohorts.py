"""Cohort analyses over HTTP, next to DuckDB on the same data.

    .venv/bin/python bench/cohorts.py [--customers 100000] [--rounds 3] [--warm 40]

Builds (once, under var/bench/) a SQLite store with the demo generator and a
DuckDB copy of the columns the cohort queries read; then each round starts
the real API in a fresh process (empty result cache) and times over HTTP:

- monthly retention by signup, 12 cohorts over 12 periods;
- the weekly lifecycle over 52 weeks;
- a 3-step funnel (login, report viewed, export) within 14 days.

The first request of a round is cold, the next ones warm (cached). DuckDB
runs the same definitions in SQL on a fresh connection each round. Prints
medians, the cold ratio API / DuckDB (target <= 2) and the warm p95 (target
<= 20 ms), after checking that both sides found the same numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
from collections.abc import Callable
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from metrics import api_process, build_store, p95, post, timed, viewer_token

from saaslens.data.buckets import day_number, month_number
from saaslens.data.migrate import upgrade

MONTHS = ("2025-01-01", "2025-12-31")
WEEKS = ("2024-12-30", "2025-12-28")
FUNNEL_DAYS = ("2025-06-01", "2025-11-30")
STEPS = ("login", "report_viewed", "export")

RETENTION = """
query ($start: Date!, $end: Date!) {
  retention(range: {start: $start, end: $end}, granularity: MONTH, periods: 12) {
    series { cohorts { start members retained { numerator } } mean { value } }
  }
}
"""

LIFECYCLE = """
query ($start: Date!, $end: Date!) {
  lifecycle(range: {start: $start, end: $end}, granularity: WEEK) {
    series { periods { start new returning resurrecting dormant } }
  }
}
"""

FUNNEL = """
query ($start: Date!, $end: Date!) {
  funnel(range: {start: $start, end: $end}, steps: ["login", "report_viewed", "export"]) {
    series { steps { name members overall { value } medianSecondsFromPrevious } }
  }
}
"""

QUERIES = {
    "retention 12x12": (RETENTION, MONTHS),
    "lifecycle 52w": (LIFECYCLE, WEEKS),
    "funnel 3 steps": (FUNNEL, FUNNEL_DAYS),
}

COPIED = {
    "customers": "id, day, month",
    "events": "customer_id, name, day, occurred_at",
}

LOCAL_DATE = "(DATE '1970-01-01' + CAST({day} AS INTEGER))"
MONTH_OF = f"(year({LOCAL_DATE}) * 12 + month({LOCAL_DATE}) - 1)"

DUCKDB_RETENTION = """
WITH cohorts AS (
  SELECT id AS customer_id, month AS cohort FROM customers
  WHERE month BETWEEN {first} AND {last}
), activity AS (
  SELECT DISTINCT customer_id, {month} AS period FROM events
  WHERE day BETWEEN {first_day} AND {last_day}
)
SELECT cohort, period - cohort AS "offset", count(*) AS members
FROM cohorts JOIN activity USING (customer_id)
WHERE period >= cohort GROUP BY ALL
"""

DUCKDB_LIFECYCLE = """
WITH firsts AS (
  SELECT customer_id, (min(day) + 3) // 7 AS first_period FROM events
  WHERE day <= {last_day} GROUP BY customer_id
), active AS (
  SELECT DISTINCT customer_id, (day + 3) // 7 AS period FROM events
  WHERE day BETWEEN {before_day} AND {last_day}
), sequenced AS (
  SELECT period, first_period,
         lag(period) OVER (PARTITION BY customer_id ORDER BY period) AS previous,
         lead(period) OVER (PARTITION BY customer_id ORDER BY period) AS next
  FROM active JOIN firsts USING (customer_id)
)
SELECT period, CASE WHEN first_period = period THEN 'new'
                    WHEN previous = period - 1 THEN 'returning' ELSE 'resurrecting' END AS status,
       count(*) AS members
FROM sequenced WHERE period >= {first} GROUP BY ALL
UNION ALL
SELECT period + 1, 'dormant', count(*) FROM sequenced
WHERE (next IS NULL OR next > period + 1) AND period + 1 <= {last} GROUP BY ALL
"""

DUCKDB_FUNNEL = """
WITH steps AS (
  SELECT customer_id, name, epoch_ms(occurred_at) AS moment FROM events
  WHERE name IN ('login', 'report_viewed', 'export')
), entry AS (
  SELECT customer_id, min(epoch_ms(occurred_at)) AS t1 FROM events
  WHERE name = 'login' AND day BETWEEN {first_day} AND {last_day} GROUP BY customer_id
), second AS (
  SELECT e.customer_id, e.t1, min(s.moment) AS t2 FROM entry e LEFT JOIN steps s
    ON s.customer_id = e.customer_id AND s.name = 'report_viewed'
   AND s.moment >= e.t1 AND s.moment <= e.t1 + {window}
  GROUP BY ALL
), third AS (
  SELECT c.customer_id, c.t1, c.t2, min(s.moment) AS t3 FROM second c LEFT JOIN steps s
    ON s.customer_id = c.customer_id AND s.name = 'export'
   AND s.moment >= c.t2 AND s.moment <= c.t1 + {window}
  GROUP BY ALL
)
SELECT count(t1) AS entered, count(t2) AS viewed, count(t3) AS exported,
       median(t2 - t1) AS wait2, median(t3 - t2) AS wait3 FROM third
"""


def build_duckdb(store: Path) -> Path:
    path = store.with_suffix(".cohorts.duckdb")
    if path.exists():
        return path
    print("copying the store into DuckDB (once) ...", flush=True)
    partial = path.with_suffix(".partial.duckdb")
    partial.unlink(missing_ok=True)
    with closing(sqlite3.connect(store)) as source:
        target = duckdb.connect(str(partial))
        for table, columns in COPIED.items():
            chunks = pd.read_sql_query(f"SELECT {columns} FROM {table}", source, chunksize=10**6)
            for number, chunk in enumerate(chunks):
                if "occurred_at" in chunk:
                    chunk["occurred_at"] = pd.to_datetime(chunk["occurred_at"])
                target.register("chunk", chunk)
                verb = f"CREATE TABLE {table} AS" if number == 0 else f"INSERT INTO {table}"
                target.execute(f"{verb} SELECT * FROM chunk")
                target.unregister("chunk")
        target.close()
    partial.rename(path)
    return path


def days(bounds: tuple[str, str]) -> tuple[int, int]:
    first, last = (date.fromisoformat(value) for value in bounds)
    return day_number(first), day_number(last)


def duckdb_queries(path: Path) -> dict[str, Callable[[], pd.DataFrame]]:
    connection = duckdb.connect(str(path), read_only=True)
    first_day, last_day = days(MONTHS)
    months = [month_number(date.fromisoformat(value)) for value in MONTHS]
    retention = DUCKDB_RETENTION.format(
        first=months[0],
        last=months[1],
        first_day=first_day,
        last_day=last_day,
        month=MONTH_OF.format(day="day"),
    )
    week_days = days(WEEKS)
    weeks = [(day + 3) // 7 for day in week_days]
    lifecycle = DUCKDB_LIFECYCLE.format(
        first=weeks[0], last=weeks[1], before_day=week_days[0] - 7, last_day=week_days[1]
    )
    funnel_days = days(FUNNEL_DAYS)
    funnel = DUCKDB_FUNNEL.format(
        first_day=funnel_days[0], last_day=funnel_days[1], window=14 * 86_400_000
    )
    return {
        "retention 12x12": lambda: connection.execute(retention).df(),
        "lifecycle 52w": lambda: connection.execute(lifecycle).df(),
        "funnel 3 steps": lambda: connection.execute(funnel).df(),
    }


def check_agreement(answers: dict[str, Any], frames: dict[str, pd.DataFrame]) -> None:
    cohorts = answers["retention 12x12"]["retention"]["series"][0]["cohorts"]
    found = {
        (index, offset): cell["numerator"]
        for index, row in enumerate(cohorts)
        for offset, cell in enumerate(row["retained"])
        if cell is not None and cell["numerator"]
    }
    duck = frames["retention 12x12"]
    first = int(duck["cohort"].min()) if len(duck) else 0
    expected = {
        (int(row.cohort) - first, int(row.offset)): int(row.members)
        for row in duck.itertuples()
        if int(row.offset) < 12
    }
    assert found == expected, "retention differs"
    periods = answers["lifecycle 52w"]["lifecycle"]["series"][0]["periods"]
    totals = frames["lifecycle 52w"].groupby("status")["members"].sum()
    for status in ("new", "returning", "resurrecting", "dormant"):
        assert abs(sum(period[status] for period in periods)) == totals.get(status, 0), status
    steps = answers["funnel 3 steps"]["funnel"]["series"][0]["steps"]
    row = frames["funnel 3 steps"].iloc[0]
    assert [step["members"] for step in steps] == [row.entered, row.viewed, row.exported]


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

    cold: dict[str, list[float]] = {name: [] for name in QUERIES}
    warm: dict[str, list[float]] = {name: [] for name in QUERIES}
    duck: dict[str, list[float]] = {name: [] for name in QUERIES}
    for _ in range(options.rounds):
        frames = {}
        for name, call in duckdb_queries(duck_file).items():
            seconds, frames[name] = timed(call)
            duck[name].append(seconds)
        with api_process(store, token) as (client, _):
            answers = {}
            for name, (document, bounds) in QUERIES.items():
                seconds, answers[name] = post(client, document, bounds)
                cold[name].append(seconds)
            for name, (document, bounds) in QUERIES.items():
                warm[name] += [post(client, document, bounds)[0] for _ in range(options.warm)]
        check_agreement(answers, frames)

    print(f"\n{'query':<17}{'api cold':>10}{'duckdb':>10}{'ratio':>8}{'warm p95':>11}")
    for name in QUERIES:
        api, base = statistics.median(cold[name]), statistics.median(duck[name])
        print(
            f"{name:<17}{api * 1000:>8.0f}ms{base * 1000:>8.0f}ms{api / base:>8.2f}"
            f"{p95(warm[name]) * 1000:>9.1f}ms"
        )
    print(f"\nmedians of {options.rounds} rounds; targets: ratio <= 2, warm p95 <= 20 ms")
    print("API and DuckDB agree on retention, lifecycle totals and funnel steps")


if __name__ == "__main__":
    main()
