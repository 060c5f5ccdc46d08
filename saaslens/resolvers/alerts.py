"""Alert rules: store the change, then bring the running scheduler's checks in line."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from saaslens.automation import alerts
from saaslens.automation import exceptions as problems
from saaslens.automation.alerting import alert_feed
from saaslens.automation.alerts import RuleChanges, RuleSpec
from saaslens.errors import InvalidInput
from saaslens.resolvers.arguments import stored_id
from saaslens.schema.context import Info
from saaslens.schema.types.alerts import (
    Alert,
    AlertRule,
    AlertRuleChangeResult,
    AlertRuleInvalid,
    AlertRuleNotFound,
    AlertSegmentInput,
    CheckAlertRuleResult,
    CreateAlertRuleInput,
    CreateAlertRuleResult,
    UpdateAlertRuleInput,
    UpdateAlertRuleResult,
    alert_from,
    alert_rule_from,
    check_from,
)
from saaslens.schema.types.automation import ScriptNotFound

MAX_ALERTS = 500


def _segment(given: AlertSegmentInput | None) -> dict[str, str]:
    if given is None:
        return {}
    named = {"plan": given.plan, "country": given.country, "segment": given.segment}
    return {key: value for key, value in named.items() if value is not None}


def _optionalstored_id(id: strawberry.ID | None) -> int | None:
    return None if id is None else stored_id(id)


async def alert_rules(info: Info) -> list[AlertRule]:
    async with info.context.db() as session:
        rows = await alerts.listing(session)
    return [alert_rule_from(row) for row in rows]


async def list_alerts(
    info: Info, rule_id: strawberry.ID | None = None, last: int = 50
) -> list[Alert]:
    if not 1 <= last <= MAX_ALERTS:
        raise InvalidInput(f"`last` must be 1 to {MAX_ALERTS}")
    async with info.context.db() as session:
        rows = await alerts.alerts(session, _optionalstored_id(rule_id), last)
    return [alert_from(row) for row in rows]


async def create_alert_rule(info: Info, input: CreateAlertRuleInput) -> CreateAlertRuleResult:
    spec = RuleSpec(
        name=input.name,
        metric=input.metric,
        condition=input.condition,
        granularity=input.granularity,
        segment=_segment(input.segment),
        threshold=input.threshold,
        deviations=input.deviations,
        trailing_periods=input.trailing_periods,
        cron=input.cron,
        time_zone=input.time_zone,
        cooldown_seconds=input.cooldown_seconds,
        script_id=_optionalstored_id(input.script_id),
    )
    try:
        async with info.context.db() as session:
            row = await alerts.create(session, spec, info.context.clock())
    except problems.InvalidAlertRule as error:
        return AlertRuleInvalid(message=error.message)
    except problems.ScriptNotFound as error:
        return ScriptNotFound(message=error.message)
    await info.context.scheduler.sync_rule(row.id)
    return alert_rule_from(row)


async def update_alert_rule(
    info: Info, id: strawberry.ID, input: UpdateAlertRuleInput
) -> UpdateAlertRuleResult:
    changes = RuleChanges(
        name=input.name,
        condition=input.condition,
        threshold=input.threshold,
        deviations=input.deviations,
        trailing_periods=input.trailing_periods,
        cron=input.cron,
        time_zone=input.time_zone,
        cooldown_seconds=input.cooldown_seconds,
        script_id=_optionalstored_id(input.script_id),
    )
    try:
        async with info.context.db() as session:
            row = await alerts.change(session, stored_id(id), changes)
    except problems.InvalidAlertRule as error:
        return AlertRuleInvalid(message=error.message)
    except problems.AlertRuleNotFound as error:
        return AlertRuleNotFound(message=error.message)
    except problems.ScriptNotFound as error:
        return ScriptNotFound(message=error.message)
    await info.context.scheduler.sync_rule(row.id)
    return alert_rule_from(row)


async def set_alert_rule_enabled(
    info: Info, id: strawberry.ID, enabled: bool
) -> AlertRuleChangeResult:
    try:
        async with info.context.db() as session:
            row = await alerts.set_enabled(session, stored_id(id), enabled)
    except problems.AlertRuleNotFound as error:
        return AlertRuleNotFound(message=error.message)
    await info.context.scheduler.sync_rule(row.id)
    return alert_rule_from(row)


async def delete_alert_rule(info: Info, id: strawberry.ID) -> AlertRuleChangeResult:
    try:
        async with info.context.db() as session:
            row = await alerts.remove(session, stored_id(id))
    except problems.AlertRuleNotFound as error:
        return AlertRuleNotFound(message=error.message)
    await info.context.scheduler.sync_rule(row.id)
    return alert_rule_from(row)


async def evaluate_alert_rule(info: Info, id: strawberry.ID) -> CheckAlertRuleResult:
    try:
        check = await info.context.scheduler.alerting.check(stored_id(id))
    except problems.AlertRuleNotFound as error:
        return AlertRuleNotFound(message=error.message)
    return check_from(check)


async def alert_updates(
    info: Info, rule_id: strawberry.ID | None = None
) -> AsyncGenerator[Alert, None]:
    engine = info.context.engine
    async with info.context.subscription(info.operation):
        async for alert in alert_feed(engine.sessions, engine.broker, _optionalstored_id(rule_id)):
            yield alert_from(alert)
