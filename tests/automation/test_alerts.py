"""Alert rules on real ingested data: thresholds, k-sigma deviations, cool-down, scripts, feed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.automation import alerts, catalog, executions, scripts
from saaslens.automation.alerting import Alerting, alert_feed
from saaslens.automation.alerts import Condition, RuleSpec
from saaslens.automation.engine import Engine
from saaslens.automation.exceptions import InvalidAlertRule
from saaslens.automation.scripts import ScriptSettings
from saaslens.config import Settings
from saaslens.data.engine import create_engine, create_session_factory
from saaslens.data.models import Execution
from saaslens.services.series import MetricName
from tests.metrics.book import Book

Sessions = async_sessionmaker[AsyncSession]

# One new customer a month; the sixth month's is far bigger than the others.
NEW_MRR = [100, 120, 90, 95, 115, 1480]
TODAY = datetime(2026, 6, 20, 12, tzinfo=UTC)

ECHO_SNAPSHOT = """
import json, os
given = json.load(open(os.environ["SAASLENS_INPUT"]))
json.dump({"snapshot": given["snapshot"]}, open(os.environ["SAASLENS_RESULT"], "w"))
"""


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def growing(sessions: Sessions) -> Sessions:
    book = Book()
    for month, mrr in enumerate(NEW_MRR, start=1):
        customer = book.customer(f"c{month}", datetime(2026, month, 1, tzinfo=UTC))
        book.change(f"s{month}", customer, datetime(2026, month, 10, tzinfo=UTC), "active", mrr)
    await book.write(sessions)
    return sessions


def expected_mrr() -> pd.Series:
    """MRR at the end of each month (June: as of TODAY), straight from the book."""
    return pd.Series(NEW_MRR, index=range(1, 7), dtype=float).cumsum()


@pytest.fixture
async def automation(settings: Settings, sessions: Sessions) -> AsyncIterator[Engine]:
    running = Engine.for_settings(settings, sessions)
    await running.start()
    await running.started.wait()
    yield running
    await running.stop()


async def a_rule(sessions: Sessions, spec: RuleSpec) -> int:
    async with sessions() as session:
        row = await alerts.create(session, spec, TODAY)
    return row.id


@pytest.mark.parametrize("deviations", [3.0, 200.0])
async def test_a_deviation_rule_fires_when_the_newest_month_leaves_the_trailing_band(
    growing: Sessions, automation: Engine, deviations: float
) -> None:
    rule = await a_rule(
        growing,
        RuleSpec(
            "mrr jump",
            MetricName.MRR,
            Condition.DEVIATION,
            deviations=deviations,
            trailing_periods=5,
        ),
    )

    check = await Alerting(growing, automation, "UTC", Clock(TODAY)).check(rule)

    mrr = expected_mrr()
    trailing = mrr.iloc[:-1]
    mean, std = trailing.mean(), trailing.std(ddof=1)
    assert check.reading.value == pytest.approx(mrr.iloc[-1])
    assert (check.reading.mean, check.reading.std) == (pytest.approx(mean), pytest.approx(std))
    fires = bool(abs(mrr.iloc[-1] - mean) > deviations * std)
    assert fires is (deviations == 3.0)
    assert (check.alert is not None) is fires
    assert [point["value"] for point in check.snapshot["points"]] == pytest.approx(list(mrr))


async def test_a_threshold_rule_fires_runs_its_script_with_the_snapshot_and_cools_down(
    growing: Sessions, automation: Engine
) -> None:
    async with growing() as session:
        stored = await scripts.create(session, ECHO_SNAPSHOT, ScriptSettings(name="echo"), None)
    above = await a_rule(
        growing,
        RuleSpec(
            "mrr over 1500",
            MetricName.MRR,
            Condition.ABOVE,
            threshold=1500.0,
            cooldown_seconds=3600,
            script_id=stored.script.id,
        ),
    )
    below = await a_rule(
        growing, RuleSpec("mrr under 1500", MetricName.MRR, Condition.BELOW, threshold=1500.0)
    )
    clock = Clock(TODAY)
    alerting = Alerting(growing, automation, "UTC", clock)
    feed = alert_feed(growing, automation.broker)
    heard = asyncio.ensure_future(anext(feed))
    await asyncio.sleep(0.1)

    first = await alerting.check(above)
    quiet = await alerting.check(below)
    clock.now += timedelta(minutes=59)
    cooling = await alerting.check(above)
    clock.now += timedelta(minutes=2)
    again = await alerting.check(above)

    assert expected_mrr().iloc[-1] > 1500
    assert first.alert is not None
    assert first.alert.execution_id is not None
    assert (quiet.alert, quiet.reading.holds) == (None, False)
    assert (cooling.alert, cooling.cooling_down) == (None, True)
    assert again.alert is not None
    assert again.alert.fired_at == TODAY + timedelta(minutes=61)
    assert (await asyncio.wait_for(heard, 5)).id == first.alert.id
    await feed.aclose()  # type: ignore[attr-defined]

    execution = await finished(growing, first.alert.execution_id)
    assert (execution.state, execution.trigger) == ("SUCCEEDED", "alert")
    assert execution.result == {"snapshot": first.alert.snapshot}
    assert first.alert.snapshot["value"] == pytest.approx(expected_mrr().iloc[-1])
    async with growing() as session:
        recorded = await alerts.alerts(session, above, 10)
    assert [alert.id for alert in recorded] == [again.alert.id, first.alert.id]


async def finished(sessions: Sessions, execution_id: int) -> Execution:
    async with asyncio.timeout(20):
        while True:
            async with sessions() as session:
                execution = await executions.read(session, execution_id)
            if execution.state not in ("QUEUED", "RUNNING"):
                return execution
            await asyncio.sleep(0.1)


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        (RuleSpec("x", MetricName.MRR, Condition.ABOVE), "threshold"),
        (RuleSpec("x", MetricName.MRR, Condition.DEVIATION, deviations=2.0), "trailing"),
        (RuleSpec("x", MetricName.MRR, Condition.BELOW, threshold=1, cron="every day"), "cron"),
        (RuleSpec("x", MetricName.MRR, Condition.BELOW, threshold=1, segment={"x": "y"}), "plan"),
    ],
)
async def test_a_rule_that_cannot_be_checked_is_refused(
    sessions: Sessions, spec: RuleSpec, problem: str
) -> None:
    async with sessions() as session:
        with pytest.raises(InvalidAlertRule, match=problem):
            await alerts.create(session, spec, TODAY)


async def test_checks_racing_inside_one_cool_down_fire_the_rule_once(
    growing: Sessions, automation: Engine, store_url: str
) -> None:
    rule = await a_rule(
        growing, RuleSpec("mrr over 1500", MetricName.MRR, Condition.ABOVE, threshold=1500.0)
    )
    # Each checker has its own connection pool, as separate API processes would.
    stores = [create_engine(store_url) for _ in range(4)]
    checkers = [
        Alerting(create_session_factory(store), automation, "UTC", Clock(TODAY))
        for store in stores
    ]

    checks = await asyncio.gather(*(checker.check(rule) for checker in checkers))
    for store in stores:
        await store.dispose()

    fired = [check.alert for check in checks if check.alert is not None]
    assert all(check.reading.holds for check in checks)
    assert len(fired) == 1
    assert sum(check.cooling_down for check in checks) == len(checks) - 1
    async with growing() as session:
        recorded = await alerts.alerts(session, rule, 10)
        stored_rule = await alerts.read(session, rule)
    assert [alert.id for alert in recorded] == [fired[0].id]
    assert stored_rule.last_fired_at == TODAY


def every_day(book: Book, customer: str, first: datetime, last: datetime) -> None:
    day = first
    while day <= last:
        book.event(customer, f"{customer}-user", day)
        day += timedelta(days=1)


@pytest.fixture
async def churning(sessions: Sessions) -> Sessions:
    """Customers paying since January, each showing one sign of churn by TODAY (or none)."""
    book = Book()
    january, april = datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    for name, mrr in [("c1", 500), ("c2", 300), ("c3", 200), ("c4", 100), ("c5", 400)]:
        book.change(f"s-{name}", book.customer(name, january), january, "active", mrr)
    book.change("s-gone", book.customer("gone", january), january, "active", 900)
    book.change("s-gone", "gone", datetime(2026, 4, 15, tzinfo=UTC), "canceled", 0)
    book.change("s-c1", "c1", datetime(2026, 6, 5, tzinfo=UTC), "canceled", 0)
    book.change("s-c2", "c2", datetime(2026, 6, 3, tzinfo=UTC), "past_due", 300)
    every_day(book, "c2", april, TODAY)
    every_day(book, "c4", april, TODAY)
    every_day(book, "c5", TODAY - timedelta(days=55), TODAY - timedelta(days=29))
    book.event("c5", "c5-user", TODAY - timedelta(days=5))
    await book.write(sessions)
    return sessions


async def test_a_churn_rule_names_the_customers_at_risk_for_the_churn_template(
    churning: Sessions, automation: Engine
) -> None:
    async with churning() as session:
        stored = await catalog.instantiate(
            session, "churn_alert", {"threshold": 0.0, "min_risk": 0.7}
        )
    rule = await a_rule(
        churning,
        RuleSpec(
            "churn",
            MetricName.CUSTOMER_CHURN_RATE,
            Condition.ABOVE,
            threshold=0.0,
            script_id=stored.script.id,
        ),
    )
    quiet = await a_rule(churning, RuleSpec("mrr", MetricName.MRR, Condition.ABOVE, threshold=0))

    check = await Alerting(churning, automation, "UTC", Clock(TODAY)).check(rule)
    other = await Alerting(churning, automation, "UTC", Clock(TODAY)).check(quiet)

    # By hand from the book: c1 cancelled in June, c2 fell past due, c3 never used
    # the product, c5's use stopped after May but for one event; c4 and "gone"
    # (which left before June) are not at risk.
    def entry(id: str, risk: float, reason: str, mrr: int) -> dict[str, Any]:
        return {"id": id, "name": f"Customer {id}", "risk": risk, "reasons": [reason], "mrr": mrr}

    assert check.alert is not None
    assert check.snapshot["customers"] == [
        entry("c1", 1.0, "cancelled", 500),
        entry("c2", 0.8, "past due", 300),
        entry("c3", 0.6, "inactive", 200),
        entry("c5", 0.4, "engagement falling", 400),
    ]
    assert check.alert.snapshot == check.snapshot
    assert other.alert is not None
    assert "customers" not in other.snapshot
    assert check.alert.execution_id is not None
    execution = await finished(churning, check.alert.execution_id)
    assert execution.state == "SUCCEEDED"
    assert execution.result is not None
    assert execution.result["crossed"] is True
    assert [customer["id"] for customer in execution.result["at_risk"]] == ["c1", "c2"]
