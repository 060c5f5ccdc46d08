"""Running a script as a child process of ours, fenced in by the kernel.

The child runs ``python -I -u`` in a fresh temporary directory with a
scrubbed environment, in a session of its own, under resource limits. When
we are root it also runs under a user id of its own, leased from a pool for
the length of the run: that makes the process cap real (the kernel counts
processes per user and never caps root) and lets us kill every process of
that user at the end, including any that left the process group.

This sandbox does not hide the file system: the script can read whatever is
readable by everyone on this machine. Use the Docker executor where that
matters.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import resource
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from saaslens.automation.executors._lines import OutputRelay
from saaslens.automation.executors._outcomes import Ending, conclude
from saaslens.automation.executors.abc import (
    INPUT_VARIABLE,
    RESULT_VARIABLE,
    Executor,
    Limits,
    Outcome,
    OutputSink,
    ScriptRun,
    Stream,
)

logger = logging.getLogger(__name__)

MB = 1024 * 1024
SEARCH_PATH = "/usr/local/bin:/usr/bin:/bin"
# Unassigned on common distributions, and far from the ids people get.
DEFAULT_UIDS = range(64_000, 64_064)
# How long output may keep coming once every process of the run is dead.
DRAIN_SECONDS = 2.0


class NoFreeUser(RuntimeError):
    """Every sandbox user id is busy with another run."""


@dataclass(frozen=True, slots=True)
class WorkDir:
    path: Path
    script: Path
    input: Path
    result: Path


class SubprocessExecutor(Executor):
    def __init__(self, python: str = "/usr/bin/python3", uids: range = DEFAULT_UIDS) -> None:
        """`python` must be executable by the sandbox users, so not under /root."""
        self._python = python
        self._uids = UserPool(uids) if os.geteuid() == 0 else None

    async def run(self, script: ScriptRun, on_output: OutputSink) -> Outcome:
        with self._lease() as uid, tempfile.TemporaryDirectory(prefix="saaslens-run-") as path:
            work = _lay_out(Path(path), script, uid)
            started = time.monotonic()
            process = await self._spawn(work, script.limits, uid)
            logger.debug("script run started as pid %s, uid %s", process.pid, uid)
            ending = await _watch(process, script.limits, OutputRelay(on_output), uid)
            duration = time.monotonic() - started
            result = _read_result(work.result, script.limits)
        return conclude(ending, result, script.limits, duration)

    @contextmanager
    def _lease(self) -> Iterator[int | None]:
        if self._uids is None:
            yield None
            return
        with self._uids.lease() as uid:
            yield uid

    async def _spawn(
        self, work: WorkDir, limits: Limits, uid: int | None
    ) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            self._python,
            "-I",
            "-u",
            str(work.script),
            cwd=work.path,
            env=_environment(work),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            user=uid,
            group=uid,
            extra_groups=[] if uid is not None else None,
            preexec_fn=_limiter(limits, cap_processes=uid is not None),
        )


def _lay_out(path: Path, script: ScriptRun, uid: int | None) -> WorkDir:
    work = WorkDir(path, path / "script.py", path / "input.json", path / "result.json")
    work.script.write_text(script.source)
    work.input.write_bytes(script.input_document())
    if uid is not None:
        os.chown(path, uid, uid)
    return work


def _environment(work: WorkDir) -> dict[str, str]:
    # TMPDIR keeps the script's temporary files inside what we delete.
    return {
        "PATH": SEARCH_PATH,
        "LANG": "C.UTF-8",
        "HOME": str(work.path),
        "TMPDIR": str(work.path),
        INPUT_VARIABLE: str(work.input),
        RESULT_VARIABLE: str(work.result),
    }


def _limiter(limits: Limits, cap_processes: bool) -> Callable[[], None]:
    """The limits, set in the child between fork and exec (after it dropped root)."""
    cpu = limits.cpu_seconds
    caps = [
        # The soft limit sends SIGXCPU, which we report; the hard one kills.
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_FSIZE, (limits.max_file_mb * MB,) * 2),
        (resource.RLIMIT_NOFILE, (limits.max_open_files,) * 2),
    ]
    if cap_processes:
        caps.append((resource.RLIMIT_NPROC, (limits.max_processes,) * 2))
    # Last, so nothing in between fails for want of memory.
    caps.append((resource.RLIMIT_AS, (limits.memory_mb * MB,) * 2))

    def limit() -> None:
        for kind, values in caps:
            resource.setrlimit(kind, values)

    return limit


async def _watch(
    process: asyncio.subprocess.Process, limits: Limits, relay: OutputRelay, uid: int | None
) -> Ending:
    assert process.stdout is not None
    assert process.stderr is not None
    pumps = [
        asyncio.create_task(relay.pump(Stream.STDOUT, process.stdout)),
        asyncio.create_task(relay.pump(Stream.STDERR, process.stderr)),
    ]
    timed_out = cancelled = False
    try:
        async with asyncio.timeout(limits.timeout_seconds):
            await process.wait()
    except TimeoutError:
        timed_out = True
    except asyncio.CancelledError:
        cancelled = True
        _absorb_cancellation()
    await _kill(process, uid)
    await _drain(pumps)
    status = await process.wait()
    killed_by = -status if status < 0 else None
    exit_code = status if killed_by is None else 128 + killed_by
    return Ending(exit_code, killed_by, timed_out=timed_out, cancelled=cancelled)


def _absorb_cancellation() -> None:
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()


async def _kill(process: asyncio.subprocess.Process, uid: int | None) -> None:
    """Kill the script's process group, and with a leased user every process of it."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    if uid is not None:
        await _kill_user(uid)


async def _kill_user(uid: int) -> None:
    # kill(-1) signals every process the caller may signal, but never the
    # caller: run as the leased user, it takes out all the run left behind,
    # and the kernel blocks forks while it does, so a fork bomb cannot race it.
    killer = await asyncio.create_subprocess_exec(
        "/bin/sh",
        "-c",
        "kill -KILL -1",
        env={"PATH": SEARCH_PATH},
        user=uid,
        group=uid,
        extra_groups=[],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    await killer.wait()


async def _drain(pumps: list[asyncio.Task[None]]) -> None:
    """Deliver the output still in the pipes; give up on a pipe held open too long."""
    done, pending = await asyncio.wait(pumps, timeout=DRAIN_SECONDS)
    for pump in pending:
        pump.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for pump in done:
        pump.result()


def _read_result(path: Path, limits: Limits) -> bytes | None:
    # The script owns the directory, so it could plant a link to a file only
    # root may read, or a FIFO that blocks us: only a regular file counts.
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno == errno.ELOOP:
            return None
        raise
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        return file.read(limits.max_file_mb * MB)


class UserPool:
    """Lends each run a user id that no process on this machine is using."""

    def __init__(self, uids: range) -> None:
        self._free = list(uids)

    @contextmanager
    def lease(self) -> Iterator[int]:
        busy = _users_with_processes()
        uid = next((uid for uid in self._free if uid not in busy), None)
        if uid is None:
            raise NoFreeUser("every sandbox user id is running a script")
        self._free.remove(uid)
        try:
            yield uid
        finally:
            self._free.append(uid)


def _users_with_processes() -> set[int]:
    users = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with suppress(FileNotFoundError):
                users.add(entry.stat().st_uid)
    return users
