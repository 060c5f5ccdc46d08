"""Running a script in a throw-away Docker container that can reach nothing.

The container has no network, a read-only root, a small tmpfs at /tmp, memory,
CPU and process limits, no capabilities, no way to gain privileges, and runs
as an unprivileged user under a minimal init that forwards signals and reaps
orphans. The script and its input reach /work, a volume of its own, through
the engine's archive API before the start, and the result file leaves the
same way after the end, so this works with a remote engine too. Container
and volume are removed afterwards, whatever happened; both carry the label
``saaslens.sandbox`` so an operator can find any left by a crashed process.

docker-py blocks, so its calls run in threads; the output stream has a
thread of its own for the length of the run.

The work volume lives on the engine's disk and is capped per file, not in
total: a script can write up to max_open_files files of max_file_mb each.
"""

from __future__ import annotations

import asyncio
import io
import logging
import signal
import tarfile
import threading
import time
from contextlib import suppress
from dataclasses import dataclass

import docker
import docker.errors
from docker.models.containers import Container
from docker.models.volumes import Volume
from docker.types import Ulimit
from docker.types.daemon import CancellableStream

from saaslens.automation.executors._cancellation import absorb_cancellation, start_uninterrupted
from saaslens.automation.executors._lines import LineSplitter, OutputRelay
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
WORK = "/work"
LABEL = "saaslens.sandbox"
SANDBOX_USER = "65534:65534"
# How long output may keep coming once the container has stopped.
DRAIN_SECONDS = 5.0

# The image sets PATH and LANG too; stating them keeps another image honest.
ENVIRONMENT = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "HOME": WORK,
    "TMPDIR": "/tmp",
    INPUT_VARIABLE: f"{WORK}/input.json",
    RESULT_VARIABLE: f"{WORK}/result.json",
}


@dataclass(frozen=True, slots=True)
class Sandbox:
    """One run's container and the volume holding its work directory."""

    container: Container
    volume: Volume


class DockerExecutor(Executor):
    def __init__(
        self,
        image: str = "saaslens-sandbox:latest",
        docker_host: str | None = None,
        cpus: float = 1.0,
    ) -> None:
        """`docker_host` is an engine URL; None means DOCKER_HOST or the local socket."""
        self._image = image
        self._docker_host = docker_host
        self._nano_cpus = int(cpus * 1e9)
        self._client: docker.DockerClient | None = None
        self._connecting = threading.Lock()

    async def run(self, script: ScriptRun, on_output: OutputSink) -> Outcome:
        preparing = asyncio.to_thread(self._prepare, script)
        sandbox, cancelled = await start_uninterrupted(preparing)
        try:
            started = time.monotonic()
            relay = OutputRelay(on_output)
            ending = (
                Ending(None, cancelled=True)
                if cancelled
                else await self._watch(sandbox.container, script.limits, relay)
            )
            duration = time.monotonic() - started
            result = await asyncio.to_thread(_read_result, sandbox.container, script.limits)
        finally:
            # Shielded, so a second cancellation cannot leave the container behind.
            await asyncio.shield(asyncio.to_thread(_remove, sandbox))
        return conclude(ending, result, script.limits, duration)

    def client(self) -> docker.DockerClient:
        """The engine's client, connected on first use (which asks the engine its version)."""
        with self._connecting:
            if self._client is None:
                self._client = (
                    docker.DockerClient(base_url=self._docker_host)
                    if self._docker_host
                    else docker.from_env()
                )
            return self._client

    def _prepare(self, script: ScriptRun) -> Sandbox:
        client = self.client()
        volume = client.volumes.create(labels={LABEL: "work"})
        try:
            container = self._create(client, volume, script.limits)
        except BaseException:
            volume.remove(force=True)
            raise
        sandbox = Sandbox(container, volume)
        try:
            container.put_archive(WORK, _work_files(script))
        except BaseException:
            _remove(sandbox)
            raise
        logger.debug("sandbox container %s created", container.short_id)
        return sandbox

    def _create(self, client: docker.DockerClient, volume: Volume, limits: Limits) -> Container:
        cpu = limits.cpu_seconds
        return client.containers.create(
            self._image,
            ["python3", "-I", "-u", f"{WORK}/script.py"],
            user=SANDBOX_USER,
            working_dir=WORK,
            environment=ENVIRONMENT,
            labels={LABEL: "run"},
            init=True,
            network_disabled=True,
            network_mode="none",
            read_only=True,
            tmpfs={"/tmp": f"rw,nosuid,nodev,size={limits.memory_mb}m"},
            volumes={volume.name: {"bind": WORK, "mode": "rw"}},
            mem_limit=f"{limits.memory_mb}m",
            memswap_limit=f"{limits.memory_mb}m",
            nano_cpus=self._nano_cpus,
            pids_limit=limits.max_processes,
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            ulimits=[
                # The soft limit sends SIGXCPU, which we report; the hard one kills.
                Ulimit(name="cpu", soft=cpu, hard=cpu + 1),
                Ulimit(name="fsize", soft=limits.max_file_mb * MB, hard=limits.max_file_mb * MB),
                Ulimit(name="nofile", soft=limits.max_open_files, hard=limits.max_open_files),
            ],
        )

    async def _watch(self, container: Container, limits: Limits, relay: OutputRelay) -> Ending:
        timed_out = cancelled = False
        streamed: asyncio.Future[None] | None = None
        try:
            streamed = await self._stream_output(container, relay)
            await asyncio.to_thread(container.start)
            timed_out = await _outlived(container, streamed, limits.timeout_seconds)
        except asyncio.CancelledError:
            cancelled = True
            absorb_cancellation()
        if timed_out or cancelled:
            await asyncio.to_thread(_kill, container)
        if streamed is not None:
            await _drain(streamed)
        return await asyncio.to_thread(_ending, container, timed_out, cancelled)

    async def _stream_output(
        self, container: Container, relay: OutputRelay
    ) -> asyncio.Future[None]:
        """Start relaying the container's output; the future settles when it ends."""
        stream = await asyncio.to_thread(
            self.client().api.attach,
            container.id,
            stdout=True,
            stderr=True,
            stream=True,
            logs=True,
            demux=True,
        )
        loop = asyncio.get_running_loop()
        ended = loop.create_future()
        pump = threading.Thread(
            target=_pump, args=(stream, relay, loop, ended), name="sandbox-output", daemon=True
        )
        pump.start()
        return ended


def _work_files(script: ScriptRun) -> bytes:
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        for name, content in (
            ("script.py", script.source.encode()),
            ("input.json", script.input_document()),
        ):
            entry = tarfile.TarInfo(name)
            entry.size = len(content)
            entry.mode = 0o444
            tar.addfile(entry, io.BytesIO(content))
    return archive.getvalue()


def _pump(
    stream: CancellableStream,
    relay: OutputRelay,
    loop: asyncio.AbstractEventLoop,
    ended: asyncio.Future[None],
) -> None:
    """Feed the sink from the blocking stream, waiting for each delivery."""
    splitters = {Stream.STDOUT: LineSplitter(), Stream.STDERR: LineSplitter()}
    error: BaseException | None = None
    try:
        # Each item is a (stdout, stderr) pair of which one is None.
        for out, err in stream:
            for name, chunk in ((Stream.STDOUT, out), (Stream.STDERR, err)):
                if chunk:
                    _deliver(relay, loop, name, splitters[name].feed(chunk))
        for name, splitter in splitters.items():
            _deliver(relay, loop, name, splitter.finish())
    except BaseException as caught:
        error = caught
    finally:
        stream.close()
        # close() only shuts a stream still open; after a normal end the
        # upgraded connection stays open until its response is closed too.
        stream._response.close()
    # The loop is gone when the process shuts down mid-run; nobody is waiting then.
    with suppress(RuntimeError):
        loop.call_soon_threadsafe(_settle, ended, error)


def _deliver(
    relay: OutputRelay, loop: asyncio.AbstractEventLoop, stream: Stream, lines: list[str]
) -> None:
    if lines:
        asyncio.run_coroutine_threadsafe(relay.deliver(stream, lines), loop).result()


def _settle(ended: asyncio.Future[None], error: BaseException | None) -> None:
    if ended.done():
        return
    if error is None:
        ended.set_result(None)
    else:
        ended.set_exception(error)


async def _outlived(container: Container, streamed: asyncio.Future[None], seconds: float) -> bool:
    """Wait for the container to stop; True when it ran out of time first."""
    try:
        async with asyncio.timeout(seconds):
            # The output ends when the container does, without tying up a thread.
            await asyncio.shield(streamed)
            await asyncio.to_thread(container.wait)
    except TimeoutError:
        return True
    return False


async def _drain(streamed: asyncio.Future[None]) -> None:
    """Let the last output arrive; a container that never started sends none."""
    with suppress(TimeoutError):
        async with asyncio.timeout(DRAIN_SECONDS):
            await asyncio.shield(streamed)


def _kill(container: Container) -> None:
    # Conflict: it stopped on its own meanwhile; nothing left to kill.
    with suppress(docker.errors.APIError):
        container.kill()


def _ending(container: Container, timed_out: bool, cancelled: bool) -> Ending:
    status = container.wait()["StatusCode"]
    container.reload()
    # A shell's convention, which the container's init follows: 128 + N for
    # signal N. A script's own exit(200) cannot be told from it but by range.
    killed_by = status - 128 if status - 128 in signal.valid_signals() else None
    out_of_memory = bool(container.attrs["State"]["OOMKilled"])
    return Ending(status, killed_by, timed_out, cancelled, out_of_memory)


def _read_result(container: Container, limits: Limits) -> bytes | None:
    try:
        chunks, _ = container.get_archive(f"{WORK}/result.json")
    except docker.errors.NotFound:
        return None
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
        entry = tar.next()
        # A link planted by the script is no result.
        if entry is None or not entry.isreg():
            return None
        file = tar.extractfile(entry)
        return file.read(limits.max_file_mb * MB) if file is not None else None


def _remove(sandbox: Sandbox) -> None:
    """Remove container and volume; a failure is logged, so the run's outcome survives it."""
    for kind, thing in (("container", sandbox.container), ("volume", sandbox.volume)):
        try:
            thing.remove(force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError:
            logger.exception("sandbox %s %s was left behind", kind, thing.id)
    logger.debug("sandbox container %s removed", sandbox.container.short_id)
