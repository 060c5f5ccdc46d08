"""Automation benchmarks, each printed beside a baseline measured in the same run.

Executors: the end-to-end cost of running an empty script (targets: at most
150 ms in a subprocess, 2 s in Docker), against starting the bare sandbox
with nothing of ours around it: `python -I -c pass` as a plain child process,
and a plain `docker run --rm` of the sandbox image through the same client.

Subscriptions: p95 latency from a state change to a subscriber of the
execution feed, which re-reads the execution from the store as the API does
(targets: at most 50 ms in process on SQLite, 200 ms through PostgreSQL
LISTEN/NOTIFY), against a bare asyncio.Queue hand-off and a bare NOTIFY
round trip between two asyncpg connections.

    .venv/bin/python bench/automation.py [--runs 20] [--changes 200] \\
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/saaslens_bench]

Run it as root (the subprocess sandbox leases user ids) with a Docker engine
and the image from `make sandbox-image`; without an engine the Docker rows
say why they are missing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import docker
import docker.errors
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.automation import executions, scripts, updates
from saaslens.automation.eventbrokers import broker_for
from saaslens.automation.eventbrokers.abc import EventBroker, ExecutionChanged
from saaslens.automation.eventbrokers.postgresql import asyncpg_dsn
from saaslens.automation.executors.abc import Executor, RunState, ScriptRun, Stream
from saaslens.automation.executors.docker import DockerExecutor
from saaslens.automation.executors.subprocess import SubprocessExecutor
from saaslens.config import load_settings
from saaslens.data.engine import create_engine, create_session_factory
from saaslens.data.migrate import upgrade

Timed = Callable[[], Awaitable[None]]


async def medians_ms(measured: Timed, baseline: Timed, runs: int) -> tuple[float, float]:
    """Median wall times of both, after a warm-up of each.

    The two alternate, so a neighbour's load on this shared machine weighs on
    both alike instead of on whichever happened to run at the time.
    """
    await measured()
    await baseline()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for action, samples in zip((measured, baseline), times, strict=True):
            started = time.perf_counter()
            await action()
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


def empty_run(executor: Executor) -> Timed:
    async def ignore(stream: Stream, line: str) -> None:
        return None

    async def run() -> None:
        outcome = await executor.run(ScriptRun(""), ignore)
        assert outcome.state is RunState.SUCCEEDED, outcome

    return run


def bare_python(python: str) -> Timed:
    async def run() -> None:
        child = await asyncio.create_subprocess_exec(python, "-I", "-c", "pass")
        assert await child.wait() == 0

    return run


def bare_container(client: docker.DockerClient, image: str) -> Timed:
    # Without a network, as the executor runs it: the engine then skips
    # building a network namespace, which otherwise takes half the start.
    def run_container() -> None:
        command = ["python3", "-I", "-c", "pass"]
        client.containers.run(
            image, command, remove=True, network_mode="none", network_disabled=True
        )

    async def run() -> None:
        await asyncio.to_thread(run_container)

    return run


def report(name: str, measured: float, baseline: float, target: float) -> None:
    verdict = "meets" if measured <= target else "MISSES"
    print(
        f"{name:<22} {measured:8.1f} ms   baseline {baseline:8.1f} ms   "
        f"ratio {measured / baseline:5.2f}   overhead {measured - baseline:7.1f} ms   "
        f"{verdict} target {target:.0f} ms"
    )


async def executors(runs: int) -> None:
    settings = load_settings()
    print(f"executors: median of {runs} runs of an empty script")

    executor = SubprocessExecutor(settings.sandbox_python)
    python = bare_python(settings.sandbox_python)
    report("subprocess executor", *await medians_ms(empty_run(executor), python, runs), 150)

    try:
        client = docker.from_env()
        client.images.get(settings.sandbox_image)
    except docker.errors.DockerException as error:
        print(f"docker executor        skipped: {error}")
        return
    sandbox = DockerExecutor(settings.sandbox_image, settings.docker_host)
    container = bare_container(client, settings.sandbox_image)
    report("docker executor", *await medians_ms(empty_run(sandbox), container, runs), 2000)


# Subscriptions: from a state change to the subscriber that sees it.


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18]


def report_latency(name: str, measured: list[float], baseline: list[float], target: float) -> None:
    verdict = "meets" if p95(measured) <= target else "MISSES"
    print(
        f"{name:<22} p95 {p95(measured):7.2f} ms (median {statistics.median(measured):6.2f})   "
        f"baseline p95 {p95(baseline):7.2f} ms   ratio {p95(measured) / p95(baseline):6.1f}   "
        f"{verdict} target {target:.0f} ms"
    )


async def queue_handoff(changes: int) -> list[float]:
    """The floor in one process: one task hands a timestamp to another."""
    handoff: asyncio.Queue[float] = asyncio.Queue()
    latencies = []
    for _ in range(changes):
        waiting = asyncio.ensure_future(handoff.get())
        started = time.perf_counter()
        handoff.put_nowait(started)
        await waiting
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def notify_round_trip(url: str, changes: int) -> list[float]:
    """The floor across processes: NOTIFY on one connection, heard on another."""
    heard: asyncio.Queue[float] = asyncio.Queue()
    listener = await asyncpg.connect(asyncpg_dsn(url))
    sender = await asyncpg.connect(asyncpg_dsn(url))
    await listener.add_listener("bench", lambda *_: heard.put_nowait(time.perf_counter()))
    latencies = []
    try:
        for _ in range(changes):
            started = time.perf_counter()
            await sender.execute("SELECT pg_notify('bench', '1')")
            latencies.append((await heard.get() - started) * 1000)
    finally:
        await listener.close()
        await sender.close()
    return latencies


async def one_execution(sessions: async_sessionmaker[AsyncSession]) -> ExecutionChanged:
    async with sessions() as session:
        stored = await scripts.create(session, "", scripts.ScriptSettings(name="bench"))
        row = await executions.enqueue(session, stored, {}, None, "manual", None)
    return ExecutionChanged(row.id, row.script_id, "RUNNING", 2, 0)


async def feed_latency(url: str, changes: int) -> list[float]:
    """Publish a state change as the engine does; time it to the feed subscriber."""
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    broker = broker_for(url)
    await broker.start()
    change = await one_execution(sessions)
    seen: asyncio.Queue[float] = asyncio.Queue()

    async def watch() -> None:
        async for _ in updates.feed(sessions, broker):
            seen.put_nowait(time.perf_counter())

    watcher = asyncio.create_task(watch())
    try:
        await _until_heard(broker, change, seen)
        return [await _one_change(broker, change, seen) for _ in range(changes)]
    finally:
        watcher.cancel()
        await broker.stop()
        await engine.dispose()


async def _until_heard(
    broker: EventBroker, change: ExecutionChanged, seen: asyncio.Queue[float]
) -> None:
    # A PostgreSQL listener connects in the background; publish until it hears.
    for _ in range(100):
        await broker.publish(change)
        try:
            async with asyncio.timeout(0.2):
                await seen.get()
            break
        except TimeoutError:
            continue
    await asyncio.sleep(0.3)
    while not seen.empty():
        seen.get_nowait()


async def _one_change(
    broker: EventBroker, change: ExecutionChanged, seen: asyncio.Queue[float]
) -> float:
    started = time.perf_counter()
    await broker.publish(change)
    return (await seen.get() - started) * 1000


async def subscriptions(changes: int, postgres: str | None) -> None:
    print(f"subscriptions: {changes} state changes, one at a time")
    with tempfile.TemporaryDirectory() as folder:
        sqlite = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        local = await feed_latency(sqlite, changes)
    report_latency("in process (SQLite)", local, await queue_handoff(changes), 50)
    if postgres is None:
        print("through PostgreSQL     skipped: give --postgres URL")
        return
    through = await feed_latency(postgres, changes)
    report_latency("through PostgreSQL", through, await notify_round_trip(postgres, changes), 200)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--postgres", help="a PostgreSQL database for the cross-process rows")
    parser.add_argument("--part", choices=["all", "executors", "subscriptions"], default="all")
    arguments = parser.parse_args()
    if arguments.part in ("all", "executors"):
        asyncio.run(executors(arguments.runs))
    if arguments.part in ("all", "subscriptions"):
        asyncio.run(subscriptions(arguments.changes, arguments.postgres))


if __name__ == "__main__":
    main()
