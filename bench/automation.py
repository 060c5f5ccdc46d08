"""Automation benchmarks, each printed beside a baseline measured in the same run.

Executors: the end-to-end cost of running an empty script (targets: at most
150 ms in a subprocess, 2 s in Docker), against starting the bare sandbox
with nothing of ours around it: `python -I -c pass` as a plain child process,
and a plain `docker run --rm` of the sandbox image through the same client.

    .venv/bin/python bench/automation.py [--runs 20]

Run it as root (the subprocess sandbox leases user ids) with a Docker engine
and the image from `make sandbox-image`; without an engine the Docker rows
say why they are missing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

import docker
import docker.errors

from saaslens.automation.executors.abc import Executor, RunState, ScriptRun, Stream
from saaslens.automation.executors.docker import DockerExecutor
from saaslens.automation.executors.subprocess import SubprocessExecutor
from saaslens.config import load_settings

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    arguments = parser.parse_args()
    asyncio.run(executors(arguments.runs))


if __name__ == "__main__":
    main()
