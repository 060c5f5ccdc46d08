"""Types for alert rules, the alerts they record, and a manual check's outcome."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from saaslens.automation import alerts
from saaslens.data import models
from saaslens.data.queries import periods
from saaslens.schema.context import Info
from saaslens.schema.types.automation import Script, ScriptNotFound, load_script
from saaslens.schema.types.metrics import Granularity, MetricName
from saaslens.services import series

AlertCondition = strawberry.enum(
    alerts.Condition,
    description=(
        "ABOVE/BELOW: the newest period's value against the threshold. DEVIATION: further "
        "from the mean of the trailing periods than `deviations` sample standard deviations. "
        "LEAD_SCORE (no metric): an open lead's probability of being won, under the latest "
        "lead model, above the threshold."
    ),
)


@strawberry.type
class AlertSegment:
    plan: str | None
    country: str | None
    segment: str | None


async def _script(root: AlertRule, info: Info) -> Script | None:
    """The rule's script, read through the request's loader with its siblings'."""
    return None if root.script_id is None else await load_script(info, root.script_id)


async def _rule(root: Alert, info: Info) -> AlertRule:
    """The alert's rule, read through the request's loader with its siblings'."""
    row = await info.context.loaders.alert_rule.load(int(root.rule_id))
    if row is None:
        raise LookupError(f"alert {root.id} names no stored rule")
    return alert_rule_from(row)


@strawberry.type(description="A metric series, or the lead scores, watched on a cron schedule.")
class AlertRule:
    id: strawberry.ID
    name: str
    metric: MetricName | None = strawberry.field(  # type: ignore[valid-type]
        description="The metric watched; null for a lead score rule."
    )
    granularity: Granularity  # type: ignore[valid-type]
    segment: AlertSegment
    condition: AlertCondition  # type: ignore[valid-type]
    threshold: float | None
    deviations: float | None
    trailing_periods: int | None
    cron: str
    time_zone: str
    cooldown_seconds: int
    script_id: strawberry.ID | None
    enabled: bool
    last_fired_at: datetime | None
    created_at: datetime
    script: Script | None = strawberry.field(
        resolver=_script,
        description=(
            "The script it runs when it fires, or null. A deleted script still shows "
            "here, with deletedAt set, but is no longer run."
        ),
    )


@strawberry.type(description="One firing of a rule, with the metric snapshot its script got.")
class Alert:
    id: strawberry.ID
    rule_id: strawberry.ID
    fired_at: datetime
    value: float | None
    snapshot: JSON
    execution_id: strawberry.ID | None
    rule: AlertRule = strawberry.field(resolver=_rule, description="The rule that fired.")


@strawberry.type(description="What a check saw, and the alert it recorded if the rule fired.")
class AlertCheck:
    period: date | None
    value: float | None
    holds: bool = strawberry.field(description="Whether the condition holds.")
    mean: float | None
    std: float | None
    cooling_down: bool
    alert: Alert | None


@strawberry.input
class AlertSegmentInput:
    plan: str | None = None
    country: str | None = None
    segment: str | None = None


@strawberry.input
class CreateAlertRuleInput:
    name: str
    condition: AlertCondition  # type: ignore[valid-type]
    metric: MetricName | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Needed by every condition but LEAD_SCORE."
    )
    granularity: Granularity = periods.Granularity.MONTH  # type: ignore[valid-type]
    segment: AlertSegmentInput | None = None
    threshold: float | None = None
    deviations: float | None = None
    trailing_periods: int | None = None
    cron: str = strawberry.field(default="*/15 * * * *", description="When the rule is checked.")
    time_zone: str = "UTC"
    cooldown_seconds: int = 3600
    script_id: strawberry.ID | None = None


@strawberry.input(description="Settings left out stay as they are.")
class UpdateAlertRuleInput:
    name: str | None = None
    condition: AlertCondition | None = None  # type: ignore[valid-type]
    threshold: float | None = None
    deviations: float | None = None
    trailing_periods: int | None = None
    cron: str | None = None
    time_zone: str | None = None
    cooldown_seconds: int | None = None
    script_id: strawberry.ID | None = None


@strawberry.type
class AlertRuleInvalid:
    message: str


@strawberry.type
class AlertRuleNotFound:
    message: str


CreateAlertRuleResult = Annotated[
    AlertRule | AlertRuleInvalid | ScriptNotFound, strawberry.union("CreateAlertRuleResult")
]
UpdateAlertRuleResult = Annotated[
    AlertRule | AlertRuleInvalid | AlertRuleNotFound | ScriptNotFound,
    strawberry.union("UpdateAlertRuleResult"),
]
AlertRuleChangeResult = Annotated[
    AlertRule | AlertRuleNotFound, strawberry.union("AlertRuleChangeResult")
]
CheckAlertRuleResult = Annotated[
    AlertCheck | AlertRuleNotFound, strawberry.union("CheckAlertRuleResult")
]


def _id(value: int | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


def alert_rule_from(row: models.AlertRule) -> AlertRule:
    segment = row.segment_filter
    return AlertRule(
        id=strawberry.ID(str(row.id)),
        name=row.name,
        metric=None if row.metric is None else series.MetricName(row.metric),
        granularity=periods.Granularity(row.granularity),
        segment=AlertSegment(
            plan=segment.get("plan"),
            country=segment.get("country"),
            segment=segment.get("segment"),
        ),
        condition=alerts.Condition(row.condition),
        threshold=row.threshold,
        deviations=row.deviations,
        trailing_periods=row.trailing_periods,
        cron=row.cron,
        time_zone=row.time_zone,
        cooldown_seconds=row.cooldown_seconds,
        script_id=_id(row.script_id),
        enabled=row.enabled,
        last_fired_at=row.last_fired_at,
        created_at=row.created_at,
    )


def alert_from(row: models.Alert) -> Alert:
    return Alert(
        id=strawberry.ID(str(row.id)),
        rule_id=strawberry.ID(str(row.rule_id)),
        fired_at=row.fired_at,
        value=row.value,
        snapshot=JSON(row.snapshot),
        execution_id=_id(row.execution_id),
    )


def check_from(check: alerts.Check) -> AlertCheck:
    reading = check.reading
    return AlertCheck(
        period=reading.period,
        value=reading.value,
        holds=reading.holds,
        mean=reading.mean,
        std=reading.std,
        cooling_down=check.cooling_down,
        alert=alert_from(check.alert) if check.alert else None,
    )
