"""Types for automation: scripts and their versions, templates, executions and updates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Annotated, Protocol

import strawberry
from strawberry.scalars import JSON

from saaslens.automation import catalog, executions, scripts, updates
from saaslens.data import models
from saaslens.schema.context import Info


@strawberry.enum
class ScriptExecutor(Enum):
    SUBPROCESS = "subprocess"
    DOCKER = "docker"


@strawberry.enum(description="Where an execution is; all but QUEUED and RUNNING are final.")
class ExecutionState(Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    CANCELLED = "CANCELLED"
    CRASHED = strawberry.enum_value(
        "CRASHED", description="The process running it died or restarted."
    )


@strawberry.type
class ScriptVersion:
    version: int
    source: str
    created_at: datetime
    created_by: str | None


@strawberry.type
class Script:
    id: strawberry.ID
    name: str
    description: str
    enabled: bool
    executor: ScriptExecutor
    timeout_seconds: float
    memory_mb: int
    cpu_seconds: int
    max_retries: int
    parameters_schema: JSON = strawberry.field(
        description="JSON Schema that run parameters must satisfy; defaults fill gaps."
    )
    template: str | None
    version: int = strawberry.field(description="The newest version, the one runs use.")
    source: str = strawberry.field(description="The source of the newest version.")
    created_at: datetime
    deleted_at: datetime | None


@strawberry.type(description="A script with every version, newest first.")
class ScriptDetail(Script):
    versions: list[ScriptVersion]


@strawberry.type
class Template:
    name: str
    title: str
    description: str
    parameters_schema: JSON
    source: str
    timeout_seconds: float
    memory_mb: int
    cpu_seconds: int


@strawberry.type
class LogLine:
    seq: int = strawberry.field(description="Line number within the execution, from 1.")
    stream: str = strawberry.field(description="stdout, stderr, or saaslens for our notes.")
    line: str
    logged_at: datetime


class NamesScript(Protocol):
    script_id: strawberry.ID


async def load_script(info: Info, script_id: strawberry.ID) -> Script:
    """A script, deleted ones too, read through the request's loader with its siblings'."""
    stored = await info.context.loaders.script.load(int(script_id))
    if stored is None:
        raise LookupError(f"script {script_id} is not stored")
    return script_from(stored)


async def named_script(root: NamesScript, info: Info) -> Script:
    """The script a record names."""
    return await load_script(info, root.script_id)


@strawberry.type
class Execution:
    id: strawberry.ID
    script_id: strawberry.ID
    script_version: int
    trigger: str
    state: ExecutionState
    attempt: int
    parameters: JSON
    snapshot: JSON | None
    result: JSON | None
    exit_code: int | None
    reason: str | None
    requested_by: str | None
    worker: str | None = strawberry.field(description="host:pid of the process that ran it.")
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    output_lines: int
    output_truncated: bool
    script: Script = strawberry.field(
        resolver=named_script, description="The script it ran, even if since deleted."
    )


@strawberry.type(description="An execution with every stored output line.")
class ExecutionDetail(Execution):
    output: list[LogLine]


@strawberry.type(description="The execution entered `state`; `execution` is how it stands now.")
class ExecutionStateChange:
    state: ExecutionState
    execution: Execution


@strawberry.type(description="Output lines, in order, following those sent before.")
class ExecutionOutput:
    lines: list[LogLine]


ExecutionUpdate = Annotated[
    ExecutionStateChange | ExecutionOutput, strawberry.union("ExecutionUpdate")
]


@strawberry.input
class CreateScriptInput:
    name: str
    source: str
    description: str = ""
    executor: ScriptExecutor = ScriptExecutor.SUBPROCESS
    timeout_seconds: float = 60.0
    memory_mb: int = 256
    cpu_seconds: int = 30
    max_retries: int = 0
    parameters_schema: JSON | None = None


@strawberry.input(description="Fields left out keep their value; a new source makes a version.")
class UpdateScriptInput:
    name: str | None = None
    source: str | None = None
    description: str | None = None
    executor: ScriptExecutor | None = None
    timeout_seconds: float | None = None
    memory_mb: int | None = None
    cpu_seconds: int | None = None
    max_retries: int | None = None
    parameters_schema: JSON | None = None


@strawberry.input
class ExecutionFilterInput:
    script_id: strawberry.ID | None = None
    states: list[ExecutionState] | None = None


@strawberry.type(description="The source does not compile, or a setting is out of range.")
class ScriptInvalid:
    message: str
    line: int | None = None


@strawberry.type
class ScriptNotFound:
    message: str


@strawberry.type
class ScriptDisabled:
    message: str


@strawberry.type
class TemplateNotFound:
    message: str


@strawberry.type
class ExecutionNotFound:
    message: str


@strawberry.type(description="Parameters that do not satisfy the JSON Schema.")
class ParametersInvalid:
    message: str
    problems: list[str]


CreateScriptResult = Annotated[Script | ScriptInvalid, strawberry.union("CreateScriptResult")]
UpdateScriptResult = Annotated[
    Script | ScriptInvalid | ScriptNotFound, strawberry.union("UpdateScriptResult")
]
ScriptChangeResult = Annotated[Script | ScriptNotFound, strawberry.union("ScriptChangeResult")]
CreateScriptFromTemplateResult = Annotated[
    Script | ParametersInvalid | TemplateNotFound | ScriptInvalid,
    strawberry.union("CreateScriptFromTemplateResult"),
]
RunScriptResult = Annotated[
    Execution | ParametersInvalid | ScriptNotFound | ScriptDisabled,
    strawberry.union("RunScriptResult"),
]
CancelExecutionResult = Annotated[
    Execution | ExecutionNotFound, strawberry.union("CancelExecutionResult")
]


def script_from(stored: scripts.StoredScript) -> Script:
    row = stored.script
    return Script(
        id=strawberry.ID(str(row.id)),
        name=row.name,
        description=row.description,
        enabled=row.enabled,
        executor=ScriptExecutor(row.executor),
        timeout_seconds=row.timeout_seconds,
        memory_mb=row.memory_mb,
        cpu_seconds=row.cpu_seconds,
        max_retries=row.max_retries,
        parameters_schema=JSON(row.parameters_schema),
        template=row.template,
        version=stored.latest.version,
        source=stored.latest.source,
        created_at=row.created_at,
        deleted_at=row.deleted_at,
    )


def script_detail_from(
    stored: scripts.StoredScript, versions: Sequence[models.ScriptVersion]
) -> ScriptDetail:
    history = [
        ScriptVersion(
            version=row.version,
            source=row.source,
            created_at=row.created_at,
            created_by=row.created_by,
        )
        for row in versions
    ]
    return ScriptDetail(**vars(script_from(stored)), versions=history)


def template_from(template: catalog.Template) -> Template:
    return Template(
        name=template.name,
        title=template.title,
        description=template.description,
        parameters_schema=JSON(template.parameters_schema),
        source=template.source,
        timeout_seconds=template.timeout_seconds,
        memory_mb=template.memory_mb,
        cpu_seconds=template.cpu_seconds,
    )


def log_line_from(row: models.ExecutionLog) -> LogLine:
    return LogLine(seq=row.seq, stream=row.stream, line=row.line, logged_at=row.logged_at)


def execution_from(row: models.Execution) -> Execution:
    duration = None
    if row.started_at is not None and row.finished_at is not None:
        duration = (row.finished_at - row.started_at).total_seconds()
    return Execution(
        id=strawberry.ID(str(row.id)),
        script_id=strawberry.ID(str(row.script_id)),
        script_version=row.script_version,
        trigger=row.trigger,
        state=ExecutionState(row.state),
        attempt=row.attempt,
        parameters=JSON(row.parameters),
        snapshot=None if row.snapshot is None else JSON(row.snapshot),
        result=None if row.result is None else JSON(row.result),
        exit_code=row.exit_code,
        reason=row.reason,
        requested_by=row.requested_by,
        worker=row.worker,
        queued_at=row.queued_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        duration_seconds=duration,
        output_lines=row.output_lines,
        output_truncated=row.output_truncated,
    )


def execution_detail_from(
    row: models.Execution, output: Sequence[models.ExecutionLog]
) -> ExecutionDetail:
    lines = [log_line_from(line) for line in output]
    return ExecutionDetail(**vars(execution_from(row)), output=lines)


def update_from(update: updates.Update) -> ExecutionStateChange | ExecutionOutput:
    if isinstance(update, updates.Output):
        return ExecutionOutput(lines=[log_line_from(line) for line in update.lines])
    return state_change_from(update)


def state_change_from(change: updates.StateChange) -> ExecutionStateChange:
    return ExecutionStateChange(
        state=ExecutionState(change.state.value), execution=execution_from(change.execution)
    )


def states_from(given: list[ExecutionState] | None) -> list[executions.State]:
    return [executions.State(state.value) for state in given or []]
