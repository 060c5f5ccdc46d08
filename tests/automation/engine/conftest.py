"""An engine on the test's store, and ways to run scripts on it to their end."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.automation import executions, scripts
from saaslens.automation.engine import Engine
from saaslens.automation.scripts import ScriptSettings
from saaslens.automation.updates import Output, StateChange, Update, follow
from saaslens.config import Settings, load_settings
from saaslens.data.models import Execution, ExecutionLog

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
