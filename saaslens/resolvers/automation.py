"""Scripts, templates and executions: call the automation layer, map to GraphQL types.

Mutations return expected outcomes (invalid input, not found, disabled) as
members of their result union; queries raise them as coded errors.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.scalars import JSON

from saaslens.automation import catalog, executions, scripts, updates
from saaslens.automation import exceptions as problems
from saaslens.automation.scripts import ExecutorKind, ScriptChanges, ScriptSettings
from saaslens.resolvers.arguments import json_object, stored_id
from saaslens.schema.connections import Connection, build_connection, decode_cursor, page_size
from saaslens.schema.context import Info
from saaslens.schema.types.automation import (
    CancelExecutionResult,
    CreateScriptFromTemplateResult,
    CreateScriptInput,
    CreateScriptResult,
    Execution,
    ExecutionDetail,
    ExecutionFilterInput,
    ExecutionNotFound,
    ExecutionState,
    ExecutionStateChange,
    ExecutionUpdate,
    ParametersInvalid,
    RunScriptResult,
    Script,
    ScriptChangeResult,
    ScriptDetail,
    ScriptDisabled,
    ScriptInvalid,
    ScriptNotFound,
    Template,
    TemplateNotFound,
    UpdateScriptInput,
    UpdateScriptResult,
    execution_detail_from,
    execution_from,
    script_detail_from,
    script_from,
    state_change_from,
    states_from,
    template_from,
    update_from,
)


def _who(info: Info) -> str | None:
    viewer = info.context.viewer
    return viewer.user.id if viewer is not None else None


def _invalid_script(error: problems.InvalidScript) -> ScriptInvalid:
    line = error.details.get("line")
    return ScriptInvalid(message=error.message, line=line if isinstance(line, int) else None)


async def list_scripts(info: Info, include_deleted: bool = False) -> list[Script]:
    async with info.context.db() as session:
        stored = await scripts.listing(session, include_deleted)
    return [script_from(row) for row in stored]


async def script(info: Info, id: strawberry.ID) -> ScriptDetail:
    async with info.context.db() as session:
        stored = await scripts.read(session, stored_id(id), deleted=True)
        versions = await scripts.versions(session, stored.script.id)
    return script_detail_from(stored, versions)


def templates() -> list[Template]:
    return [template_from(template) for template in catalog.templates()]


async def create_script(info: Info, input: CreateScriptInput) -> CreateScriptResult:
    settings = ScriptSettings(
        name=input.name,
        description=input.description,
        executor=ExecutorKind(input.executor.value),
        timeout_seconds=input.timeout_seconds,
        memory_mb=input.memory_mb,
        cpu_seconds=input.cpu_seconds,
        max_retries=input.max_retries,
        parameters_schema=json_object(input.parameters_schema, "parametersSchema") or {},
    )
    try:
        async with info.context.db() as session:
            stored = await scripts.create(session, input.source, settings, _who(info))
    except problems.InvalidScript as error:
        return _invalid_script(error)
    return script_from(stored)


async def update_script(
    info: Info, id: strawberry.ID, input: UpdateScriptInput
) -> UpdateScriptResult:
    changes = ScriptChanges(
        source=input.source,
        name=input.name,
        description=input.description,
        executor=ExecutorKind(input.executor.value) if input.executor else None,
        timeout_seconds=input.timeout_seconds,
        memory_mb=input.memory_mb,
        cpu_seconds=input.cpu_seconds,
        max_retries=input.max_retries,
        parameters_schema=json_object(input.parameters_schema, "parametersSchema"),
    )
    try:
        async with info.context.db() as session:
            stored = await scripts.update(session, stored_id(id), changes, _who(info))
    except problems.InvalidScript as error:
        return _invalid_script(error)
    except problems.ScriptNotFound as error:
        return ScriptNotFound(message=error.message)
    return script_from(stored)


async def delete_script(info: Info, id: strawberry.ID) -> ScriptChangeResult:
    try:
        async with info.context.db() as session:
            stored = await scripts.delete(session, stored_id(id))
    except problems.ScriptNotFound as error:
        return ScriptNotFound(message=error.message)
    return script_from(stored)


async def set_script_enabled(info: Info, id: strawberry.ID, enabled: bool) -> ScriptChangeResult:
    try:
        async with info.context.db() as session:
            stored = await scripts.set_enabled(session, stored_id(id), enabled)
    except problems.ScriptNotFound as error:
        return ScriptNotFound(message=error.message)
    return script_from(stored)


async def create_script_from_template(
    info: Info, template: str, parameters: JSON, name: str | None = None
) -> CreateScriptFromTemplateResult:
    try:
        async with info.context.db() as session:
            given = json_object(parameters, "parameters") or {}
            stored = await catalog.instantiate(session, template, given, name, _who(info))
    except problems.InvalidParameters as error:
        return ParametersInvalid(message=error.message, problems=error.problems)
    except problems.TemplateNotFound as error:
        return TemplateNotFound(message=error.message)
    except problems.InvalidScript as error:
        return _invalid_script(error)
    return script_from(stored)


async def run_script(
    info: Info, script_id: strawberry.ID, parameters: JSON | None = None
) -> RunScriptResult:
    try:
        given = json_object(parameters, "parameters") or {}
        execution = await info.context.engine.submit(
            stored_id(script_id), given, requested_by=_who(info)
        )
    except problems.InvalidParameters as error:
        return ParametersInvalid(message=error.message, problems=error.problems)
    except problems.ScriptNotFound as error:
        return ScriptNotFound(message=error.message)
    except problems.ScriptDisabled as error:
        return ScriptDisabled(message=error.message)
    return execution_from(execution)


async def cancel_execution(info: Info, id: strawberry.ID) -> CancelExecutionResult:
    try:
        execution = await info.context.engine.cancel(stored_id(id))
    except problems.ExecutionNotFound as error:
        return ExecutionNotFound(message=error.message)
    return execution_from(execution)


async def list_executions(
    info: Info,
    first: int = 20,
    after: str | None = None,
    filter: ExecutionFilterInput | None = None,
) -> Connection[Execution]:
    limit = page_size(first, info.context.settings)
    cursor = decode_cursor(after)
    where = executions.ExecutionFilter(
        script_id=stored_id(filter.script_id) if filter and filter.script_id else None,
        states=states_from(filter.states if filter else None),
    )
    async with info.context.db() as session:
        rows, total = await executions.page(
            session, where, stored_id(strawberry.ID(cursor)) if cursor else None, limit + 1
        )
    return build_connection(rows, limit, total, lambda row: str(row.id), execution_from)


async def execution(info: Info, id: strawberry.ID) -> ExecutionDetail:
    async with info.context.db() as session:
        row = await executions.read(session, stored_id(id))
        output = await executions.output(session, row.id)
    return execution_detail_from(row, output)


async def execution_updates(
    info: Info, id: strawberry.ID
) -> AsyncGenerator[ExecutionUpdate, None]:
    engine = info.context.engine
    async with info.context.subscription(info.operation):
        stream = updates.follow(engine.sessions, engine.broker, stored_id(id))
        async for update in stream:
            yield update_from(update)


async def execution_state_changes(
    info: Info,
    script_id: strawberry.ID | None = None,
    states: list[ExecutionState] | None = None,
) -> AsyncGenerator[ExecutionStateChange, None]:
    engine = info.context.engine
    script = stored_id(script_id) if script_id is not None else None
    async with info.context.subscription(info.operation):
        stream = updates.feed(engine.sessions, engine.broker, script, states_from(states))
        async for change in stream:
            yield state_change_from(change)
