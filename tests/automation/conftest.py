"""What the automation tests share: a sink that records output, process lookups, and
real API processes to talk to."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from saaslens.auth.roles import Role
from saaslens.automation.executors.abc import Stream
from saaslens.config import load_settings
from tests.api import Person, add_person


class Transcript:
    """An output sink that keeps every line and lets a test wait for one."""

    def __init__(self) -> None:
        self.lines: list[tuple[Stream, str]] = []
        self._arrived = asyncio.Condition()

    async def __call__(self, stream: Stream, line: str) -> None:
        async with self._arrived:
            self.lines.append((stream, line))
            self._arrived.notify_all()

    def of(self, stream: Stream) -> list[str]:
        return [line for name, line in self.lines if name is stream]

    async def wait_for(self, prefix: str) -> str:
        """The first line starting with `prefix`, once it has arrived."""
        async with self._arrived:
            await self._arrived.wait_for(lambda: self._find(prefix) is not None)
        line = self._find(prefix)
        assert line is not None
        return line

    def _find(self, prefix: str) -> str | None:
        return next((line for _, line in self.lines if line.startswith(prefix)), None)


@pytest.fixture
def transcript() -> Transcript:
    return Transcript()


def live_processes_mentioning(token: str) -> list[int]:
    """Host pids whose command line holds `token`, leaving out the dead (zombies)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or entry.name == str(os.getpid()):
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            continue
        if token.encode() in command and state != "Z":
            found.append(int(entry.name))
    return found


# Spawns two sleeping grandchildren carrying the "token" parameter in their
# command lines, one in the script's process group and one that leaves it for
# a session of its own, then reports "started" and sleeps past any timeout.
GRANDCHILDREN = """
import json, os, subprocess, sys, time
token = json.load(open(os.environ["SAASLENS_INPUT"]))["parameters"]["token"]
sleeper = [sys.executable, "-c", "import time; time.sleep(120)", token]
subprocess.Popen(sleeper)
subprocess.Popen(sleeper, start_new_session=True)
print("started", flush=True)
time.sleep(120)
"""

# Forks sleeping children until the kernel refuses, and reports the count.
FORK_COUNT = """
import json, os, time
started = refused = 0
for _ in range(200):
    try:
        pid = os.fork()
    except OSError:
        refused += 1
        continue
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    started += 1
json.dump({"started": started, "refused": refused}, open(os.environ["SAASLENS_RESULT"], "w"))
"""

# Names its own script path, which every process of the bomb has in its command line.
FORK_BOMB = """
import os, sys
print("bombing", sys.argv[0], flush=True)
while True:
    try:
        os.fork()
    except OSError:
        pass
"""

ENVIRONMENT_DUMP = """
import json, os
json.dump(dict(os.environ), open(os.environ["SAASLENS_RESULT"], "w"))
"""

# Writes a 2 MB file and opens files until refused, and reports each refusal.
FILE_LIMITS = """
import errno, json, os
result = {}
try:
    open("big", "wb").write(b"x" * 2 * 1024 * 1024)
except OSError as error:
    result["write"] = errno.errorcode[error.errno]
files = []
try:
    while True:
        files.append(open("small-%d" % len(files), "w"))
except OSError as error:
    result["open"] = errno.errorcode[error.errno]
for file in files:
    file.close()
json.dump(result, open(os.environ["SAASLENS_RESULT"], "w"))
"""


class Server:
    """A real `saaslens serve` process on loopback; `data` posts as an admin."""

    def __init__(self, port: int, people: dict[Role, Person]) -> None:
        self.port = port
        self.people = people
        self.websocket_url = f"ws://127.0.0.1:{port}/graphql"
        self.client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            headers={"authorization": f"Bearer {people[Role.ADMIN].token}"},
            timeout=10,
        )

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}
        )
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def until_up(self) -> None:
        for _ in range(300):
            with contextlib.suppress(httpx.TransportError):
                if (await self.client.get("/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.05)
        raise TimeoutError(f"the server on port {self.port} never answered")


def _log_file(path: Path) -> IO[bytes]:
    return path.open("wb")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def serve(store_url: str, tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[Server]]]:
    """Start API processes on the test's store; each stops when the test ends."""
    processes: list[tuple[asyncio.subprocess.Process, Server]] = []
    store = load_settings(database_url=store_url)
    people = {
        role: await add_person(store, f"{role.value}@example.com", role)
        for role in (Role.ADMIN, Role.ANALYST, Role.VIEWER)
    }

    async def start(**settings: Any) -> Server:
        port = free_port()
        given = {"database_url": store_url, "port": port, "execution_poll_seconds": 0.2}
        environment = os.environ | {
            f"SAASLENS_{name.upper()}": str(value) for name, value in (given | settings).items()
        }
        with _log_file(tmp_path / f"server-{port}.log") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "saaslens", "serve", env=environment, stdout=log, stderr=log
            )
        server = Server(port, people)
        processes.append((process, server))
        await server.until_up()
        return server

    yield start
    for process, server in processes:
        await server.client.aclose()
        if process.returncode is not None:
            continue
        process.terminate()
        try:
            async with asyncio.timeout(10):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()
