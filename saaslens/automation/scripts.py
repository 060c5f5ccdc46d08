"""Scripts: Python source kept in versions, with the limits and executor each run uses.

A change of source makes a new version; every other setting changes in place.
Deleting a script hides it and stops its runs but keeps it, its versions and
its executions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.automation import parameters
from saaslens.automation.exceptions import InvalidScript, ScriptNotFound
from saaslens.data.models import Script, ScriptVersion

MAX_TIMEOUT_SECONDS = 24 * 3600.0
MAX_MEMORY_MB = 65_536
MAX_RETRIES = 10


class ExecutorKind(StrEnum):
    SUBPROCESS = "subprocess"
    DOCKER = "docker"


@dataclass(frozen=True, slots=True)
class ScriptSettings:
    """Everything about a script except its source."""

    name: str
    description: str = ""
    executor: ExecutorKind = ExecutorKind.SUBPROCESS
    timeout_seconds: float = 60.0
    memory_mb: int = 256
    cpu_seconds: int = 30
    max_retries: int = 0
    parameters_schema: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ScriptChanges:
    """An update: None leaves a setting as it is; a new source makes a new version."""

    source: str | None = None
    name: str | None = None
    description: str | None = None
    executor: ExecutorKind | None = None
    timeout_seconds: float | None = None
    memory_mb: int | None = None
    cpu_seconds: int | None = None
    max_retries: int | None = None
    parameters_schema: Mapping[str, Any] | None = None

    def applied_to(self, current: ScriptSettings) -> ScriptSettings:
        given = {
            name: value
            for name, value in dataclasses.asdict(self).items()
            if value is not None and name != "source"
        }
        return dataclasses.replace(current, **given)


@dataclass(frozen=True, slots=True)
class StoredScript:
    """A script with its newest version."""

    script: Script
    latest: ScriptVersion

    @property
    def settings(self) -> ScriptSettings:
        row = self.script
        return ScriptSettings(
            name=row.name,
            description=row.description,
            executor=ExecutorKind(row.executor),
            timeout_seconds=row.timeout_seconds,
            memory_mb=row.memory_mb,
            cpu_seconds=row.cpu_seconds,
            max_retries=row.max_retries,
            parameters_schema=row.parameters_schema,
        )


def check(source: str, settings: ScriptSettings) -> None:
    """Refuse source that does not compile and settings out of range."""
    try:
        compile(source, f"<script {settings.name}>", "exec")
    except SyntaxError as error:
        raise InvalidScript(f"line {error.lineno}: {error.msg}", line=error.lineno) from None
    except ValueError as error:
        raise InvalidScript(f"the source cannot be compiled: {error}") from None
    if not settings.name.strip() or len(settings.name) > 200:
        raise InvalidScript("a script needs a name of 1 to 200 characters")
    if not 0 < settings.timeout_seconds <= MAX_TIMEOUT_SECONDS:
        raise InvalidScript(f"the timeout must be above 0 and at most {MAX_TIMEOUT_SECONDS:g} s")
    if not 16 <= settings.memory_mb <= MAX_MEMORY_MB:
        raise InvalidScript(f"memory must be between 16 and {MAX_MEMORY_MB} MB")
    if not 1 <= settings.cpu_seconds <= MAX_TIMEOUT_SECONDS:
        raise InvalidScript("CPU time must be at least 1 s")
    if not 0 <= settings.max_retries <= MAX_RETRIES:
        raise InvalidScript(f"retries must be between 0 and {MAX_RETRIES}")
    parameters.check_schema(settings.parameters_schema)


async def create(
    session: AsyncSession,
    source: str,
    settings: ScriptSettings,
    author: str | None = None,
    template: str | None = None,
) -> StoredScript:
    """Store a new script as its version 1."""
    check(source, settings)
    now = datetime.now(UTC)
    script = Script(created_at=now, template=template, enabled=True)
    _apply(script, settings)
    session.add(script)
    await session.flush()
    version = ScriptVersion(
        script_id=script.id, version=1, source=source, created_at=now, created_by=author
    )
    session.add(version)
    await session.commit()
    return StoredScript(script, version)


async def update(
    session: AsyncSession, script_id: int, changes: ScriptChanges, author: str | None = None
) -> StoredScript:
    """Change settings in place; a different source becomes the next version."""
    stored = await read(session, script_id)
    settings = changes.applied_to(stored.settings)
    source = stored.latest.source if changes.source is None else changes.source
    check(source, settings)
    _apply(stored.script, settings)
    latest = stored.latest
    if source != latest.source:
        latest = ScriptVersion(
            script_id=script_id,
            version=latest.version + 1,
            source=source,
            created_at=datetime.now(UTC),
            created_by=author,
        )
        session.add(latest)
    await session.commit()
    return StoredScript(stored.script, latest)


async def set_enabled(session: AsyncSession, script_id: int, enabled: bool) -> StoredScript:
    stored = await read(session, script_id)
    stored.script.enabled = enabled
    await session.commit()
    return stored


async def delete(session: AsyncSession, script_id: int) -> StoredScript:
    """Hide the script and stop its runs; its versions and executions stay."""
    stored = await read(session, script_id)
    stored.script.deleted_at = datetime.now(UTC)
    stored.script.enabled = False
    await session.commit()
    return stored


async def read(session: AsyncSession, script_id: int, deleted: bool = False) -> StoredScript:
    """A script and its newest version; a deleted one only when asked for."""
    script = await session.get(Script, script_id)
    if script is None or (script.deleted_at is not None and not deleted):
        raise ScriptNotFound(f"no script has id {script_id}")
    latest = await session.scalar(
        select(ScriptVersion)
        .where(ScriptVersion.script_id == script_id)
        .order_by(ScriptVersion.version.desc())
        .limit(1)
    )
    assert latest is not None, "every script is created with a version"
    return StoredScript(script, latest)


def _with_newest_version() -> Select[Script, ScriptVersion]:
    newest = (
        select(ScriptVersion.script_id, func.max(ScriptVersion.version).label("version"))
        .group_by(ScriptVersion.script_id)
        .subquery()
    )
    return (
        select(Script, ScriptVersion)
        .join(newest, newest.c.script_id == Script.id)
        .join(
            ScriptVersion,
            (ScriptVersion.script_id == Script.id) & (ScriptVersion.version == newest.c.version),
        )
        .order_by(Script.id)
    )


async def listing(session: AsyncSession, deleted: bool = False) -> list[StoredScript]:
    """Scripts in id order, each with its newest version."""
    query = _with_newest_version()
    if not deleted:
        query = query.where(Script.deleted_at.is_(None))
    rows = await session.execute(query)
    return [StoredScript(script, version) for script, version in rows]


async def by_ids(session: AsyncSession, script_ids: Sequence[int]) -> list[StoredScript]:
    """The scripts of `script_ids`, deleted ones too, for records that name them."""
    rows = await session.execute(_with_newest_version().where(Script.id.in_(script_ids)))
    return [StoredScript(script, version) for script, version in rows]


async def versions(session: AsyncSession, script_id: int) -> Sequence[ScriptVersion]:
    """Every version of a script, newest first."""
    rows = await session.scalars(
        select(ScriptVersion)
        .where(ScriptVersion.script_id == script_id)
        .order_by(ScriptVersion.version.desc())
    )
    return rows.all()


async def version(session: AsyncSession, script_id: int, number: int) -> ScriptVersion:
    row = await session.scalar(
        select(ScriptVersion).where(
            ScriptVersion.script_id == script_id, ScriptVersion.version == number
        )
    )
    if row is None:
        raise ScriptNotFound(f"script {script_id} has no version {number}")
    return row


def _apply(script: Script, settings: ScriptSettings) -> None:
    script.name = settings.name
    script.description = settings.description
    script.executor = settings.executor.value
    script.timeout_seconds = settings.timeout_seconds
    script.memory_mb = settings.memory_mb
    script.cpu_seconds = settings.cpu_seconds
    script.max_retries = settings.max_retries
    script.parameters_schema = dict(settings.parameters_schema)
