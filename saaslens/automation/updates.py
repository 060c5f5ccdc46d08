"""What a watcher of executions sees: state changes and output, in order, with no gaps.

`follow` subscribes to events before it reads the execution, so nothing can
slip between the replay of what happened so far and the live stream. Events
only say how far state and output have got; the details come from the
database, and anything a watcher has already seen is skipped by its state
change count and output line number.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.automation import executions
from saaslens.automation.eventbrokers.abc import (
    Event,
    EventBroker,
    ExecutionChanged,
    OutputAppended,
    Resync,
)
from saaslens.automation.executions import State
from saaslens.data.models import Execution, ExecutionLog


@dataclass(frozen=True, slots=True)
class StateChange:
    """The execution entered `state`; `execution` is how it stands now."""

    state: State
    execution: Execution


@dataclass(frozen=True, slots=True)
class Output:
    lines: Sequence[ExecutionLog]


Update = StateChange | Output


class _Follower:
    """Remembers how far a watcher has got: the state changes and output lines it saw."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], execution_id: int) -> None:
        self._sessions = sessions
        self._id = execution_id
        self._seen_changes = 0
        self._seen_lines = 0
        self.finished = False

    async def replay(self) -> list[Update]:
        """What happened so far: the output, and the state it is in now."""
        async with self._sessions() as session:
            execution = await executions.read(session, self._id)
            lines = await executions.output(session, self._id, 0, execution.output_lines)
        state = self._state(State(execution.state), execution.state_changes, execution)
        output = self._output(lines)
        return [*output, *state] if self.finished else [*state, *output]

    async def catch_up(self, event: Event) -> list[Update]:
        """The output up to where the event says, then the state change it announces."""
        through = None
        if isinstance(event, ExecutionChanged | OutputAppended):
            through = event.output_lines
        async with self._sessions() as session:
            lines = await executions.output(session, self._id, self._seen_lines, through)
            news = self._output(lines)
            if isinstance(event, ExecutionChanged) and event.state_changes > self._seen_changes:
                execution = await executions.read(session, self._id)
                news += self._state(State(event.state), event.state_changes, execution)
            elif isinstance(event, Resync):
                execution = await executions.read(session, self._id)
                if execution.state_changes > self._seen_changes:
                    state = State(execution.state)
                    news += self._state(state, execution.state_changes, execution)
        return news

    def _output(self, lines: Sequence[ExecutionLog]) -> list[Update]:
        if not lines:
            return []
        self._seen_lines = lines[-1].seq
        return [Output(lines)]

    def _state(self, state: State, changes: int, execution: Execution) -> list[Update]:
        self._seen_changes = changes
        self.finished = state.finished
        return [StateChange(state, execution)]

    def concerns(self, event: Event) -> bool:
        if isinstance(event, Resync):
            return True
        if isinstance(event, ExecutionChanged | OutputAppended):
            return event.execution_id == self._id
        return False


async def follow(
    sessions: async_sessionmaker[AsyncSession], broker: EventBroker, execution_id: int
) -> AsyncIterator[Update]:
    """The execution's state and output so far, then each change until it finishes."""
    follower = _Follower(sessions, execution_id)
    async with broker.subscribe() as events:
        for update in await follower.replay():
            yield update
        if follower.finished:
            return
        async for event in events:
            if not follower.concerns(event):
                continue
            for update in await follower.catch_up(event):
                yield update
            if follower.finished:
                return


async def feed(
    sessions: async_sessionmaker[AsyncSession],
    broker: EventBroker,
    script_id: int | None = None,
    states: Collection[State] = (),
) -> AsyncIterator[StateChange]:
    """Every state change of every execution from now on, optionally filtered.

    Changes made while this process was cut off from the other processes'
    events are not replayed; a watcher of one execution catches up instead.
    """
    async with broker.subscribe() as events:
        async for event in events:
            if not isinstance(event, ExecutionChanged):
                continue
            if script_id is not None and event.script_id != script_id:
                continue
            if states and State(event.state) not in states:
                continue
            async with sessions() as session:
                execution = await executions.read(session, event.execution_id)
            yield StateChange(State(event.state), execution)
