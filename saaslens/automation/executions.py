"""Executions in the store: queued, claimed by one worker, finished, reaped.

Every change of state is one UPDATE guarded by the state it expects, so two
processes sharing a database never both claim, finish or cancel the same
execution. Each change counts up `state_changes`, which listeners use to tell
news they have seen from news they have not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.automation.exceptions import ExecutionNotFound
from saaslens.automation.scripts import StoredScript
from saaslens.data.models import Execution, ExecutionLog


class State(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    CANCELLED = "CANCELLED"
    CRASHED = "CRASHED"

    @property
    def finished(self) -> bool:
        return self not in (State.QUEUED, State.RUNNING)


@dataclass(frozen=True, slots=True)
class Ending:
    """How an attempt ended, as the engine records it."""

    state: State
    exit_code: int | None = None
    result: Any = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class LogLine:
    stream: str
    line: str
    logged_at: datetime


@dataclass(frozen=True, slots=True)
class ExecutionFilter:
    script_id: int | None = None
    states: Sequence[State] = ()


def _changed(state: State) -> dict[str, Any]:
    return {"state": state.value, "state_changes": Execution.state_changes + 1}


async def enqueue(
    session: AsyncSession,
    stored: StoredScript,
    parameters: Mapping[str, Any],
    snapshot: Mapping[str, Any] | None,
    trigger: str,
    requested_by: str | None,
) -> Execution:
    """A new execution of the script's newest version, waiting for a worker."""
    execution = Execution(
        script_id=stored.script.id,
        script_version=stored.latest.version,
        trigger=trigger,
        state=State.QUEUED.value,
        state_changes=1,
        attempt=1,
        parameters=dict(parameters),
        snapshot=None if snapshot is None else dict(snapshot),
        requested_by=requested_by,
        queued_at=datetime.now(UTC),
        output_lines=0,
        output_truncated=False,
    )
    session.add(execution)
    await session.commit()
    return execution


async def claim(session: AsyncSession, worker: str, limit: int) -> list[Execution]:
    """Move up to `limit` due executions, oldest first, from QUEUED to RUNNING for us.

    On PostgreSQL rows another process is claiming are skipped, not waited
    for; SQLite runs one writer at a time.
    """
    now = datetime.now(UTC)
    # The ids first, locked, then the UPDATE: PostgreSQL may run a LIMIT
    # subquery inside an UPDATE more than once and so claim more than asked.
    due = await session.scalars(
        select(Execution.id)
        .where(
            Execution.state == State.QUEUED.value,
            or_(Execution.not_before.is_(None), Execution.not_before <= now),
        )
        .order_by(Execution.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = due.all()
    if not ids:
        await session.commit()
        return []
    claimed = await session.scalars(
        update(Execution)
        .where(Execution.id.in_(ids), Execution.state == State.QUEUED.value)
        .values(worker=worker, started_at=now, not_before=None, **_changed(State.RUNNING))
        .returning(Execution)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    rows = sorted(claimed.all(), key=lambda row: row.id)
    await session.commit()
    return rows


async def finish(
    session: AsyncSession, execution_id: int, worker: str, ending: Ending
) -> Execution | None:
    """Record the end of our run; None when it is no longer ours to finish."""
    return await _move(
        session,
        execution_id,
        State.RUNNING,
        (Execution.worker == worker,),
        exit_code=ending.exit_code,
        result=ending.result,
        reason=ending.reason,
        finished_at=datetime.now(UTC),
        **_changed(ending.state),
    )


async def requeue(
    session: AsyncSession, execution_id: int, worker: str, reason: str, not_before: datetime
) -> Execution | None:
    """Put a failed attempt back in the queue as the next attempt, due at `not_before`."""
    return await _move(
        session,
        execution_id,
        State.RUNNING,
        (Execution.worker == worker,),
        attempt=Execution.attempt + 1,
        reason=reason,
        not_before=not_before,
        **_changed(State.QUEUED),
    )


async def cancel_queued(session: AsyncSession, execution_id: int) -> Execution | None:
    """Cancel an execution still waiting; None when it is not waiting any more."""
    return await _move(
        session,
        execution_id,
        State.QUEUED,
        (),
        reason="cancelled before it started",
        finished_at=datetime.now(UTC),
        **_changed(State.CANCELLED),
    )


async def reap(session: AsyncSession, alive: Callable[[str], bool]) -> list[Execution]:
    """Mark CRASHED every running execution whose worker process is gone."""
    running = await session.scalars(
        select(Execution).where(Execution.state == State.RUNNING.value)
    )
    reaped: list[Execution] = []
    for worker in {row.worker or "" for row in running.all()}:
        if alive(worker):
            continue
        rows = await session.scalars(
            update(Execution)
            .where(Execution.state == State.RUNNING.value, Execution.worker == worker)
            .values(
                reason=f"the process running it ({worker}) stopped before it finished",
                finished_at=datetime.now(UTC),
                **_changed(State.CRASHED),
            )
            .returning(Execution)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        reaped += rows.all()
    await session.commit()
    return reaped


async def _move(
    session: AsyncSession,
    execution_id: int,
    expected: State,
    conditions: tuple[Any, ...],
    **values: Any,
) -> Execution | None:
    row = await session.scalar(
        update(Execution)
        .where(Execution.id == execution_id, Execution.state == expected.value, *conditions)
        .values(**values)
        .returning(Execution)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    await session.commit()
    return row


async def append_output(
    session: AsyncSession,
    execution_id: int,
    first_seq: int,
    lines: Sequence[LogLine],
    truncated: bool,
) -> None:
    """Store lines numbered from `first_seq` and the execution's new line count."""
    await session.execute(
        insert(ExecutionLog),
        [
            {
                "execution_id": execution_id,
                "seq": first_seq + offset,
                "stream": line.stream,
                "line": line.line,
                "logged_at": line.logged_at,
            }
            for offset, line in enumerate(lines)
        ],
    )
    await session.execute(
        update(Execution)
        .where(Execution.id == execution_id)
        .values(output_lines=first_seq + len(lines) - 1, output_truncated=truncated)
    )
    await session.commit()


async def read(session: AsyncSession, execution_id: int) -> Execution:
    row = await session.get(Execution, execution_id, populate_existing=True)
    if row is None:
        raise ExecutionNotFound(f"no execution has id {execution_id}")
    return row


async def output(
    session: AsyncSession, execution_id: int, after: int = 0, through: int | None = None
) -> Sequence[ExecutionLog]:
    """Stored lines with sequence numbers above `after` (and up to `through`), in order."""
    query = (
        select(ExecutionLog)
        .where(ExecutionLog.execution_id == execution_id, ExecutionLog.seq > after)
        .order_by(ExecutionLog.seq)
    )
    if through is not None:
        query = query.where(ExecutionLog.seq <= through)
    rows = await session.scalars(query)
    return rows.all()


async def page(
    session: AsyncSession, where: ExecutionFilter, before_id: int | None, limit: int
) -> tuple[Sequence[Execution], int]:
    """Executions newest first, those below `before_id`, and how many match in all."""
    conditions = []
    if where.script_id is not None:
        conditions.append(Execution.script_id == where.script_id)
    if where.states:
        conditions.append(Execution.state.in_([state.value for state in where.states]))
    total = await session.scalar(select(func.count()).select_from(Execution).where(*conditions))
    query = select(Execution).where(*conditions).order_by(Execution.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(Execution.id < before_id)
    rows = await session.scalars(query)
    return rows.all(), total or 0


async def count_by_state(session: AsyncSession) -> dict[State, int]:
    """How many executions are in each state, zero for the states none is in."""
    rows = await session.execute(select(Execution.state, func.count()).group_by(Execution.state))
    counts = dict.fromkeys(State, 0)
    counts.update({State(state): count for state, count in rows})
    return counts
