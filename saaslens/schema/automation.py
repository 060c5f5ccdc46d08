"""Root fields for automation: scripts, templates, executions and their live updates.

Authoring (create, update, delete, enable) is for admins, running and
cancelling for analysts, and reading and watching for viewers too; each
field takes its permission class where it is declared here.
"""

from __future__ import annotations

import strawberry

from saaslens.resolvers import automation
from saaslens.schema.connections import Connection
from saaslens.schema.types.automation import (
    CancelExecutionResult,
    CreateScriptFromTemplateResult,
    CreateScriptResult,
    Execution,
    ExecutionDetail,
    RunScriptResult,
    Script,
    ScriptChangeResult,
    ScriptDetail,
    Template,
    UpdateScriptResult,
)


@strawberry.type
class AutomationQuery:
    scripts: list[Script] = strawberry.field(
        resolver=automation.list_scripts, description="Scripts in id order."
    )
    script: ScriptDetail = strawberry.field(
        resolver=automation.script, description="One script with all its versions."
    )
    templates: list[Template] = strawberry.field(
        resolver=automation.templates, description="The templates that ship with saaslens."
    )
    executions: Connection[Execution] = strawberry.field(
        resolver=automation.list_executions, description="Executions, newest first."
    )
    execution: ExecutionDetail = strawberry.field(
        resolver=automation.execution, description="One execution with its output."
    )


@strawberry.type
class AutomationMutation:
    create_script: CreateScriptResult = strawberry.mutation(resolver=automation.create_script)
    update_script: UpdateScriptResult = strawberry.mutation(
        resolver=automation.update_script,
        description="Change settings in place; a different source becomes a new version.",
    )
    delete_script: ScriptChangeResult = strawberry.mutation(
        resolver=automation.delete_script,
        description="Hide the script and stop its runs; its history stays.",
    )
    set_script_enabled: ScriptChangeResult = strawberry.mutation(
        resolver=automation.set_script_enabled
    )
    create_script_from_template: CreateScriptFromTemplateResult = strawberry.mutation(
        resolver=automation.create_script_from_template,
        description="A new script from a template, the parameters baked in as its defaults.",
    )
    run_script: RunScriptResult = strawberry.mutation(
        resolver=automation.run_script,
        description="Queue a run of the newest version with checked parameters.",
    )
    cancel_execution: CancelExecutionResult = strawberry.mutation(
        resolver=automation.cancel_execution,
        description="A queued execution never starts; a running one is killed.",
    )


@strawberry.type
class AutomationSubscription:
    execution_updates = strawberry.subscription(
        resolver=automation.execution_updates,
        description=(
            "The state and output so far, then each state change and output line in "
            "order; ends when the execution finishes."
        ),
    )
    execution_state_changes = strawberry.subscription(
        resolver=automation.execution_state_changes,
        description="Every execution's state changes from now on, optionally filtered.",
    )
