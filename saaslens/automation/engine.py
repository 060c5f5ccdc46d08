"""The engine: takes executions from the queue and runs them, a few at a time.

The queue is the executions table. Each engine claims due QUEUED rows for
itself (host:pid), up to its concurrency limit, and runs each with the
executor its script names. Engines sharing PostgreSQL never claim the same
row. A failed or timed-out attempt goes back to the queue as the next
attempt of the same execution, due after an exponential back-off, until the
script's retries are spent; the output of every attempt stays in one log.

At start, and every so often after, executions left RUNNING by a dead
process on this host become CRASHED. A worker on another host is taken to
be alive: without heartbeats its death is noticed only by an engine on its
own host.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections import OrderedDict
from collections.abc import Mapping
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.automation import executions, parameters, scripts
from saaslens.automation.eventbrokers import broker_for
from saaslens.automation.eventbrokers.abc import (
    CancelRequested,
    EventBroker,
    ExecutionChanged,
)
from saaslens.automation.exceptions import ScriptDisabled
from saaslens.automation.executions import Ending, State
from saaslens.automation.executors.abc import Executor, Limits, Outcome, RunState, ScriptRun
from saaslens.automation.executors.docker import DockerExecutor
from saaslens.automation.executors.subprocess import SubprocessExecutor
from saaslens.automation.output import OutputRecorder
from saaslens.automation.scripts import ExecutorKind
from saaslens.config import Settings
from saaslens.data.engine import finish_then_cancel
from saaslens.data.models import Execution, Script
from saaslens.logs import request_id

logger = logging.getLogger(__name__)

REAP_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 3600.0
RETRIED = (RunState.FAILED, RunState.TIMED_OUT)
# Request ids of executions queued here, so their runs and retries log them;
# the oldest are forgotten past this many.
REMEMBERED_REQUESTS = 1000


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_alive(worker: str) -> bool:
    """Whether the process named host:pid may still run; only this host can be checked."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    if int(pid) == os.getpid():
        # Before we claimed anything, rows naming our pid were left by an earlier process.
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Engine:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        broker: EventBroker,
        executors: Mapping[ExecutorKind, Executor],
        settings: Settings,
        worker: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.broker = broker
        self.settings = settings
        self.worker = worker or this_worker()
        self._executors = executors
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._runs: dict[int, asyncio.Task[Outcome]] = {}
        self._cancelling: set[int] = set()
        self._requests: OrderedDict[int, str] = OrderedDict()
        self._wakeup = asyncio.Event()
        self._background: list[asyncio.Task[None]] = []
        self._stopping = False
        self.started = asyncio.Event()

    @classmethod
    def for_settings(
        cls, settings: Settings, sessions: async_sessionmaker[AsyncSession]
    ) -> Engine:
        """An engine with the broker the store calls for and both executors."""
        executors: dict[ExecutorKind, Executor] = {
            ExecutorKind.SUBPROCESS: SubprocessExecutor(settings.sandbox_python),
            ExecutorKind.DOCKER: DockerExecutor(settings.sandbox_image, settings.docker_host),
        }
        return cls(sessions, broker_for(settings.database_url), executors, settings)

    async def start(self) -> None:
        """Begin in the background, so the API serves even while the store is unreachable.

        The engine reaps crashed executions as soon as the store answers, then
        runs the queue; `started` is set from then on.
        """
        await self.broker.start()
        self._background = [
            asyncio.create_task(self._listen(), name="engine listener"),
            asyncio.create_task(self._begin(), name="engine dispatcher"),
        ]

    async def _begin(self) -> None:
        while True:
            try:
                await finish_then_cancel(self._reap())
                break
            except (SQLAlchemyError, OSError) as error:
                logger.warning("the engine waits for the store: %s", error)
                await asyncio.sleep(self.settings.execution_poll_seconds)
        self.started.set()
        logger.info("engine %s started, %d at a time", self.worker, self._limit)
        await self._dispatch()

    async def stop(self) -> None:
        """Stop taking work; runs in progress are cancelled and recorded so."""
        self._stopping = True
        for task in self._background:
            task.cancel()
        # A claim in progress ends first, so the runs it starts are among those waited for.
        await asyncio.gather(*self._background, return_exceptions=True)
        for run in self._runs.values():
            run.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        await self.broker.stop()
        logger.info("engine %s stopped", self.worker)

    @property
    def _limit(self) -> int:
        return self.settings.max_concurrent_executions

    async def submit(
        self,
        script_id: int,
        given: Mapping[str, Any],
        snapshot: Mapping[str, Any] | None = None,
        trigger: str = "manual",
        requested_by: str | None = None,
    ) -> Execution:
        """Queue a run of the script's newest version with checked parameters."""
        async with self.sessions() as session:
            stored = await scripts.read(session, script_id)
            if not stored.script.enabled:
                raise ScriptDisabled(f"script {script_id} is disabled")
            resolved = parameters.resolve(stored.script.parameters_schema, given)
            execution = await executions.enqueue(
                session, stored, resolved, snapshot, trigger, requested_by
            )
        logger.info("execution %d of script %d queued", execution.id, script_id)
        self._remember_request(execution.id)
        await self._announce(execution)
        self._wakeup.set()
        return execution

    async def cancel(self, execution_id: int) -> Execution:
        """A queued execution never starts; a running one is killed, wherever it runs."""
        async with self.sessions() as session:
            cancelled = await executions.cancel_queued(session, execution_id)
            if cancelled is not None:
                await self._announce(cancelled)
                return cancelled
            execution = await executions.read(session, execution_id)
        if execution.state != State.RUNNING:
            return execution
        if execution_id in self._tasks:
            await self._cancel_here(execution_id)
        else:
            await self.broker.publish(CancelRequested(execution_id))
        async with self.sessions() as session:
            return await executions.read(session, execution_id)

    async def _cancel_here(self, execution_id: int) -> None:
        self._cancelling.add(execution_id)
        if run := self._runs.get(execution_id):
            run.cancel()
        if task := self._tasks.get(execution_id):
            await asyncio.wait({task})

    async def _announce(self, execution: Execution) -> None:
        await self.broker.publish(
            ExecutionChanged(
                execution.id,
                execution.script_id,
                execution.state,
                execution.state_changes,
                execution.output_lines,
            )
        )

    async def _listen(self) -> None:
        async with self.broker.subscribe() as events:
            async for event in events:
                if isinstance(event, CancelRequested) and event.execution_id in self._tasks:
                    logger.info("execution %d cancelled from elsewhere", event.execution_id)
                    self._cancelling.add(event.execution_id)
                    if run := self._runs.get(event.execution_id):
                        run.cancel()
                elif isinstance(event, ExecutionChanged) and event.state == State.QUEUED:
                    self._wakeup.set()

    async def _dispatch(self) -> None:
        reaped_at = time.monotonic()
        while True:
            # asyncio.wait_for on 3.11 swallows a cancel that lands as the wakeup
            # completes, which left stop() waiting for this loop forever.
            with suppress(TimeoutError):
                async with asyncio.timeout(self.settings.execution_poll_seconds):
                    await self._wakeup.wait()
            self._wakeup.clear()
            try:
                if time.monotonic() - reaped_at > REAP_SECONDS:
                    reaped_at = time.monotonic()
                    await finish_then_cancel(self._reap())
                await finish_then_cancel(self._claim())
            except (SQLAlchemyError, OSError):
                logger.warning("claiming executions failed; trying again", exc_info=True)

    async def _reap(self) -> None:
        async with self.sessions() as session:
            reaped = await executions.reap(session, worker_alive)
        for execution in reaped:
            logger.warning("execution %d crashed: %s", execution.id, execution.reason)
            await self._announce(execution)

    async def _claim(self) -> None:
        free = self._limit - len(self._tasks)
        if free <= 0:
            return
        async with self.sessions() as session:
            claimed = await executions.claim(session, self.worker, free)
        for execution in claimed:
            self._tasks[execution.id] = asyncio.create_task(
                self._run(execution), name=f"execution {execution.id}"
            )
        if len(claimed) == free:
            self._wakeup.set()

    def _remember_request(self, execution_id: int) -> None:
        self._requests[execution_id] = request_id.get()
        while len(self._requests) > REMEMBERED_REQUESTS:
            self._requests.popitem(last=False)

    async def _run(self, execution: Execution) -> None:
        # Each run is a task of its own, so the id set here tags its lines only.
        request_id.set(self._requests.get(execution.id, "-"))
        try:
            await self._announce(execution)
            await self._attempt(execution)
        except Exception:
            logger.exception("execution %d failed inside the engine", execution.id)
            await self._record_crash(execution)
        finally:
            self._tasks.pop(execution.id, None)
            self._runs.pop(execution.id, None)
            self._cancelling.discard(execution.id)
            self._wakeup.set()

    async def _attempt(self, execution: Execution) -> None:
        async with self.sessions() as session:
            script = await scripts.read(session, execution.script_id, deleted=True)
            version = await scripts.version(session, execution.script_id, execution.script_version)
        recorder = OutputRecorder(
            self.sessions,
            self.broker,
            execution.id,
            execution.output_lines,
            self.settings.max_output_lines,
        )
        logger.info(
            "execution %d attempt %d running script %d version %d",
            execution.id,
            execution.attempt,
            script.script.id,
            version.version,
        )
        async with recorder:
            outcome = await self._execute(execution, script.script, version.source, recorder)
            retry_in = self._retry_delay(execution, script.script, outcome)
            if retry_in is not None:
                recorder.note(
                    f"attempt {execution.attempt} {outcome.state.value}: {outcome.reason}; "
                    f"attempt {execution.attempt + 1} in {retry_in:g} s"
                )
        if retry_in is None:
            await self._finish(execution, outcome)
        else:
            await self._requeue(execution, outcome, retry_in)

    async def _execute(
        self, execution: Execution, script: Script, source: str, recorder: OutputRecorder
    ) -> Outcome:
        if not script.enabled:
            return Outcome(RunState.CANCELLED, None, 0.0, reason="the script was disabled")
        executor = self._executors.get(ExecutorKind(script.executor))
        if executor is None:
            reason = f"no {script.executor} executor is available here"
            return Outcome(RunState.FAILED, None, 0.0, reason=reason)
        run = ScriptRun(
            source=source,
            parameters=execution.parameters,
            snapshot=execution.snapshot,
            limits=Limits(
                timeout_seconds=script.timeout_seconds,
                memory_mb=script.memory_mb,
                cpu_seconds=script.cpu_seconds,
            ),
        )
        if execution.id in self._cancelling or self._stopping:
            return Outcome(RunState.CANCELLED, None, 0.0, reason="cancelled as it started")
        task = self._runs[execution.id] = asyncio.create_task(executor.run(run, recorder.write))
        try:
            return await task
        except asyncio.CancelledError:
            # A run cancelled before its first step never reached the executor.
            if not task.cancelled():
                raise
            return Outcome(RunState.CANCELLED, None, 0.0, reason="cancelled as it started")

    def _retry_delay(self, execution: Execution, script: Script, outcome: Outcome) -> float | None:
        if outcome.state not in RETRIED or self._stopping:
            return None
        if execution.attempt > script.max_retries:
            return None
        backoff: float = self.settings.retry_backoff_seconds * 2.0 ** (execution.attempt - 1)
        return min(backoff, MAX_BACKOFF_SECONDS)

    async def _finish(self, execution: Execution, outcome: Outcome) -> None:
        reason = outcome.reason
        if outcome.state is RunState.CANCELLED and self._stopping:
            reason = "the server stopped while it ran"
        ending = Ending(State(outcome.state.value), outcome.exit_code, outcome.result, reason)
        async with self.sessions() as session:
            finished = await executions.finish(session, execution.id, self.worker, ending)
        if finished is None:
            logger.warning("execution %d was no longer ours to finish", execution.id)
            return
        logger.info(
            "execution %d %s after %.2f s: %s",
            execution.id,
            finished.state,
            outcome.duration,
            reason or "exit code 0",
        )
        await self._announce(finished)

    async def _requeue(self, execution: Execution, outcome: Outcome, delay: float) -> None:
        due = datetime.now(UTC) + timedelta(seconds=delay)
        reason = f"attempt {execution.attempt} {outcome.state.value}: {outcome.reason}"
        async with self.sessions() as session:
            queued = await executions.requeue(session, execution.id, self.worker, reason, due)
        if queued is None:
            return
        logger.warning("execution %d %s; retrying in %g s", execution.id, reason, delay)
        await self._announce(queued)
        asyncio.get_running_loop().call_later(delay, self._wakeup.set)

    async def _record_crash(self, execution: Execution) -> None:
        ending = Ending(State.CRASHED, reason="the engine failed while running it")
        with suppress(SQLAlchemyError):
            async with self.sessions() as session:
                crashed = await executions.finish(session, execution.id, self.worker, ending)
            if crashed is not None:
                await self._announce(crashed)
