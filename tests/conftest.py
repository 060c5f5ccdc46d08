"""Stores for tests: a fresh SQLite file each test, and PostgreSQL when configured.

`store_url` runs a test once per backend. PostgreSQL joins when
SAASLENS_TEST_POSTGRES_URL names a database; in CI its absence fails the run
instead of skipping, so a green CI always means both backends were tested.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from saaslens.data.engine import create_engine, create_session_factory
from saaslens.data.migrate import upgrade
from saaslens.data.models import Base

pytest_plugins = ["tests.api"]

POSTGRES_URL = os.environ.get("SAASLENS_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(sqlite_url(path))
    return path


@pytest.fixture(scope="session")
def migrated_postgres() -> str:
    if POSTGRES_URL is None:
        if IN_CI:
            pytest.fail("CI needs SAASLENS_TEST_POSTGRES_URL; the PostgreSQL tests cannot run")
        pytest.skip("SAASLENS_TEST_POSTGRES_URL is not set")
    upgrade(POSTGRES_URL)
    return POSTGRES_URL


async def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await connection.execute(text("INSERT INTO store_state (id, data_version) VALUES (1, 0)"))
    await engine.dispose()


@pytest.fixture
def sqlite_store(migrated_sqlite_file: Path, tmp_path: Path) -> str:
    path = tmp_path / "saaslens.db"
    shutil.copyfile(migrated_sqlite_file, path)
    return sqlite_url(path)


@pytest.fixture
def postgres_store(migrated_postgres: str) -> str:
    asyncio.run(_empty_postgres(migrated_postgres))
    return migrated_postgres


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    """An empty, migrated store; the test runs once on each backend."""
    fixture = "sqlite_store" if request.param == "sqlite" else "postgres_store"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
async def engine(store_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(store_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's `.env` or SAASLENS_* variables."""
    for name in list(os.environ):
        if name.startswith("SAASLENS_") and name != "SAASLENS_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
