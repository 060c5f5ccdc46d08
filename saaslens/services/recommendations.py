"""Recommendations: the analyses a finding needs, read from the store, then judged.

Each kind of finding is judged on its own; a kind the store cannot judge
(too few cohorts, spend Gamma-Gamma cannot fit, no lead model) becomes a note
saying why, so one missing input never hides the other findings. The tests
themselves run in the worker pool, like every fit, and the whole answer is
cached by its question and the store's data version.
"""

from __future__ import annotations

import calendar
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

import pandas as pd
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from saaslens.analytics.lead_scoring import ScoredLead
from saaslens.analytics.recommendations import (
    Counts,
    Finding,
    churn_change,
    customers_at_risk,
    growth_change,
    hot_leads,
    rank,
    weaker_cohorts,
)
from saaslens.analytics.retention import RetentionCurve
from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.data.state import data_version
from saaslens.errors import InvalidInput
from saaslens.services.cache import cache_for
from saaslens.services.cohorts import RetentionQuestion, RetentionRunner
from saaslens.services.customer_features import CustomerFeaturesQuestion, CustomerFeaturesRunner
from saaslens.services.leads import latest_lead_model, lead_scores
from saaslens.services.lifetime_values import lifetime_values
from saaslens.services.pool import end_reading, in_pool
from saaslens.services.runner import Scope
from saaslens.services.saas import SaasMetricsRunner, SaasQuestion
from saaslens.services.series import MetricName, metric_series

TREND_WEEKS = 8
MAX_BASELINE = 24
MAX_OFFSET = 24
MAX_LIMIT = 100
CLV_HORIZON_MONTHS = 12
CLV_MONTHLY_DISCOUNT = 0.01

T = TypeVar("T")


@dataclass(frozen=True)
class RecommendationsQuestion:
    """Judge the latest complete month of `range` against the `baseline_periods` before it."""

    range: DateRange
    alpha: float = 0.05
    baseline_periods: int = 6
    retention_offset: int = 1
    recent_cohorts: int = 3
    alive_below: float = 0.5
    leads_above: float = 0.5
    limit: int = 10

    def validate(self) -> None:
        if not 0 < self.alpha <= 0.2:
            raise InvalidInput(f"alpha must be above 0 and at most 0.2; got {self.alpha}")
        if not 2 <= self.baseline_periods <= MAX_BASELINE:
            raise InvalidInput(f"baselinePeriods must be between 2 and {MAX_BASELINE}")
        if not 1 <= self.retention_offset <= MAX_OFFSET:
            raise InvalidInput(f"retentionPeriod must be between 1 and {MAX_OFFSET}")
        if not 1 <= self.recent_cohorts <= MAX_BASELINE:
            raise InvalidInput(f"recentCohorts must be between 1 and {MAX_BASELINE}")
        for name, value in (("aliveBelow", self.alive_below), ("leadsAbove", self.leads_above)):
            if not 0 < value < 1:
                raise InvalidInput(f"{name} is a probability between 0 and 1; got {value}")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")

    def months(self) -> DateRange:
        """The complete months of the range, refused when too few to compare."""
        end = _last_complete_month_end(self.range.end)
        start = self.range.start.replace(day=1)
        whole = 0 if end < start else (end.year - start.year) * 12 + end.month - start.month + 1
        needed = self.baseline_periods + 1
        if whole < needed:
            raise InvalidInput(
                f"the range holds {whole} complete months; comparing the latest with the "
                f"{self.baseline_periods} before it needs {needed}"
            )
        return DateRange(start, end)


@dataclass(frozen=True)
class Recommendations:
    """Findings ranked by priority for the month starting on `month`, and notes on the
    kinds that could not be judged."""

    month: date
    findings: list[Finding]
    notes: list[str]


@dataclass(frozen=True)
class Inputs:
    """What the tests run on, read from the store; None where a note says why not."""

    question: RecommendationsQuestion
    month: date
    churn: tuple[Counts, Counts] | None = None
    new_mrr: pd.Series | None = None
    retention: tuple[RetentionCurve, dict[int, date]] | None = None
    customers: pd.DataFrame | None = None
    leads: tuple[list[ScoredLead], int] | None = None
    notes: tuple[str, ...] = ()


async def recommendations(
    session: AsyncSession, question: RecommendationsQuestion
) -> Recommendations:
    """The findings of the range's latest complete month, highest priority first."""
    question.validate()
    months = question.months()
    engine: AsyncEngine = session.bind  # type: ignore[assignment]
    cache = cache_for(engine)
    key = ("recommendations", question, await data_version(session))
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[return-value]
    inputs = await _read(session, question, months)
    await end_reading(session)
    result = await in_pool(judge, inputs)
    cache.put(key, result)
    return result


def judge(inputs: Inputs) -> Recommendations:
    """Every kind's tests on what was read; a kind whose test refuses its input is a note."""
    notes = list(inputs.notes)
    findings: list[Finding | None] = []
    for label, judging in _judges(inputs):
        try:
            findings.extend(judging())
        except InvalidInput as refused:
            notes.append(f"{label}: {refused.message}")
    return Recommendations(inputs.month, rank(findings), notes)


Judging = Callable[[], list[Finding | None]]


def _judges(inputs: Inputs) -> list[tuple[str, Judging]]:
    question, alpha = inputs.question, inputs.question.alpha
    judges: list[tuple[str, Judging]] = []
    if (churn := inputs.churn) is not None:
        latest, baseline = churn
        periods = question.baseline_periods
        judges.append(
            ("churn", lambda: [churn_change(latest, baseline, inputs.month, periods, alpha)])
        )
    if (new_mrr := inputs.new_mrr) is not None:
        judges.append(("growth", lambda: [growth_change(new_mrr, alpha)]))
    if (retention := inputs.retention) is not None:
        curve, starts = retention
        offset, recent = question.retention_offset, question.recent_cohorts
        judges.append(("cohorts", lambda: [*weaker_cohorts(curve, starts, offset, recent, alpha)]))
    if (customers := inputs.customers) is not None:
        below, limit = question.alive_below, question.limit
        judges.append(
            (
                "customers at risk",
                lambda: [customers_at_risk(customers, below, TREND_WEEKS, limit)],
            )
        )
    if (leads := inputs.leads) is not None:
        scored, version = leads
        above, limit = question.leads_above, question.limit
        judges.append(("hot leads", lambda: [hot_leads(scored, above, version, limit)]))
    return judges


async def _read(
    session: AsyncSession, question: RecommendationsQuestion, months: DateRange
) -> Inputs:
    latest = months.end.replace(day=1)
    window = DateRange(_months_before(latest, question.baseline_periods), months.end)
    notes: list[str] = []
    churn = await _noted(notes, "churn", _churn(session, window))
    new_mrr = await _noted(notes, "growth", _new_mrr(session, window))
    retention = await _noted(notes, "cohorts", _retention(session, months, question))
    customers = await _noted(notes, "customers at risk", _customers(session, months))
    leads = await _noted(notes, "hot leads", _leads(session))
    return Inputs(question, latest, churn, new_mrr, retention, customers, leads, tuple(notes))


async def _noted(notes: list[str], label: str, reading: Awaitable[T]) -> T | None:
    """What `reading` gives, or None with a note when the store cannot answer it."""
    try:
        return await reading
    except InvalidInput as refused:
        notes.append(f"{label}: {refused.message}")
        return None


async def _churn(session: AsyncSession, window: DateRange) -> tuple[Counts, Counts]:
    result = await SaasMetricsRunner(SaasQuestion(Scope(window, Granularity.MONTH))).run(session)
    if not result.series:
        raise InvalidInput("no customer paid in the months compared")
    rates = [report.metrics.customer_churn for report in result.series[0].periods]
    counts = [Counts(int(rate.numerator), int(rate.denominator)) for rate in rates]
    baseline = Counts(sum(c.successes for c in counts[:-1]), sum(c.trials for c in counts[:-1]))
    return counts[-1], baseline


async def _new_mrr(session: AsyncSession, window: DateRange) -> pd.Series:
    scope = Scope(window, Granularity.MONTH)
    (series,) = await metric_series(session, MetricName.NEW_BUSINESS_MRR, scope)
    return pd.Series(
        [point.value or 0.0 for point in series.points],
        index=pd.DatetimeIndex([point.start for point in series.points]),
    )


async def _retention(
    session: AsyncSession, months: DateRange, question: RecommendationsQuestion
) -> tuple[RetentionCurve, dict[int, date]]:
    scope = Scope(months, Granularity.MONTH)
    asked = RetentionQuestion(scope, periods=question.retention_offset + 1)
    result = await RetentionRunner(asked).run(session)
    starts = {key: result.grid.start_date(key) for key in result.grid.keys}
    return result.series[0].curve, starts


async def _customers(session: AsyncSession, months: DateRange) -> pd.DataFrame:
    asked = CustomerFeaturesQuestion(as_of=months.end, trend_weeks=TREND_WEEKS)
    features = (await CustomerFeaturesRunner(asked).run(session)).frame
    values = await lifetime_values(session, months, CLV_HORIZON_MONTHS, CLV_MONTHLY_DISCOUNT)
    valued = values.valuation.customers[["probability_alive", "lifetime_value"]]
    return features[["revenue", "mrr", "engagement_trend"]].join(valued, how="inner")


async def _leads(session: AsyncSession) -> tuple[list[ScoredLead], int]:
    model = await latest_lead_model(session)
    if model is None:
        raise InvalidInput("no lead model has been trained yet (trainLeadModel trains one)")
    return await lead_scores(session), model.version


def _months_before(first_day: date, months: int) -> date:
    index = first_day.year * 12 + first_day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _last_complete_month_end(end: date) -> date:
    """`end` if it is a month's last day, else the last day of the month before it."""
    if end.day == calendar.monthrange(end.year, end.month)[1]:
        return end
    return end.replace(day=1) - timedelta(days=1)
