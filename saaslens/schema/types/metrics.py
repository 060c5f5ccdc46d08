"""Types, inputs and enums of the metrics queries, and the mapping onto them.

Money is in minor units of the base currency; averages (ARPA, ASP, LTV) are
rounded to the nearest minor unit. Every rate carries what it was computed
from, its 95% Wilson interval and the formula's name.
"""

from __future__ import annotations

from datetime import date

import strawberry

from saaslens.analytics import rates
from saaslens.analytics.movements import PeriodMovements
from saaslens.analytics.saas_metrics import Amount
from saaslens.analytics.saas_metrics import ChurnFormula as ChurnFormulaValue
from saaslens.data.queries import mrr, periods, segments
from saaslens.schema.types.records import Money
from saaslens.schema.types.scalars import Long
from saaslens.services import engagement, series
from saaslens.services import movements as movement_results
from saaslens.services import saas as saas_results

Granularity = strawberry.enum(periods.Granularity, description="The length of a period.")
Dimension = strawberry.enum(segments.Dimension, description="What a breakdown splits by.")
Movement = strawberry.enum(mrr.Movement, description="A kind of MRR movement (ChartMogul's).")
ChurnFormula = strawberry.enum(
    ChurnFormulaValue,
    description=(
        "PERIOD_START: churned customers / paying customers at the period's start. "
        "DAILY_SUM: the sum over the period's days of that day's churned customers / "
        "paying customers at the day's start."
    ),
)
MetricName = strawberry.enum(series.MetricName, description="A metric metricSeries can return.")


@strawberry.input(description="Local dates in the reporting time zone, both included.")
class DateRangeInput:
    start: date
    end: date


@strawberry.input
class AttributeFilterInput:
    key: str
    value: str = strawberry.field(description="Compared as text; booleans read true/false.")


@strawberry.input(description="Which customers a metric covers; all conditions must hold.")
class SegmentFilterInput:
    plan: str | None = None
    country: str | None = None
    segment: str | None = None
    attributes: list[AttributeFilterInput] | None = None


@strawberry.input(description="One series per value; ATTRIBUTE names the attribute key.")
class BreakdownInput:
    dimension: Dimension  # type: ignore[valid-type]
    attribute: str | None = None


@strawberry.type
class Rate:
    value: float | None = strawberry.field(description="Null when the denominator is zero.")
    numerator: float
    denominator: float
    lower: float | None = strawberry.field(description="95% Wilson interval, lower bound.")
    upper: float | None = strawberry.field(description="95% Wilson interval, upper bound.")
    formula: str


@strawberry.type(description="A money value that can be undefined, with the reason.")
class MoneyEstimate:
    money: Money | None
    reason: str | None


@strawberry.type(description="A ratio that can be undefined, with the reason.")
class Ratio:
    value: float | None
    reason: str | None


@strawberry.type
class MovementTotal:
    amount: Money
    customers: int


@strawberry.type
class MrrPeriod:
    start: date
    mrr: Money = strawberry.field(description="At the period's end.")
    mrr_at_start: Money
    paying_customers: int = strawberry.field(description="At the period's end.")
    paying_customers_at_start: int
    new_business: MovementTotal
    expansion: MovementTotal
    contraction: MovementTotal
    churn: MovementTotal
    reactivation: MovementTotal
    net_new_mrr: Money


@strawberry.type
class MrrSeries:
    group: str | None = strawberry.field(description="The breakdown value; null for none.")
    periods: list[MrrPeriod]


@strawberry.type
class MrrMovements:
    granularity: Granularity  # type: ignore[valid-type]
    series: list[MrrSeries]


@strawberry.type
class MovementCustomer:
    customer_id: strawberry.ID
    name: str
    previous_mrr: Money
    mrr: Money
    change: Money


@strawberry.type
class SaasMetricsPeriod:
    start: date
    mrr: Money
    arr: Money
    paying_customers: int
    new_customers: int
    churned_customers: int
    customer_churn_rate: Rate
    gross_mrr_churn_rate: Rate
    net_mrr_churn_rate: Rate
    nrr: Rate
    grr: Rate
    arpa: MoneyEstimate
    asp: MoneyEstimate
    ltv: MoneyEstimate
    quick_ratio: Ratio
    trial_to_paid: Rate
    net_revenue: Money | None = strawberry.field(
        description="Charges less refunds; null under a plan filter or breakdown."
    )


@strawberry.type
class SaasMetricsSeries:
    group: str | None
    periods: list[SaasMetricsPeriod]


@strawberry.type
class SaasMetrics:
    granularity: Granularity  # type: ignore[valid-type]
    churn_formula: ChurnFormula  # type: ignore[valid-type]
    series: list[SaasMetricsSeries]


@strawberry.type
class EngagementPeriod:
    start: date
    dau: float = strawberry.field(description="Mean over the period's days.")
    wau: int = strawberry.field(description="Users active in the 7 days ending the period.")
    mau: int = strawberry.field(description="Users active in the 30 days ending the period.")
    stickiness: Rate
    active_accounts: int


@strawberry.type
class EngagementSeries:
    group: str | None
    periods: list[EngagementPeriod]


@strawberry.type
class Engagement:
    granularity: Granularity  # type: ignore[valid-type]
    series: list[EngagementSeries]


@strawberry.type
class ActiveDays:
    active_days: int
    users: int


@strawberry.type
class StickinessPeriod:
    start: date
    distribution: list[ActiveDays]


@strawberry.type
class StickinessSeries:
    group: str | None
    periods: list[StickinessPeriod]


@strawberry.type
class Stickiness:
    granularity: Granularity  # type: ignore[valid-type]
    series: list[StickinessSeries]


@strawberry.type
class MetricPoint:
    start: date
    value: float | None


@strawberry.type
class MetricSeriesGroup:
    group: str | None
    formula: str | None
    points: list[MetricPoint]


@strawberry.type
class MetricSeries:
    metric: MetricName  # type: ignore[valid-type]
    series: list[MetricSeriesGroup]


class Mapper:
    """Turns service results into GraphQL types, in one currency."""

    def __init__(self, currency: str) -> None:
        self.currency = currency

    def money(self, amount: float) -> Money:
        return Money(amount=Long(round(amount)), currency=self.currency)

    def estimate(self, amount: Amount) -> MoneyEstimate:
        money = None if amount.value is None else self.money(amount.value)
        return MoneyEstimate(money=money, reason=amount.reason)

    def mrr_movements(self, result: movement_results.Movements) -> MrrMovements:
        return MrrMovements(
            granularity=result.grid.granularity,
            series=[
                MrrSeries(
                    group=item.group,
                    periods=[self._mrr_period(result, period) for period in item.periods],
                )
                for item in result.series
            ],
        )

    def _mrr_period(
        self, result: movement_results.Movements, period: PeriodMovements
    ) -> MrrPeriod:
        def total(movement: str) -> MovementTotal:
            return MovementTotal(
                amount=self.money(period.amount(movement)),
                customers=period.customers(movement),
            )

        return MrrPeriod(
            start=result.grid.start_date(period.period),
            mrr=self.money(period.mrr),
            mrr_at_start=self.money(period.mrr_start),
            paying_customers=period.paying,
            paying_customers_at_start=period.paying_start,
            new_business=total("new_business"),
            expansion=total("expansion"),
            contraction=total("contraction"),
            churn=total("churn"),
            reactivation=total("reactivation"),
            net_new_mrr=self.money(period.mrr - period.mrr_start),
        )

    def movement_customer(self, row: movement_results.CustomerMovement) -> MovementCustomer:
        return MovementCustomer(
            customer_id=strawberry.ID(row.customer_id),
            name=row.name,
            previous_mrr=self.money(row.previous_mrr),
            mrr=self.money(row.mrr),
            change=self.money(row.change),
        )

    def saas_metrics(self, result: saas_results.SaasMetrics) -> SaasMetrics:
        return SaasMetrics(
            granularity=result.grid.granularity,
            churn_formula=result.churn_formula,
            series=[
                SaasMetricsSeries(
                    group=item.group,
                    periods=[self._saas_period(result, report) for report in item.periods],
                )
                for item in result.series
            ],
        )

    def _saas_period(
        self, result: saas_results.SaasMetrics, report: saas_results.SaasReport
    ) -> SaasMetricsPeriod:
        metrics = report.metrics
        return SaasMetricsPeriod(
            start=result.grid.start_date(metrics.period),
            mrr=self.money(metrics.mrr),
            arr=self.money(metrics.arr),
            paying_customers=metrics.paying_customers,
            new_customers=metrics.new_customers,
            churned_customers=metrics.churned_customers,
            customer_churn_rate=rate(metrics.customer_churn),
            gross_mrr_churn_rate=rate(metrics.gross_mrr_churn),
            net_mrr_churn_rate=rate(metrics.net_mrr_churn),
            nrr=rate(metrics.nrr),
            grr=rate(metrics.grr),
            arpa=self.estimate(metrics.arpa),
            asp=self.estimate(metrics.asp),
            ltv=self.estimate(metrics.ltv),
            quick_ratio=Ratio(value=metrics.quick_ratio.value, reason=metrics.quick_ratio.reason),
            trial_to_paid=rate(report.trial_to_paid),
            net_revenue=None if report.revenue is None else self.money(report.revenue.net),
        )


def rate(value: rates.Rate) -> Rate:
    return Rate(
        value=value.value,
        numerator=value.numerator,
        denominator=value.denominator,
        lower=value.lower,
        upper=value.upper,
        formula=value.formula,
    )


def engagement_of(result: engagement.Engagement) -> Engagement:
    grid = result.grid
    return Engagement(
        granularity=grid.granularity,
        series=[
            EngagementSeries(
                group=item.group,
                periods=[
                    EngagementPeriod(
                        start=grid.start_date(period.users.period),
                        dau=period.users.dau,
                        wau=period.users.wau,
                        mau=period.users.mau,
                        stickiness=rate(period.users.stickiness),
                        active_accounts=period.active_accounts,
                    )
                    for period in item.periods
                ],
            )
            for item in result.series
        ],
    )


def stickiness_of(result: engagement.Stickiness) -> Stickiness:
    grid = result.grid
    return Stickiness(
        granularity=grid.granularity,
        series=[
            StickinessSeries(
                group=item.group,
                periods=[
                    StickinessPeriod(
                        start=grid.start_date(key),
                        distribution=[
                            ActiveDays(active_days=days, users=users)
                            for days, users in item.periods.get(key, [])
                        ],
                    )
                    for key in grid.keys
                ],
            )
            for item in result.series
        ],
    )


def metric_series_of(metric: series.MetricName, found: list[series.Series]) -> MetricSeries:
    return MetricSeries(
        metric=metric,
        series=[
            MetricSeriesGroup(
                group=item.group,
                formula=item.formula,
                points=[
                    MetricPoint(start=point.start, value=point.value) for point in item.points
                ],
            )
            for item in found
        ],
    )
