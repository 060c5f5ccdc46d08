"""The SaaS metrics series: MRR-based metrics, trial conversion and net revenue."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from saaslens.analytics.movements import PeriodMovements, movement_periods
from saaslens.analytics.rates import Rate, proportion
from saaslens.analytics.saas_metrics import (
    LTV_PERIODS,
    ChurnFormula,
    SaasPeriod,
    customer_churn,
    daily_customer_churn,
    saas_periods,
)
from saaslens.data.queries.frames import Statement
from saaslens.data.queries.mrr import movement_totals
from saaslens.data.queries.periods import Granularity, PeriodGrid
from saaslens.data.queries.revenue import payment_totals, trial_conversions
from saaslens.data.queries.segments import Dimension
from saaslens.services.movements import split_groups
from saaslens.services.runner import Runner, Scope, group_value

NO_MOVEMENTS = pd.DataFrame(columns=["period", "grp", "movement", "customers", "amount"])
TRIAL_TO_PAID = "trials started in the period that later paid / trials started in the period"


@dataclass(frozen=True)
class Revenue:
    """Payments in the period, in minor units of the base currency."""

    charges: int
    refunds: int

    @property
    def net(self) -> int:
        return self.charges - self.refunds


@dataclass(frozen=True)
class SaasReport:
    metrics: SaasPeriod
    trial_to_paid: Rate
    revenue: Revenue | None


@dataclass(frozen=True)
class SaasSeries:
    group: str | None
    periods: list[SaasReport]


@dataclass(frozen=True)
class SaasMetrics:
    grid: PeriodGrid
    churn_formula: ChurnFormula
    series: list[SaasSeries]


@dataclass(frozen=True)
class SaasQuestion:
    scope: Scope
    churn_formula: ChurnFormula = ChurnFormula.PERIOD_START


class SaasMetricsRunner(Runner[SaasMetrics]):
    """Payments carry no plan, so revenue is None under a plan filter or breakdown."""

    kind = "saas_metrics"

    def __init__(self, question: SaasQuestion) -> None:
        self.question = question
        scope = question.scope
        self.grid = scope.range.grid(scope.granularity)
        # LTV of the first period needs the churn of the periods before it.
        self.history = self.grid.earlier(LTV_PERIODS)
        self.days = PeriodGrid(Granularity.DAY, self.history.first_day, self.history.last_day)
        breakdown = scope.breakdown
        self.with_revenue = scope.segment.plan is None and (
            breakdown is None or breakdown.dimension is not Dimension.PLAN
        )

    def key(self) -> Hashable:
        return self.question

    def build(self) -> Mapping[str, Statement]:
        segment, breakdown = self.question.scope.segment, self.question.scope.breakdown
        statements = {
            "movements": movement_totals(self.history, segment, breakdown),
            "trials": trial_conversions(self.grid, segment, breakdown),
        }
        if self.question.churn_formula is ChurnFormula.DAILY_SUM:
            statements["days"] = movement_totals(self.days, segment, breakdown)
        if self.with_revenue:
            statements["payments"] = payment_totals(self.grid, segment, breakdown)
        return statements

    def shape(self, frames: Mapping[str, pd.DataFrame]) -> SaasMetrics:
        history = self.history
        movements = {
            series.group: series.periods
            for series in split_groups(frames["movements"], history.first, history.last)
        }
        days = {}
        if "days" in frames:
            days = {
                series.group: series.periods
                for series in split_groups(frames["days"], self.days.first, self.days.last)
            }
        trials = _by_group(frames["trials"])
        payments = _by_group(frames["payments"]) if self.with_revenue else {}
        groups = sorted(set(movements) | set(trials) | set(payments), key=lambda g: g or "")
        series = [self._series(group, movements, days, trials, payments) for group in groups]
        return SaasMetrics(self.grid, self.question.churn_formula, series)

    def _series(
        self,
        group: str | None,
        movements: dict[str | None, list[PeriodMovements]],
        days: dict[str | None, list[PeriodMovements]],
        trials: dict[str | None, pd.DataFrame],
        payments: dict[str | None, pd.DataFrame],
    ) -> SaasSeries:
        periods = movements.get(group) or _quiet(self.history)
        if self.question.churn_formula is ChurnFormula.DAILY_SUM:
            daily = days.get(group) or _quiet(self.days)
            churn = daily_customer_churn(daily, self.grid.granularity.key_of_day)
        else:
            churn = customer_churn(periods)
        metrics = saas_periods(periods, churn, self.grid.first)
        conversions = _indexed(trials.get(group))
        revenue = _indexed(payments.get(group))
        reports = [
            SaasReport(
                metrics=period,
                trial_to_paid=_trial_to_paid(conversions.get(period.period)),
                revenue=_revenue(revenue.get(period.period)) if self.with_revenue else None,
            )
            for period in metrics
        ]
        return SaasSeries(group, reports)


def _quiet(grid: PeriodGrid) -> list[PeriodMovements]:
    """The periods of a group that has no MRR at all (only trials or payments)."""
    return movement_periods(NO_MOVEMENTS, grid.first, grid.last)


def _by_group(frame: pd.DataFrame) -> dict[str | None, pd.DataFrame]:
    return {group_value(str(group)): rows for group, rows in frame.groupby("grp")}


def _indexed(frame: pd.DataFrame | None) -> dict[int, dict[str, Any]]:
    if frame is None:
        return {}
    rows = [{str(key): value for key, value in row.items()} for row in frame.to_dict("records")]
    return {int(row["period"]): row for row in rows}


def _trial_to_paid(row: dict[str, Any] | None) -> Rate:
    if row is None:
        return proportion(0, 0, TRIAL_TO_PAID)
    return proportion(int(row["converted"]), int(row["trials"]), TRIAL_TO_PAID)


def _revenue(row: dict[str, Any] | None) -> Revenue:
    if row is None:
        return Revenue(0, 0)
    return Revenue(int(row["charges"]), int(row["refunds"]))
