"""How fast the demo generator makes records, and how much memory it holds.

Each run is a fresh process, so its peak resident memory is its own; its
CPU seconds tell the cost apart from waiting on a busy machine. The
baseline is the same generator at a tenth of the customers, measured in the
same invocation: a speed ratio near 1 means the cost grows linearly, and a
peak memory far below the records' size means events are never all held.

    .venv/bin/python bench/demo.py --customers 100000 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from datetime import date

END = date(2026, 1, 1)


def measure(customers: int) -> dict[str, float]:
    """Simulate and turn every record into a dict, as `saaslens demo` does before writing."""
    from saaslens.data.demo import Scenario, simulate
    from saaslens.data.ingestion.records import Kind

    started = time.perf_counter()
    business = simulate(Scenario(customers=customers, seed=1, end=END))
    simulated = time.perf_counter()
    rows = events = 0
    for kind, batch in business.batches(10_000):
        rows += len(batch)
        events += len(batch) if kind is Kind.EVENTS else 0
    finished = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "customers": customers,
        "events": events,
        "rows": rows,
        "simulate_s": simulated - started,
        "total_s": finished - started,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
    }


def in_fresh_process(customers: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", str(customers)]
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        raise SystemExit(finished.stderr)
    return json.loads(finished.stdout)  # type: ignore[no-any-return]


def median_run(customers: int, repeats: int) -> dict[str, float]:
    runs = [in_fresh_process(customers) for _ in range(repeats)]
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def report(label: str, run: dict[str, float]) -> None:
    print(
        f"{label:<9} {run['customers']:>9,.0f} customers  {run['events']:>11,.0f} events  "
        f"{run['total_s']:7.1f} s  ({run['simulate_s']:.1f} s simulating)  "
        f"{run['customers'] / run['total_s']:>8,.0f} customers/s  "
        f"{run['events'] / run['total_s']:>9,.0f} events/s  "
        f"{run['rows'] / run['total_s']:>9,.0f} rows/s  "
        f"{run['cpu_s']:.1f} s of CPU (with imports)  peak {run['peak_mb']:,.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        print(json.dumps(measure(arguments.child)))
        return
    baseline = median_run(max(arguments.customers // 10, 1), arguments.repeats)
    full = median_run(arguments.customers, arguments.repeats)
    print(f"medians of {arguments.repeats} runs, each in a fresh process")
    report("baseline", baseline)
    report("measured", full)
    speed = (full["rows"] / full["total_s"]) / (baseline["rows"] / baseline["total_s"])
    print(f"rows/s at {arguments.customers:,} customers vs a tenth of them: {speed:.2f}x")
    print(f"peak memory vs a tenth of them: {full['peak_mb'] / baseline['peak_mb']:.2f}x")


if __name__ == "__main__":
    main()
