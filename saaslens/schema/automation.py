"""Root fields for automation: scripts, templates, executions and their live updates.

Authoring (create, update, delete, enable) is for admins, running and
cancelling for analysts, and reading and watching for viewers too.
"""

from __future__ import annotations

import strawberry

from saaslens.resolvers import automation
from saaslens.schema.connections import Connection
from saaslens.schema.permissions import IsAdmin, IsAnalyst, IsViewer, needs
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
        resolver=automation.list_scripts,
        extensions=needs(IsViewer),
        description="Scripts in id order.",
    )
    script: ScriptDetail = strawberry.field(
        resolver=automation.script,
        extensions=needs(IsViewer),
        description="One script with all its versions.",
    )
    templates: list[Template] = strawberry.field(
        resolver=automation.templates,
        extensions=needs(IsViewer),
        description="The templates that ship with saaslens.",
    )
    executions: Connection[Execution] = strawberry.field(
        resolver=automation.list_executions,
        extensions=needs(IsViewer),
        description="Executions, newest first.",
    )
    execution: ExecutionDetail = strawberry.field(
        resolver=automation.execution,
        extensions=needs(IsViewer),
        description="One execution with its output.",
    )


@strawberry.type
class AutomationMutation:
    create_script: CreateScriptResult = strawberry.mutation(
        resolver=automation.create_script, extensions=needs(IsAdmin)
    )
    update_script: UpdateScriptResult = strawberry.mutation(
        resolver=automation.update_script,
        extensions=needs(IsAdmin),
        description="Change settings in place; a different source becomes a new version.",
    )
    delete_script: ScriptChangeResult = strawberry.mutation(
        resolver=automation.delete_script,
        extensions=needs(IsAdmin),
        description="Hide the script and stop its runs; its history stays.",
    )
    set_script_enabled: ScriptChangeResult = strawberry.mutation(
        resolver=automation.set_script_enabled, extensions=needs(IsAdmin)
    )
    create_script_from_template: CreateScriptFromTemplateResult = strawberry.mutation(
        resolver=automation.create_script_from_template,
        extensions=needs(IsAdmin),
        description="A new script from a template, the parameters baked in as its defaults.",
    )
    run_script: RunScriptResult = strawberry.mutation(
        resolver=automation.run_script,
        extensions=needs(IsAnalyst),
        description="Queue a run of the newest version with checked parameters.",
    )
    cancel_execution: CancelExecutionResult = strawberry.mutation(
        resolver=automation.cancel_execution,
        extensions=needs(IsAnalyst),
        description="A queued execution never starts; a running one is killed.",
    )


@strawberry.type
class AutomationSubscription:
    execution_updates = strawberry.subscription(
        resolver=automation.execution_updates,
        extensions=needs(IsViewer),
        description=(
            "The state and output so far, then each state change and output line in "
            "order; ends when the execution finishes."
        ),
    )
    execution_state_changes = strawberry.subscription(
        resolver=automation.execution_state_changes,
        extensions=needs(IsViewer),
        description="Every execution's state changes from now on, optionally filtered.",
    )
