"""Retention tables, lifecycles and funnels: who came back, who lapsed, who converted."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.analytics.cohort_revenue import CohortRevenue, cohort_revenue
from saaslens.analytics.funnels import FunnelStep, funnel_steps
from saaslens.analytics.retention import (
    RetentionCurve,
    counts_on,
    counts_on_or_after,
    retention_curve,
)
from saaslens.data.queries.cohort_revenue import cohort_mrr_changes
from saaslens.data.queries.frames import Statement
from saaslens.data.queries.funnels import FunnelSteps, funnel_entrants
from saaslens.data.queries.lifecycle import Count, lifecycle_counts
from saaslens.data.queries.periods import Granularity, PeriodGrid
from saaslens.data.queries.retention import (
    Cohorting,
    CohortStart,
    Unit,
    cohort_sizes,
    last_offsets,
    retained_on,
)
from saaslens.errors import InvalidInput
from saaslens.services.engagement import check_event_names
from saaslens.services.runner import Runner, Scope, group_value

MAX_PERIODS = 104
COHORT_GRANULARITIES = (Granularity.WEEK, Granularity.MONTH)


@dataclass(frozen=True)
class RetentionQuestion:
    """Cohorts starting within `scope.range`, followed for `periods` periods (offset 0 on)."""

    scope: Scope
    cohorting: Cohorting = field(default_factory=lambda: Cohorting(CohortStart.SIGNUP))
    periods: int = 12
    on_or_after: bool = False


@dataclass(frozen=True)
class RetentionSeries:
    group: str | None
    curve: RetentionCurve


@dataclass(frozen=True)
class Retention:
    grid: PeriodGrid
    periods: int
    series: list[RetentionSeries]


class RetentionRunner(Runner[Retention]):
    kind = "retention"

    def __init__(self, question: RetentionQuestion) -> None:
        self.question = question
        self.grid = question.scope.range.grid(question.scope.granularity)

    def key(self) -> Hashable:
        return self.question

    def validate(self) -> None:
        question, cohorting = self.question, self.question.cohorting
        if question.scope.granularity not in COHORT_GRANULARITIES:
            raise InvalidInput("retention cohorts are weekly or monthly")
        if not 1 <= question.periods <= MAX_PERIODS:
            raise InvalidInput(f"periods must be between 1 and {MAX_PERIODS}")
        if cohorting.unit is Unit.USER and cohorting.start is not CohortStart.FIRST_EVENT:
            raise InvalidInput("users have no signup or payment; cohort users by first event")
        if cohorting.start_events and cohorting.start is not CohortStart.FIRST_EVENT:
            raise InvalidInput("start events apply only to cohorts by first event")

    async def check(self, session: AsyncSession) -> None:
        cohorting = self.question.cohorting
        await check_event_names(session, cohorting.start_events + cohorting.return_events)

    def build(self) -> Mapping[str, Statement]:
        scope, cohorting = self.question.scope, self.question.cohorting
        counts = last_offsets if self.question.on_or_after else retained_on
        return {
            "sizes": cohort_sizes(self.grid, cohorting, scope.segment, scope.breakdown),
            "counts": counts(self.grid, cohorting, scope.segment, scope.breakdown),
        }

    def shape(self, frames: Mapping[str, pd.DataFrame]) -> Retention:
        sizes, counts = frames["sizes"], frames["counts"]
        groups = sorted(set(sizes["grp"]) | set(counts["grp"])) or [""]
        series = [
            RetentionSeries(group_value(str(group)), self._curve(sizes, counts, str(group)))
            for group in groups
        ]
        return Retention(self.grid, self.question.periods, series)

    def _curve(self, sizes: pd.DataFrame, counts: pd.DataFrame, group: str) -> RetentionCurve:
        periods = self.question.periods
        mine = sizes[sizes["grp"] == group]
        members = dict(zip(mine["cohort"].astype(int), mine["members"].astype(int), strict=True))
        rows = counts[counts["grp"] == group]
        cells = counts_on_or_after(rows, periods) if self.question.on_or_after else counts_on(rows)
        return retention_curve(self.grid.keys, self.grid.last, periods, members, cells)


@dataclass(frozen=True)
class LifecycleQuestion:
    scope: Scope
    unit: Unit = Unit.CUSTOMER
    events: tuple[str, ...] = ()


@dataclass(frozen=True)
class LifecyclePeriod:
    """Members per status; dormant is negative, as it is drawn below the axis."""

    period: int
    new: int
    returning: int
    resurrecting: int
    dormant: int


@dataclass(frozen=True)
class LifecycleSeries:
    group: str | None
    periods: list[LifecyclePeriod]


@dataclass(frozen=True)
class Lifecycle:
    grid: PeriodGrid
    series: list[LifecycleSeries]


class LifecycleRunner(Runner[Lifecycle]):
    kind = "lifecycle"

    def __init__(self, question: LifecycleQuestion) -> None:
        self.question = question
        self.grid = question.scope.range.grid(question.scope.granularity)

    def key(self) -> Hashable:
        return self.question

    async def check(self, session: AsyncSession) -> None:
        await check_event_names(session, self.question.events)

    def build(self) -> Mapping[str, Statement]:
        question, scope = self.question, self.question.scope
        statement = lifecycle_counts(
            self.grid, question.unit, question.events, scope.segment, scope.breakdown
        )
        return {"counts": statement}

    def shape(self, frames: Mapping[str, pd.DataFrame]) -> Lifecycle:
        counts = frames["counts"]
        groups = sorted(set(counts["grp"])) or [""]
        return Lifecycle(self.grid, [self._series(counts, str(group)) for group in groups])

    def _series(self, counts: pd.DataFrame, group: str) -> LifecycleSeries:
        mine = counts[counts["grp"] == group]
        found = {
            (int(period), str(measure)): int(members)
            for period, measure, members in mine[["period", "measure", "members"]].itertuples(
                index=False
            )
        }

        def count(period: int, measure: Count) -> int:
            return found.get((period, measure.value), 0)

        periods = []
        for period in self.grid.keys:
            new, stayed = count(period, Count.NEW), count(period, Count.STAYED)
            resurrecting = count(period, Count.ACTIVE) - new - stayed
            dormant = count(period - 1, Count.ACTIVE) - stayed
            periods.append(LifecyclePeriod(period, new, stayed, resurrecting, -dormant))
        return LifecycleSeries(group_value(group), periods)


MAX_STEPS = 10
MAX_WINDOW_DAYS = 365


@dataclass(frozen=True)
class FunnelQuestion:
    scope: Scope
    funnel: FunnelSteps


@dataclass(frozen=True)
class FunnelSeries:
    group: str | None
    steps: list[FunnelStep]


@dataclass(frozen=True)
class Funnel:
    funnel: FunnelSteps
    series: list[FunnelSeries]


class FunnelRunner(Runner[Funnel]):
    """Entry in the range; the later steps may fall after it, within the window."""

    kind = "funnel"

    def __init__(self, question: FunnelQuestion) -> None:
        self.question = question
        self.grid = question.scope.range.grid(Granularity.DAY)

    def key(self) -> Hashable:
        return self.question

    def validate(self) -> None:
        funnel = self.question.funnel
        if not 2 <= len(funnel.steps) <= MAX_STEPS:
            raise InvalidInput(f"a funnel has 2 to {MAX_STEPS} steps")
        if len(set(funnel.steps)) != len(funnel.steps):
            raise InvalidInput("each funnel step names a different event")
        if not 1 <= funnel.window_days <= MAX_WINDOW_DAYS:
            raise InvalidInput(f"the conversion window is 1 to {MAX_WINDOW_DAYS} days")

    async def check(self, session: AsyncSession) -> None:
        await check_event_names(session, self.question.funnel.steps)

    def build(self) -> Mapping[str, Statement]:
        scope = self.question.scope
        statement = funnel_entrants(
            self.grid, self.question.funnel, scope.segment, scope.breakdown
        )
        return {"entrants": statement}

    def shape(self, frames: Mapping[str, pd.DataFrame]) -> Funnel:
        entrants = frames["entrants"]
        names = self.question.funnel.steps
        steps = [f"step_{number}" for number in range(1, len(names) + 1)]
        times = entrants.astype({step: "float64" for step in steps})
        groups = sorted(set(times["grp"])) or [""]
        series = [
            FunnelSeries(
                group_value(str(group)), funnel_steps(names, times[times["grp"] == group])
            )
            for group in groups
        ]
        return Funnel(self.question.funnel, series)


@dataclass(frozen=True)
class RevenueRetentionQuestion:
    scope: Scope
    periods: int = 12


@dataclass(frozen=True)
class RevenueRetentionSeries:
    group: str | None
    cohorts: list[CohortRevenue]


@dataclass(frozen=True)
class RevenueRetention:
    grid: PeriodGrid
    periods: int
    series: list[RevenueRetentionSeries]


class RevenueRetentionRunner(Runner[RevenueRetention]):
    """Paying cohorts (by their first period ending with MRR) and the MRR they keep."""

    kind = "revenue_retention"

    def __init__(self, question: RevenueRetentionQuestion) -> None:
        self.question = question
        self.grid = question.scope.range.grid(question.scope.granularity)

    def key(self) -> Hashable:
        return self.question

    def validate(self) -> None:
        if self.question.scope.granularity not in COHORT_GRANULARITIES:
            raise InvalidInput("retention cohorts are weekly or monthly")
        if not 1 <= self.question.periods <= MAX_PERIODS:
            raise InvalidInput(f"periods must be between 1 and {MAX_PERIODS}")

    def build(self) -> Mapping[str, Statement]:
        scope = self.question.scope
        return {"changes": cohort_mrr_changes(self.grid, scope.segment, scope.breakdown)}

    def shape(self, frames: Mapping[str, pd.DataFrame]) -> RevenueRetention:
        changes = frames["changes"]
        groups = sorted(set(changes["grp"])) or [""]
        series = [
            RevenueRetentionSeries(
                group_value(str(group)),
                cohort_revenue(
                    changes[changes["grp"] == group],
                    self.grid.keys,
                    self.grid.last,
                    self.question.periods,
                ),
            )
            for group in groups
        ]
        return RevenueRetention(self.grid, self.question.periods, series)
