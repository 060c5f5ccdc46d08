"""One time series of any metric, by name: what statistics, forecasts and alerts take.

Call `metric_series` from Python (the automation module does) or through
GraphQL's `metricSeries`; both run the same runners and share their cache.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.analytics.movements import PeriodMovements
from saaslens.analytics.rates import Rate
from saaslens.analytics.saas_metrics import ChurnFormula
from saaslens.data.queries.periods import PeriodGrid
from saaslens.data.queries.segments import Dimension
from saaslens.errors import InvalidInput
from saaslens.services.engagement import EngagementPeriod, EngagementQuestion, EngagementRunner
from saaslens.services.movements import MovementsRunner
from saaslens.services.runner import Scope
from saaslens.services.saas import SaasMetricsRunner, SaasQuestion, SaasReport


class MetricName(StrEnum):
    MRR = "mrr"
    ARR = "arr"
    PAYING_CUSTOMERS = "paying_customers"
    NEW_BUSINESS_MRR = "new_business_mrr"
    EXPANSION_MRR = "expansion_mrr"
    CONTRACTION_MRR = "contraction_mrr"
    CHURNED_MRR = "churned_mrr"
    REACTIVATION_MRR = "reactivation_mrr"
    NET_NEW_MRR = "net_new_mrr"
    CUSTOMER_CHURN_RATE = "customer_churn_rate"
    GROSS_MRR_CHURN_RATE = "gross_mrr_churn_rate"
    NET_MRR_CHURN_RATE = "net_mrr_churn_rate"
    NRR = "nrr"
    GRR = "grr"
    ARPA = "arpa"
    ASP = "asp"
    LTV = "ltv"
    QUICK_RATIO = "quick_ratio"
    TRIAL_TO_PAID = "trial_to_paid"
    NET_REVENUE = "net_revenue"
    DAU = "dau"
    WAU = "wau"
    MAU = "mau"
    STICKINESS = "stickiness"
    ACTIVE_ACCOUNTS = "active_accounts"


@dataclass(frozen=True)
class Point:
    """A period's first day and the metric's value (None where it is undefined)."""

    start: date
    value: float | None


@dataclass(frozen=True)
class Series:
    metric: MetricName
    group: str | None
    points: list[Point]
    formula: str | None = None


def _rate_value(rate: Rate) -> float | None:
    return rate.value


_MOVEMENT_VALUES: dict[MetricName, Callable[[PeriodMovements], float | None]] = {
    MetricName.NEW_BUSINESS_MRR: lambda period: period.new_business,
    MetricName.EXPANSION_MRR: lambda period: period.expansion,
    MetricName.CONTRACTION_MRR: lambda period: period.contraction,
    MetricName.CHURNED_MRR: lambda period: period.churn,
    MetricName.REACTIVATION_MRR: lambda period: period.reactivation,
    MetricName.NET_NEW_MRR: lambda period: period.mrr - period.mrr_start,
}

_SAAS_VALUES: dict[MetricName, Callable[[SaasReport], float | None]] = {
    MetricName.MRR: lambda report: report.metrics.mrr,
    MetricName.ARR: lambda report: report.metrics.arr,
    MetricName.PAYING_CUSTOMERS: lambda report: report.metrics.paying_customers,
    MetricName.CUSTOMER_CHURN_RATE: lambda report: report.metrics.customer_churn.value,
    MetricName.GROSS_MRR_CHURN_RATE: lambda report: report.metrics.gross_mrr_churn.value,
    MetricName.NET_MRR_CHURN_RATE: lambda report: report.metrics.net_mrr_churn.value,
    MetricName.NRR: lambda report: report.metrics.nrr.value,
    MetricName.GRR: lambda report: report.metrics.grr.value,
    MetricName.ARPA: lambda report: report.metrics.arpa.value,
    MetricName.ASP: lambda report: report.metrics.asp.value,
    MetricName.LTV: lambda report: report.metrics.ltv.value,
    MetricName.QUICK_RATIO: lambda report: report.metrics.quick_ratio.value,
    MetricName.TRIAL_TO_PAID: lambda report: report.trial_to_paid.value,
    MetricName.NET_REVENUE: lambda report: None if report.revenue is None else report.revenue.net,
}

_SAAS_FORMULAS: dict[MetricName, Callable[[SaasReport], str]] = {
    MetricName.CUSTOMER_CHURN_RATE: lambda report: report.metrics.customer_churn.formula,
    MetricName.GROSS_MRR_CHURN_RATE: lambda report: report.metrics.gross_mrr_churn.formula,
    MetricName.NET_MRR_CHURN_RATE: lambda report: report.metrics.net_mrr_churn.formula,
    MetricName.NRR: lambda report: report.metrics.nrr.formula,
    MetricName.GRR: lambda report: report.metrics.grr.formula,
    MetricName.TRIAL_TO_PAID: lambda report: report.trial_to_paid.formula,
}

_ENGAGEMENT_VALUES: dict[MetricName, Callable[[EngagementPeriod], float | None]] = {
    MetricName.DAU: lambda period: period.users.dau,
    MetricName.WAU: lambda period: period.users.wau,
    MetricName.MAU: lambda period: period.users.mau,
    MetricName.STICKINESS: lambda period: period.users.stickiness.value,
    MetricName.ACTIVE_ACCOUNTS: lambda period: period.active_accounts,
}


async def metric_series(
    session: AsyncSession,
    metric: MetricName,
    scope: Scope,
    churn_formula: ChurnFormula = ChurnFormula.PERIOD_START,
    events: tuple[str, ...] = (),
) -> list[Series]:
    """The metric per period of `scope`, one series per breakdown value.

    `churn_formula` matters to the churn rate and LTV; `events` limits the
    engagement metrics to those event names.
    """
    if events and metric not in _ENGAGEMENT_VALUES:
        raise InvalidInput(f"event names only apply to engagement metrics, not {metric}")
    if metric in _MOVEMENT_VALUES:
        return await _movement_series(session, metric, scope)
    if metric in _ENGAGEMENT_VALUES:
        return await _engagement_series(session, metric, scope, events)
    return await _saas_series(session, metric, scope, churn_formula)


async def _movement_series(
    session: AsyncSession, metric: MetricName, scope: Scope
) -> list[Series]:
    result = await MovementsRunner(scope).run(session)
    value = _MOVEMENT_VALUES[metric]
    return [
        Series(metric, series.group, _points(result.grid, map(value, series.periods)))
        for series in result.series
    ]


async def _engagement_series(
    session: AsyncSession, metric: MetricName, scope: Scope, events: tuple[str, ...]
) -> list[Series]:
    result = await EngagementRunner(EngagementQuestion(scope, events)).run(session)
    value = _ENGAGEMENT_VALUES[metric]
    return [
        Series(metric, series.group, _points(result.grid, map(value, series.periods)))
        for series in result.series
    ]


async def _saas_series(
    session: AsyncSession, metric: MetricName, scope: Scope, churn_formula: ChurnFormula
) -> list[Series]:
    plan = scope.segment.plan is not None or (
        scope.breakdown is not None and scope.breakdown.dimension is Dimension.PLAN
    )
    if metric is MetricName.NET_REVENUE and plan:
        raise InvalidInput("payments carry no plan, so net revenue cannot be split by plan")
    result = await SaasMetricsRunner(SaasQuestion(scope, churn_formula)).run(session)
    value = _SAAS_VALUES[metric]
    formula = _SAAS_FORMULAS.get(metric)
    return [
        Series(
            metric,
            series.group,
            _points(result.grid, map(value, series.periods)),
            formula(series.periods[0]) if formula and series.periods else None,
        )
        for series in result.series
    ]


def _points(grid: PeriodGrid, values: Iterable[float | None]) -> list[Point]:
    """Values given in the order of the grid's periods, one for each."""
    return [
        Point(grid.start_date(key), None if value is None else float(value))
        for key, value in zip(grid.keys, values, strict=True)
    ]
