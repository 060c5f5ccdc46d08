"""Alert rules: watch a metric series or the lead scores, and say so when a line is crossed.

A metric rule names a metric, a granularity and a segment, and a condition
on the newest period (which may still be running): above or below a
threshold, or further from the mean of the `trailing_periods` before it
than `deviations` sample standard deviations. A lead score rule has no
metric: it holds when any open lead's probability of being won, under the
latest lead model, is above its threshold. A rule that holds, outside its
cool-down, records an alert with the snapshot and queues its script with
that snapshot as input (trigger "alert"). Rules are checked on their own
cron schedule by the scheduler, or on demand.

When a rule on a churn metric fires, its snapshot also lists the customers
at risk (see analytics/churn_risk); a lead score rule's lists the leads
above the line.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.analytics.lead_scoring import ScoredLead
from saaslens.automation import schedules, scripts
from saaslens.automation.exceptions import AlertRuleNotFound, InvalidAlertRule, InvalidSchedule
from saaslens.automation.schedules import ScheduleKind, ScheduleSpec
from saaslens.data.buckets import date_of_day, day_number
from saaslens.data.models import Alert, AlertRule
from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.data.queries.segments import Segment
from saaslens.services.churn_risk import ChurnRiskQuestion, ChurnRiskRunner
from saaslens.services.leads import latest_lead_model, lead_scores
from saaslens.services.runner import Scope
from saaslens.services.series import MetricName, Point, metric_series

MAX_TRAILING_PERIODS = 120


class Condition(StrEnum):
    ABOVE = "above"
    BELOW = "below"
    DEVIATION = "deviation"
    LEAD_SCORE = "lead_score"


METRIC_CONDITIONS = (Condition.ABOVE, Condition.BELOW, Condition.DEVIATION)
# Rules on these metrics name the customers at risk when they fire.
CHURN_METRICS = (
    MetricName.CUSTOMER_CHURN_RATE,
    MetricName.GROSS_MRR_CHURN_RATE,
    MetricName.NET_MRR_CHURN_RATE,
    MetricName.CHURNED_MRR,
)


@dataclass(frozen=True, slots=True)
class RuleSpec:
    name: str
    metric: MetricName | None
    condition: Condition
    granularity: Granularity = Granularity.MONTH
    segment: Mapping[str, str] = field(default_factory=dict)
    threshold: float | None = None
    deviations: float | None = None
    trailing_periods: int | None = None
    cron: str = "*/15 * * * *"
    time_zone: str = "UTC"
    cooldown_seconds: int = 3600
    script_id: int | None = None


@dataclass(frozen=True, slots=True)
class RuleChanges:
    """An update: None leaves a setting as it is."""

    name: str | None = None
    condition: Condition | None = None
    threshold: float | None = None
    deviations: float | None = None
    trailing_periods: int | None = None
    cron: str | None = None
    time_zone: str | None = None
    cooldown_seconds: int | None = None
    script_id: int | None = None

    def applied_to(self, spec: RuleSpec) -> RuleSpec:
        given = {
            item.name: getattr(self, item.name)
            for item in fields(self)
            if getattr(self, item.name) is not None
        }
        return replace(spec, **given)


@dataclass(frozen=True, slots=True)
class Reading:
    """What a check saw: the newest period's value and whether the condition holds."""

    period: date | None
    value: float | None
    holds: bool
    mean: float | None = None
    std: float | None = None


@dataclass(frozen=True, slots=True)
class Check:
    """A check's outcome: the reading, and the alert it recorded if the rule fired."""

    reading: Reading
    snapshot: dict[str, Any]
    cooling_down: bool
    alert: Alert | None


def spec_of(row: AlertRule) -> RuleSpec:
    return RuleSpec(
        name=row.name,
        metric=None if row.metric is None else MetricName(row.metric),
        condition=Condition(row.condition),
        granularity=Granularity(row.granularity),
        segment=dict(row.segment_filter),
        threshold=row.threshold,
        deviations=row.deviations,
        trailing_periods=row.trailing_periods,
        cron=row.cron,
        time_zone=row.time_zone,
        cooldown_seconds=row.cooldown_seconds,
        script_id=row.script_id,
    )


def evaluation_schedule(spec: RuleSpec) -> ScheduleSpec:
    """When the rule is checked, as a schedule the scheduler understands."""
    return ScheduleSpec(0, ScheduleKind.CRON, cron=spec.cron, time_zone=spec.time_zone)


def read_series(values: Sequence[Point], spec: RuleSpec) -> Reading:
    """Judge the newest point against the condition; periods with no value are left out."""
    known = [point for point in values if point.value is not None]
    if not known:
        return Reading(None, None, False)
    newest = known[-1]
    value = newest.value
    assert value is not None
    if spec.condition is Condition.ABOVE:
        return Reading(newest.start, value, value > _number(spec.threshold))
    if spec.condition is Condition.BELOW:
        return Reading(newest.start, value, value < _number(spec.threshold))
    trailing = [point.value for point in known[:-1] if point.value is not None]
    trailing = trailing[-(spec.trailing_periods or 0) :]
    if len(trailing) < 2:
        return Reading(newest.start, value, False)
    mean = statistics.fmean(trailing)
    std = statistics.stdev(trailing)
    holds = abs(value - mean) > _number(spec.deviations) * std
    return Reading(newest.start, value, holds, mean, std)


def _number(value: float | None) -> float:
    assert value is not None, "checked when the rule was saved"
    return value


def _check(spec: RuleSpec) -> None:
    if spec.condition in METRIC_CONDITIONS and spec.metric is None:
        raise InvalidAlertRule(f"a {spec.condition} condition needs a metric")
    if spec.condition is Condition.LEAD_SCORE:
        if spec.metric is not None or spec.segment:
            raise InvalidAlertRule("a lead score condition watches leads, not a metric or segment")
        if spec.threshold is None or not 0 <= spec.threshold < 1:
            raise InvalidAlertRule("a lead score condition needs a threshold from 0 to below 1")
    if spec.condition in (Condition.ABOVE, Condition.BELOW) and spec.threshold is None:
        raise InvalidAlertRule(f"an {spec.condition} condition needs a threshold")
    if spec.condition is Condition.DEVIATION:
        if spec.deviations is None or spec.deviations <= 0:
            raise InvalidAlertRule("a deviation condition needs a positive number of deviations")
        if not spec.trailing_periods or not 2 <= spec.trailing_periods <= MAX_TRAILING_PERIODS:
            raise InvalidAlertRule(
                f"a deviation condition compares with 2 to {MAX_TRAILING_PERIODS} trailing periods"
            )
    if spec.cooldown_seconds < 0:
        raise InvalidAlertRule("the cool-down cannot be negative")
    unknown = set(spec.segment) - {"plan", "country", "segment"}
    if unknown:
        raise InvalidAlertRule(f"segments filter by plan, country or segment, not {unknown}")
    try:
        schedules.trigger_for(evaluation_schedule(spec), datetime.now().astimezone())
    except InvalidSchedule as error:
        raise InvalidAlertRule(error.message) from None


async def create(session: AsyncSession, spec: RuleSpec, now: datetime) -> AlertRule:
    _check(spec)
    if spec.script_id is not None:
        await scripts.read(session, spec.script_id)
    row = AlertRule(created_at=now, enabled=True)
    _write(row, spec)
    session.add(row)
    await session.commit()
    return row


def _write(row: AlertRule, spec: RuleSpec) -> None:
    row.name = spec.name
    row.metric = None if spec.metric is None else spec.metric.value
    row.granularity = spec.granularity.value
    row.segment_filter = dict(spec.segment)
    row.condition = spec.condition.value
    row.threshold = spec.threshold
    row.deviations = spec.deviations
    row.trailing_periods = spec.trailing_periods
    row.cron = spec.cron
    row.time_zone = spec.time_zone
    row.cooldown_seconds = spec.cooldown_seconds
    row.script_id = spec.script_id


async def read(session: AsyncSession, rule_id: int) -> AlertRule:
    row = await session.get(AlertRule, rule_id)
    if row is None:
        raise AlertRuleNotFound(f"no alert rule has id {rule_id}")
    return row


async def listing(session: AsyncSession) -> list[AlertRule]:
    return list((await session.scalars(select(AlertRule).order_by(AlertRule.id))).all())


async def by_ids(session: AsyncSession, rule_ids: Sequence[int]) -> list[AlertRule]:
    """The rules of `rule_ids`, for the alerts that name them."""
    rows = await session.scalars(select(AlertRule).where(AlertRule.id.in_(rule_ids)))
    return list(rows.all())


async def change(session: AsyncSession, rule_id: int, changes: RuleChanges) -> AlertRule:
    row = await read(session, rule_id)
    spec = changes.applied_to(spec_of(row))
    _check(spec)
    if changes.script_id is not None:
        await scripts.read(session, changes.script_id)
    _write(row, spec)
    await session.commit()
    return row


async def set_enabled(session: AsyncSession, rule_id: int, enabled: bool) -> AlertRule:
    row = await read(session, rule_id)
    row.enabled = enabled
    await session.commit()
    return row


async def remove(session: AsyncSession, rule_id: int) -> AlertRule:
    """Delete the rule and the alerts it recorded, which mean nothing without it."""
    row = await read(session, rule_id)
    await session.execute(delete(Alert).where(Alert.rule_id == rule_id))
    await session.delete(row)
    await session.commit()
    return row


async def alerts(session: AsyncSession, rule_id: int | None, limit: int) -> list[Alert]:
    query = select(Alert).order_by(Alert.id.desc()).limit(limit)
    if rule_id is not None:
        query = query.where(Alert.rule_id == rule_id)
    return list((await session.scalars(query)).all())


async def read_alert(session: AsyncSession, alert_id: int) -> Alert:
    row = await session.get(Alert, alert_id)
    assert row is not None, "alerts are only deleted with their rule"
    return row


def segment_of(spec: RuleSpec) -> Segment:
    return Segment(
        plan=spec.segment.get("plan"),
        country=spec.segment.get("country"),
        segment=spec.segment.get("segment"),
    )


def scope_of(spec: RuleSpec, today: date) -> Scope:
    """The newest period holding `today`, with the trailing periods before it."""
    back = spec.trailing_periods or 0
    newest = spec.granularity.key_of_day(day_number(today))
    start = date_of_day(spec.granularity.first_day(newest - back))
    return Scope(DateRange(start, today), spec.granularity, segment_of(spec))


async def measure(
    session: AsyncSession, row: AlertRule, now: datetime, reporting_zone: str
) -> tuple[Reading, dict[str, Any]]:
    """Judge the rule as of `now`; the reading, and the snapshot a script gets."""
    spec = spec_of(row)
    header = {"rule": {"id": row.id, "name": row.name}, "condition": spec.condition.value}
    if spec.metric is None:
        reading, details = await _measure_leads(session, spec)
    else:
        today = now.astimezone(ZoneInfo(reporting_zone)).date()
        reading, details = await _measure_metric(session, spec, spec.metric, today)
    return reading, header | details | {"checked_at": now.isoformat()}


async def _measure_metric(
    session: AsyncSession, spec: RuleSpec, metric: MetricName, today: date
) -> tuple[Reading, dict[str, Any]]:
    found = await metric_series(session, metric, scope_of(spec, today))
    points = found[0].points if found else []
    reading = read_series(points, spec)
    return reading, {
        "metric": metric.value,
        "granularity": spec.granularity.value,
        "segment": dict(spec.segment),
        "threshold": spec.threshold,
        "deviations": spec.deviations,
        "period": reading.period.isoformat() if reading.period else None,
        "value": reading.value,
        "mean": reading.mean,
        "std": reading.std,
        "points": [{"start": point.start.isoformat(), "value": point.value} for point in points],
    }


async def _measure_leads(session: AsyncSession, spec: RuleSpec) -> tuple[Reading, dict[str, Any]]:
    """The open leads above the line under the latest model; none fire without a model."""
    model = await latest_lead_model(session)
    scored = await lead_scores(session)
    line = _number(spec.threshold)
    above = [lead for lead in scored if lead.probability > line]
    best = scored[0].probability if scored else None
    return Reading(None, best, bool(above)), {
        "threshold": line,
        "model_version": None if model is None else model.version,
        "value": best,
        "leads": [_lead_entry(lead) for lead in above],
    }


def _lead_entry(lead: ScoredLead) -> dict[str, Any]:
    drivers = [
        {"feature": driver.feature, "value": driver.value, "contribution": driver.contribution}
        for driver in lead.drivers
    ]
    return {"id": lead.lead_id, "probability": lead.probability, "drivers": drivers}


async def customers_at_risk(
    session: AsyncSession, row: AlertRule, reading: Reading, now: datetime, reporting_zone: str
) -> list[dict[str, Any]] | None:
    """For a rule on a churn metric, the customers at risk in the period it read."""
    spec = spec_of(row)
    if spec.metric not in CHURN_METRICS or reading.period is None:
        return None
    today = now.astimezone(ZoneInfo(reporting_zone)).date()
    question = ChurnRiskQuestion(today, reading.period, segment_of(spec))
    frame = await ChurnRiskRunner(question).run(session)
    return [
        {
            "id": record["customer_id"],
            "name": record["name"],
            "risk": record["risk"],
            "reasons": list(record["reasons"]),
            "mrr": int(record["mrr"]),
        }
        for record in frame.to_dict("records")
    ]


def cooling_down(row: AlertRule, now: datetime) -> bool:
    if row.last_fired_at is None:
        return False
    return now - row.last_fired_at < timedelta(seconds=row.cooldown_seconds)


async def record(
    session: AsyncSession,
    row: AlertRule,
    reading: Reading,
    snapshot: dict[str, Any],
    now: datetime,
) -> Alert | None:
    """Fire the rule: claim it for `now` and record the alert, in one transaction.

    The claim is a conditional update, so of several processes checking the
    rule inside one cool-down only the first records an alert; the others
    get None.
    """
    opened = now - timedelta(seconds=row.cooldown_seconds)
    claimed = await session.execute(
        update(AlertRule)
        .where(AlertRule.id == row.id)
        .where(AlertRule.last_fired_at.is_(None) | (AlertRule.last_fired_at <= opened))
        .values(last_fired_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        return None
    alert = Alert(rule_id=row.id, fired_at=now, value=reading.value, snapshot=snapshot)
    session.add(alert)
    await session.commit()
    return alert


async def link_execution(session: AsyncSession, alert_id: int, execution_id: int) -> Alert:
    alert = await read_alert(session, alert_id)
    alert.execution_id = execution_id
    await session.commit()
    return alert
