"""Running a script as a child process of ours, fenced in by the kernel.

The child runs ``python -I -u`` in a fresh temporary directory with a
scrubbed environment, in a session of its own, under resource limits. When
we are root it also runs under a user id of its own, leased from a pool for
the length of the run: that makes the process cap real (the kernel counts
processes per user and never caps root) and lets us kill every process of
that user at the end, including any that left the process group. Without
root there is no user to lease: processes are then not capped, and only the
process group is killed.

This sandbox does not hide the file system: the script can read whatever is
readable by everyone on this machine. Use the Docker executor where that
matters.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
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

from saaslens.automation.executors._cancellation import absorb_cancellation, start_uninterrupted
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
# Where the processes of one host agree on which sandbox user ids are taken.
LOCK_DIR = Path("/run/lock/saaslens-sandbox-users")
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
    def __init__(
        self,
        python: str = "/usr/bin/python3",
        uids: range = DEFAULT_UIDS,
        lock_dir: Path = LOCK_DIR,
    ) -> None:
        """`python` must be executable by the sandbox users, so not under /root."""
        self._python = python
        self._uids = UserPool(uids, lock_dir) if os.geteuid() == 0 else None

    async def run(self, script: ScriptRun, on_output: OutputSink) -> Outcome:
        with self._lease() as uid, tempfile.TemporaryDirectory(prefix="saaslens-run-") as path:
            work = _lay_out(Path(path), script, uid)
            started = time.monotonic()
            child, cancelled = await start_uninterrupted(self._spawn(work, script.limits, uid))
            logger.debug("script run started as pid %s, uid %s", child.pid, uid)
            relay = OutputRelay(on_output)
            ending = await _watch(child, script.limits, relay, uid, cancelled)
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

    async def _spawn(self, work: WorkDir, limits: Limits, uid: int | None) -> Child:
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.subprocess_exec(
            lambda: ChildProtocol(loop),
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
        return Child(transport, protocol)


class ChildProtocol(asyncio.subprocess.SubprocessStreamProtocol):
    """Stream readers for the pipes, and a future that settles at the exit.

    Process.wait() returns only once every holder of the pipes has gone too,
    which a background grandchild can put off for as long as it likes.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(limit=65_536, loop=loop)
        self.exited: asyncio.Future[None] = loop.create_future()

    def process_exited(self) -> None:
        super().process_exited()
        if not self.exited.done():
            self.exited.set_result(None)


@dataclass(frozen=True, slots=True)
class Child:
    transport: asyncio.SubprocessTransport
    protocol: ChildProtocol

    @property
    def pid(self) -> int:
        return self.transport.get_pid()

    def status(self) -> int:
        status = self.transport.get_returncode()
        assert status is not None, "asked before the exit"
        return status


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
    child: Child, limits: Limits, relay: OutputRelay, uid: int | None, cancelled: bool
) -> Ending:
    stdout, stderr = child.protocol.stdout, child.protocol.stderr
    assert stdout is not None
    assert stderr is not None
    pumps = [
        asyncio.create_task(relay.pump(Stream.STDOUT, stdout)),
        asyncio.create_task(relay.pump(Stream.STDERR, stderr)),
    ]
    timed_out = False
    try:
        if not cancelled:
            async with asyncio.timeout(limits.timeout_seconds):
                await asyncio.shield(child.protocol.exited)
    except TimeoutError:
        timed_out = True
    except asyncio.CancelledError:
        cancelled = True
        absorb_cancellation()
    await _kill(child, uid)
    await child.protocol.exited
    await _drain(pumps)
    child.transport.close()
    status = child.status()
    killed_by = -status if status < 0 else None
    exit_code = status if killed_by is None else 128 + killed_by
    return Ending(exit_code, killed_by, timed_out=timed_out, cancelled=cancelled)


async def _kill(child: Child, uid: int | None) -> None:
    """Kill the script's process group, and with a leased user every process of it."""
    with suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)
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
    """Lends each run a user id that no process on this machine is using.

    Every API process on a host has a pool over the same ids, so a lease is
    also a lock: an exclusive flock on a file named after the uid, held for
    the run. Between choosing a uid and the child switching to it, the
    process table cannot tell that the uid is taken; the lock can. The
    kernel drops the lock when its holder dies, so a crash leaks nothing.
    """

    def __init__(self, uids: range, lock_dir: Path = LOCK_DIR) -> None:
        self._uids = uids
        self._lock_dir = lock_dir

    @contextmanager
    def lease(self) -> Iterator[int]:
        self._lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        busy = _users_with_processes()
        for uid in self._uids:
            if uid in busy:
                continue
            with self._locked(uid) as locked:
                if locked:
                    yield uid
                    return
        raise NoFreeUser("every sandbox user id is running a script")

    @contextmanager
    def _locked(self, uid: int) -> Iterator[bool]:
        descriptor = os.open(self._lock_dir / f"{uid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(descriptor)


def _users_with_processes() -> set[int]:
    users = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with suppress(FileNotFoundError):
                users.add(entry.stat().st_uid)
    return users
