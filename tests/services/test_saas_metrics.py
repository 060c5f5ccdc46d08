"""SaaS metrics against pandas: rates with their Wilson intervals, LTV, revenue, trials."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.analytics.rates import Rate
from saaslens.analytics.saas_metrics import ChurnFormula
from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.data.queries.segments import Breakdown, Dimension, Segment
from saaslens.errors import InvalidInput
from saaslens.services.runner import Scope
from saaslens.services.saas import SaasMetrics, SaasMetricsRunner, SaasQuestion
from saaslens.services.series import MetricName, metric_series
from tests.metrics.oracle import Oracle, wilson
from tests.metrics.scenario import at, generated, hand_made

Sessions = async_sessionmaker[AsyncSession]
YEAR = DateRange(date(2024, 1, 1), date(2024, 12, 31))


async def saas(
    sessions: Sessions, scope: Scope, formula: ChurnFormula = ChurnFormula.PERIOD_START
) -> SaasMetrics:
    async with sessions() as session:
        return await SaasMetricsRunner(SaasQuestion(scope, formula)).run(session)


def assert_rate(rate: Rate, numerator: float, denominator: float) -> None:
    assert rate.numerator == pytest.approx(numerator)
    assert rate.denominator == pytest.approx(denominator)
    if denominator == 0:
        assert rate.value is None
        return
    assert rate.value == pytest.approx(numerator / denominator)


def assert_wilson(rate: Rate, successes: float, n: float) -> None:
    lower, upper = wilson(successes, n)
    assert (rate.lower, rate.upper) == (pytest.approx(lower), pytest.approx(upper))


@pytest.mark.parametrize("book", [hand_made(), generated(seed=7)], ids=["hand_made", "generated"])
async def test_saas_metrics_match_pandas(sessions: Sessions, book: object) -> None:
    await book.write(sessions)  # type: ignore[attr-defined]
    oracle = Oracle.of(book)
    customers = oracle.customers_where()

    result = await saas(sessions, Scope(YEAR, Granularity.MONTH))

    (series,) = result.series
    expected = oracle.movements(date(2023, 7, 1), date(2024, 12, 31), "month", customers)
    churn_rates = expected["churn_customers"] / expected["paying_start"].replace(0, float("nan"))
    revenue = oracle.net_revenue("month", customers)
    trials = oracle.trials("month", customers, date(2024, 12, 31))
    assert [report.metrics.period for report in series.periods] == list(
        YEAR.grid(Granularity.MONTH).keys
    )
    for report, period in zip(
        series.periods, pd.period_range("2024-01", "2024-12", freq="M"), strict=True
    ):
        row = expected.loc[period]
        metrics = report.metrics
        assert (metrics.mrr, metrics.arr, metrics.paying_customers) == (
            row.mrr,
            12 * row.mrr,
            row.paying,
        )
        assert_rate(metrics.customer_churn, row.churn_customers, row.paying_start)
        if row.paying_start:
            assert_wilson(metrics.customer_churn, row.churn_customers, row.paying_start)
        losses = row.churn + row.contraction
        assert_rate(metrics.gross_mrr_churn, losses, row.mrr_start)
        assert_rate(metrics.net_mrr_churn, losses - row.expansion, row.mrr_start)
        kept = row.mrr_start - losses
        assert_rate(metrics.grr, kept, row.mrr_start)
        assert_rate(metrics.nrr, kept + row.expansion, row.mrr_start)
        if row.mrr_start:
            # Revenue rates take their uncertainty from the customers, not the cents.
            assert_wilson(
                metrics.gross_mrr_churn,
                losses / row.mrr_start * row.paying_start,
                row.paying_start,
            )
            lower, upper = wilson(losses / row.mrr_start * row.paying_start, row.paying_start)
            assert metrics.grr.lower == pytest.approx(1 - upper)
            assert metrics.grr.upper == pytest.approx(1 - lower)
        assert metrics.arpa.value == (pytest.approx(row.mrr / row.paying) if row.paying else None)
        asp = row.new_business / row.new_business_customers if row.new_business_customers else None
        assert metrics.asp.value == pytest.approx(asp)
        gains = row.new_business + row.expansion + row.reactivation
        assert metrics.quick_ratio.value == pytest.approx(gains / losses if losses else None)
        trailing = churn_rates.loc[period - 6 : period - 1].dropna()
        if row.paying and len(trailing) and trailing.mean() > 0:
            assert metrics.ltv.value == pytest.approx(row.mrr / row.paying / trailing.mean())
        else:
            assert (metrics.ltv.value, metrics.ltv.reason is not None) == (None, True)
        assert report.revenue is not None
        assert report.revenue.net == int(revenue.get(period, 0))
        started, converted = trials.loc[period] if period in trials.index else (0, 0)
        assert_rate(report.trial_to_paid, converted, started)


async def test_the_hand_made_trial_that_never_pays_and_the_one_that_does(
    sessions: Sessions,
) -> None:
    await hand_made().write(sessions)

    result = await saas(
        sessions, Scope(DateRange(date(2024, 2, 1), date(2024, 3, 31)), Granularity.MONTH)
    )

    february, march = (report.trial_to_paid for report in result.series[0].periods)
    assert (february.numerator, february.denominator, february.value) == (0, 1, 0.0)
    assert (march.numerator, march.denominator, march.value) == (1, 1, 1.0)
    assert_wilson(february, 0, 1)


async def test_daily_summed_churn_adds_each_days_rate(sessions: Sessions) -> None:
    book = generated(seed=11)
    await book.write(sessions)
    oracle = Oracle.of(book)

    result = await saas(sessions, Scope(YEAR, Granularity.QUARTER), ChurnFormula.DAILY_SUM)

    expected = oracle.daily_churn_sum(
        date(2024, 1, 1), date(2024, 12, 31), "quarter", oracle.customers_where()
    )
    assert result.churn_formula is ChurnFormula.DAILY_SUM
    for report in result.series[0].periods:
        churn = report.metrics.customer_churn
        quarter = pd.Period(
            YEAR.grid(Granularity.QUARTER).start_date(report.metrics.period), freq="Q"
        )
        assert churn.value == pytest.approx(expected.loc[quarter])
        assert churn.formula.startswith("sum over the period's days")


async def test_ltv_is_null_with_a_reason_when_nobody_churned_before(sessions: Sessions) -> None:
    await hand_made().write(sessions)

    # Customers paid from early January; the first churn is c's, on 15 February.
    week = DateRange(date(2024, 2, 1), date(2024, 2, 1))
    result = await saas(sessions, Scope(week, Granularity.WEEK))

    ltv = result.series[0].periods[0].metrics.ltv
    assert ltv.value is None
    assert ltv.reason == "no customer churned in the 6 periods before"


async def test_a_segment_breakdown_computes_each_segment_alone(sessions: Sessions) -> None:
    book = hand_made()
    await book.write(sessions)
    oracle = Oracle.of(book)
    scope = Scope(
        DateRange(date(2024, 1, 1), date(2024, 6, 30)),
        Granularity.MONTH,
        breakdown=Breakdown(Dimension.SEGMENT),
    )

    result = await saas(sessions, scope)

    assert [series.group for series in result.series] == ["enterprise", "smb"]
    for series in result.series:
        customers = oracle.customers_where(segment=series.group)
        expected = oracle.movements(date(2024, 1, 1), date(2024, 6, 30), "month", customers)
        assert [report.metrics.mrr for report in series.periods] == expected["mrr"].tolist()
        revenue = oracle.net_revenue("month", customers)
        assert [report.revenue.net for report in series.periods if report.revenue] == [
            int(revenue.get(period, 0)) for period in expected.index
        ]


async def test_metric_series_names_the_formula_and_refuses_revenue_by_plan(
    sessions: Sessions,
) -> None:
    await hand_made().write(sessions)
    scope = Scope(DateRange(date(2024, 1, 1), date(2024, 6, 30)), Granularity.MONTH)

    async with sessions() as session:
        (mrr,) = await metric_series(session, MetricName.MRR, scope)
        (churn,) = await metric_series(
            session, MetricName.CUSTOMER_CHURN_RATE, scope, ChurnFormula.DAILY_SUM
        )
        (expansion,) = await metric_series(session, MetricName.EXPANSION_MRR, scope)
        with pytest.raises(InvalidInput, match="payments carry no plan"):
            await metric_series(
                session,
                MetricName.NET_REVENUE,
                Scope(scope.range, scope.granularity, Segment("pro")),
            )

    assert [point.value for point in mrr.points] == [30000, 45000, 52500, 47500, 46500, 38500]
    assert [point.start for point in mrr.points][:2] == [date(2024, 1, 1), date(2024, 2, 1)]
    assert str(churn.formula).startswith("sum over the period's days")
    assert [point.value for point in expansion.points] == [0, 0, 5000, 0, 0, 0]


async def test_a_segment_with_only_a_trial_still_gets_its_series(sessions: Sessions) -> None:
    book = hand_made()
    book.customer("t", at(2024, 1, 1), segment="startup")
    book.change("t1", "t", at(2024, 2, 3), "trialing", 0)
    await book.write(sessions)
    scope = Scope(
        DateRange(date(2024, 1, 1), date(2024, 3, 31)),
        Granularity.MONTH,
        breakdown=Breakdown(Dimension.SEGMENT),
    )

    result = await saas(sessions, scope)

    (startup,) = [series for series in result.series if series.group == "startup"]
    assert [report.metrics.mrr for report in startup.periods] == [0, 0, 0]
    trials = [report.trial_to_paid for report in startup.periods]
    assert [(rate.numerator, rate.denominator) for rate in trials] == [(0, 0), (0, 1), (0, 0)]
