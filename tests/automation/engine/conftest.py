"""An engine on the test's store, and ways to run scripts on it to their end."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.auth.roles import Role
from saaslens.automation import executions, scripts
from saaslens.automation.engine import Engine
from saaslens.automation.scripts import ScriptSettings
from saaslens.automation.updates import Output, StateChange, Update, follow
from saaslens.config import Settings, load_settings
from saaslens.data.models import Execution, ExecutionLog
from tests.api import Person, add_person

WAIT_SECONDS = 30


def engine_settings(store_url: str, **overrides: Any) -> Settings:
    defaults: dict[str, Any] = {
        "database_url": store_url,
        "execution_poll_seconds": 0.2,
        "retry_backoff_seconds": 0.2,
    }
    return load_settings(**(defaults | overrides))


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to run its engine with other settings."""
    return {}


@pytest.fixture
async def automation(
    store_url: str,
    sessions: async_sessionmaker[AsyncSession],
    settings_overrides: dict[str, Any],
) -> AsyncIterator[Engine]:
    engine = Engine.for_settings(engine_settings(store_url, **settings_overrides), sessions)
    await engine.start()
    await engine.started.wait()
    yield engine
    await engine.stop()


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder the sandbox users may write to, for scripts that leave traces."""
    path = Path(tempfile.mkdtemp(prefix="saaslens-test-", dir="/tmp"))
    os.chmod(path, 0o777)
    yield path
    shutil.rmtree(path)


async def add_script(engine: Engine, source: str, **settings: Any) -> int:
    async with engine.sessions() as session:
        stored = await scripts.create(session, source, ScriptSettings(name="test", **settings))
    return stored.script.id


async def watch(engine: Engine, execution_id: int) -> list[Update]:
    """Every update of an execution until it finishes."""
    async with asyncio.timeout(WAIT_SECONDS):
        return [update async for update in follow(engine.sessions, engine.broker, execution_id)]


async def run_to_end(
    engine: Engine, script_id: int, parameters: dict[str, Any] | None = None, **options: Any
) -> Execution:
    execution = await engine.submit(script_id, parameters or {}, **options)
    await watch(engine, execution.id)
    return await stored_execution(engine, execution.id)


async def stored_execution(engine: Engine, execution_id: int) -> Execution:
    async with engine.sessions() as session:
        return await executions.read(session, execution_id)


async def stored_output(engine: Engine, execution_id: int) -> list[ExecutionLog]:
    async with engine.sessions() as session:
        return list(await executions.output(session, execution_id))


def states(updates: list[Update]) -> list[str]:
    return [update.state.value for update in updates if isinstance(update, StateChange)]


def lines(updates: list[Update]) -> list[str]:
    return [line.line for update in updates if isinstance(update, Output) for line in update.lines]


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
