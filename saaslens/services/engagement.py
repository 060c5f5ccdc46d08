"""Active users, active accounts and the stickiness distribution."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.analytics.engagement import (
    ActiveUsers,
    active_users_by_period,
    daily_active_users,
    stickiness_distribution,
)
from saaslens.data.queries.engagement import (
    active_accounts,
    active_day_distribution,
    active_user_spans,
    known_event_names,
)
from saaslens.data.queries.frames import Statement, fetch_frame
from saaslens.data.queries.periods import Granularity, PeriodGrid
from saaslens.errors import InvalidInput
from saaslens.services.runner import Runner, Scope, group_value

MAX_EVENT_NAMES = 50


@dataclass(frozen=True)
class EngagementQuestion:
    scope: Scope
    events: tuple[str, ...] = ()


@dataclass(frozen=True)
class EngagementPeriod:
    users: ActiveUsers
    active_accounts: int


@dataclass(frozen=True)
class EngagementSeries:
    group: str | None
    periods: list[EngagementPeriod]


@dataclass(frozen=True)
class Engagement:
    grid: PeriodGrid
    series: list[EngagementSeries]


@dataclass(frozen=True)
class StickinessSeries:
    group: str | None
    periods: dict[int, list[tuple[int, int]]]


@dataclass(frozen=True)
class Stickiness:
    grid: PeriodGrid
    series: list[StickinessSeries]


async def check_event_names(session: AsyncSession, names: tuple[str, ...]) -> None:
    """Refuse event names the store has never seen: a typo would read as zero users."""
    if len(names) > MAX_EVENT_NAMES:
        raise InvalidInput(f"at most {MAX_EVENT_NAMES} event names may be given")
    if not names:
        return
    known = set((await fetch_frame(session, known_event_names(names)))["name"])
    unknown = sorted(set(names) - known)
    if unknown:
        raise InvalidInput(f"no events are named {', '.join(map(repr, unknown))}")


class EngagementRunner(Runner[Engagement]):
    kind = "engagement"

    def __init__(self, question: EngagementQuestion) -> None:
        self.question = question
        self.grid = question.scope.range.grid(question.scope.granularity)

    def key(self) -> Hashable:
        return self.question

    async def check(self, session: AsyncSession) -> None:
        await check_event_names(session, self.question.events)

    def build(self) -> Mapping[str, Statement]:
        scope, names = self.question.scope, self.question.events
        days = PeriodGrid(Granularity.DAY, self.grid.first_day, self.grid.last_day)
        return {
            "spans": active_user_spans(days, scope.segment, scope.breakdown, names),
            "accounts": active_accounts(self.grid, scope.segment, scope.breakdown, names),
        }

    def shape(self, frames: Mapping[str, pd.DataFrame]) -> Engagement:
        spans, accounts = frames["spans"], frames["accounts"]
        groups = sorted(set(spans["grp"]) | set(accounts["grp"])) or [""]
        return Engagement(self.grid, [self._series(group, spans, accounts) for group in groups])

    def _series(self, group: str, spans: pd.DataFrame, accounts: pd.DataFrame) -> EngagementSeries:
        grid = self.grid
        daily = daily_active_users(spans[spans["grp"] == group], grid.first_day, grid.last_day)
        users = active_users_by_period(daily, grid.granularity.key_of_day)
        mine = accounts[accounts["grp"] == group]
        by_period = dict(
            zip(mine["period"].astype(int), mine["accounts"].astype(int), strict=True)
        )
        periods = [EngagementPeriod(row, by_period.get(row.period, 0)) for row in users]
        return EngagementSeries(group_value(group), periods)


class StickinessRunner(Runner[Stickiness]):
    """Users by the number of days they were active in each period."""

    kind = "stickiness"

    def __init__(self, question: EngagementQuestion) -> None:
        self.question = question
        self.grid = question.scope.range.grid(question.scope.granularity)

    def key(self) -> Hashable:
        return self.question

    async def check(self, session: AsyncSession) -> None:
        await check_event_names(session, self.question.events)

    def build(self) -> Mapping[str, Statement]:
        scope = self.question.scope
        statement = active_day_distribution(
            self.grid, scope.segment, scope.breakdown, self.question.events
        )
        return {"distribution": statement}

    def shape(self, frames: Mapping[str, pd.DataFrame]) -> Stickiness:
        frame = frames["distribution"]
        series = [
            StickinessSeries(group_value(str(group)), stickiness_distribution(rows))
            for group, rows in frame.groupby("grp", sort=True)
        ]
        return Stickiness(self.grid, series or [StickinessSeries(None, {})])
