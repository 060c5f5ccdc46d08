"""MRR movements per period, and the customers behind one movement."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import func, select

from saaslens.analytics.movements import PeriodMovements, movement_periods
from saaslens.data.buckets import day_number
from saaslens.data.queries.frames import Statement
from saaslens.data.queries.mrr import Movement, movement_customers, movement_totals
from saaslens.data.queries.periods import PeriodGrid
from saaslens.data.queries.segments import NO_VALUE
from saaslens.errors import InvalidInput
from saaslens.services.runner import Runner, Scope, group_value


@dataclass(frozen=True)
class MovementSeries:
    group: str | None
    periods: list[PeriodMovements]


@dataclass(frozen=True)
class Movements:
    grid: PeriodGrid
    series: list[MovementSeries]


def split_groups(totals: pd.DataFrame, first: int, last: int) -> list[MovementSeries]:
    """One series per group present in `totals`; a lone empty one when there is none."""
    if totals.empty:
        return [MovementSeries(None, movement_periods(totals, first, last))]
    return [
        MovementSeries(group_value(str(group)), movement_periods(rows, first, last))
        for group, rows in totals.groupby("grp", sort=True)
    ]


class MovementsRunner(Runner[Movements]):
    kind = "movements"

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.grid = scope.range.grid(scope.granularity)

    def key(self) -> Hashable:
        return self.scope

    def build(self) -> Mapping[str, Statement]:
        return {"totals": movement_totals(self.grid, self.scope.segment, self.scope.breakdown)}

    def shape(self, frames: Mapping[str, pd.DataFrame]) -> Movements:
        series = split_groups(frames["totals"], self.grid.first, self.grid.last)
        return Movements(self.grid, series)


@dataclass(frozen=True)
class CustomerMovement:
    customer_id: str
    name: str
    previous_mrr: int
    mrr: int
    change: int


@dataclass(frozen=True)
class CustomerMovementPage:
    """Up to `first` customers in id order, and one more when another page follows."""

    total: int
    rows: list[CustomerMovement]
    first: int

    @property
    def customers(self) -> list[CustomerMovement]:
        return self.rows[: self.first]

    @property
    def has_next(self) -> bool:
        return len(self.rows) > self.first


@dataclass(frozen=True)
class MovementQuestion:
    """Which customers: those behind `movement` in the period holding `period`."""

    scope: Scope
    period: date
    movement: Movement
    group: str | None = None
    first: int = 20
    after: str | None = None


class MovementCustomersRunner(Runner[CustomerMovementPage]):
    kind = "movement_customers"

    def __init__(self, question: MovementQuestion) -> None:
        self.question = question
        granularity = question.scope.granularity
        key = granularity.key_of_day(day_number(question.period))
        self.grid = PeriodGrid(granularity, key, key)

    def key(self) -> Hashable:
        return self.question

    def validate(self) -> None:
        scope = self.question.scope
        if not scope.range.start <= self.question.period <= scope.range.end:
            raise InvalidInput(f"{self.question.period} lies outside the range")
        if self.question.group is not None and scope.breakdown is None:
            raise InvalidInput("a breakdown value needs a breakdown")

    def build(self) -> Mapping[str, Statement]:
        scope = self.question.scope
        value = None
        if scope.breakdown is not None:
            value = (scope.breakdown, self.question.group or NO_VALUE)
        rows = movement_customers(
            self.grid, self.grid.first, self.question.movement, scope.segment, value
        )
        page = select(rows).order_by(rows.c.customer_id).limit(self.question.first + 1)
        if self.question.after is not None:
            page = page.where(rows.c.customer_id > self.question.after)
        return {"page": page, "total": select(func.count().label("total")).select_from(rows)}

    def shape(self, frames: Mapping[str, pd.DataFrame]) -> CustomerMovementPage:
        page = frames["page"]
        customers = [
            CustomerMovement(str(row[0]), str(row[1]), int(row[2]), int(row[3]), int(row[4]))
            for row in page.itertuples(index=False)
        ]
        total = int(frames["total"]["total"].iloc[0])
        return CustomerMovementPage(total, customers, self.question.first)
