"""Checking alert rules: measure, judge, and when a rule fires, record it and run its script.

The scheduler checks each enabled rule on the rule's cron schedule;
analysts may check one at any time. Either way a rule fires at most once
per cool-down, even when several processes check it at the same moment.
Watchers hear of each alert through the event broker and read it from the
database.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.automation import alerts
from saaslens.automation.alerts import Check
from saaslens.automation.engine import Engine
from saaslens.automation.eventbrokers.abc import AlertFired, EventBroker
from saaslens.automation.exceptions import InvalidParameters, ScriptDisabled, ScriptNotFound
from saaslens.data.models import Alert

logger = logging.getLogger(__name__)


def _system_now() -> datetime:
    return datetime.now(UTC)


class Alerting:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        engine: Engine,
        reporting_zone: str,
        now: Callable[[], datetime] = _system_now,
    ) -> None:
        self.sessions = sessions
        self.engine = engine
        self._zone = reporting_zone
        self._now = now

    async def check(self, rule_id: int) -> Check:
        """Judge the rule now; fire it if its condition holds outside the cool-down."""
        now = self._now()
        async with self.sessions() as session:
            rule = await alerts.read(session, rule_id)
            reading, snapshot = await alerts.measure(session, rule, now, self._zone)
            cooling = alerts.cooling_down(rule, now)
            if not reading.holds or cooling:
                return Check(reading, snapshot, cooling, None)
            script_id = rule.script_id
            at_risk = await alerts.customers_at_risk(session, rule, reading, now, self._zone)
            if at_risk is not None:
                snapshot = snapshot | {"customers": at_risk}
            alert = await alerts.record(session, rule, reading, snapshot, now)
        if alert is None:
            logger.info("alert rule %d was fired by another check at %s", rule_id, now)
            return Check(reading, snapshot, True, None)
        logger.info("alert rule %d fired at %s: %s", rule_id, now, reading.value)
        if script_id is not None:
            alert = await self._run_script(alert, script_id, snapshot)
        await self.engine.broker.publish(AlertFired(alert.id, rule_id))
        return Check(reading, snapshot, False, alert)

    async def _run_script(
        self, alert: Alert, script_id: int, snapshot: dict[str, object]
    ) -> Alert:
        try:
            execution = await self.engine.submit(script_id, {}, snapshot, "alert")
        except (ScriptNotFound, ScriptDisabled, InvalidParameters) as error:
            logger.warning("alert %d did not run script %d: %s", alert.id, script_id, error)
            return alert
        async with self.sessions() as session:
            return await alerts.link_execution(session, alert.id, execution.id)


async def alert_feed(
    sessions: async_sessionmaker[AsyncSession], broker: EventBroker, rule_id: int | None = None
) -> AsyncIterator[Alert]:
    """Every alert recorded from now on, optionally of one rule."""
    async with broker.subscribe() as events:
        async for event in events:
            if not isinstance(event, AlertFired):
                continue
            if rule_id is not None and event.rule_id != rule_id:
                continue
            async with sessions() as session:
                yield await alerts.read_alert(session, event.alert_id)
