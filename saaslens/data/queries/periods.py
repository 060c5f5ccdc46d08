"""Reporting periods: a granularity, a range of local dates, and the grid between.

Buckets were written at ingestion in the reporting time zone, so a range of
local dates maps to day numbers without any zone arithmetic here. Weeks
start on Monday; quarters and years are whole groups of months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import CTE, ColumnElement, Integer, case, column, literal_column, values

from saaslens.data.buckets import (
    date_of_day,
    day_number,
    first_day_of_month,
    first_day_of_week,
    month_number,
    week_of_day,
)
from saaslens.errors import InvalidInput

MAX_PERIODS = 4000
_Month = TypeVar("_Month", int, ColumnElement[int])


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    def key_of_day(self, day: int) -> int:
        """The period holding local day `day`, as a consecutive integer."""
        if self is Granularity.DAY:
            return day
        if self is Granularity.WEEK:
            return week_of_day(day)
        return self._from_month(month_number(date_of_day(day)))

    def first_day(self, key: int) -> int:
        if self is Granularity.DAY:
            return key
        if self is Granularity.WEEK:
            return first_day_of_week(key)
        months = {Granularity.MONTH: 1, Granularity.QUARTER: 3, Granularity.YEAR: 12}[self]
        return day_number(first_day_of_month(key * months))

    def last_day(self, key: int) -> int:
        return self.first_day(key + 1) - 1

    def sql_key(self, day: ColumnElement[int], month: ColumnElement[int]) -> ColumnElement[int]:
        """The period of a row from its `day` and `month` bucket columns."""
        if self is Granularity.DAY:
            return day
        if self is Granularity.WEEK:
            return (day + constant(3)) // constant(7)
        return self._from_month(month)

    def sql_key_of_day(self, day: ColumnElement[int]) -> ColumnElement[int]:
        """The period of a row that only has a `day` bucket (events)."""
        return self.sql_key(day, sql_month_of_day(day))

    def _from_month(self, month: _Month) -> _Month:
        if self is Granularity.QUARTER:
            return month // _divisor(month, 3)
        if self is Granularity.YEAR:
            return month // _divisor(month, 12)
        return month


def constant(value: int) -> ColumnElement[int]:
    """An integer written into the SQL text rather than bound.

    PostgreSQL matches a GROUP BY expression to the select list by its text,
    and two bound parameters of equal value are different text to it.
    """
    return literal_column(str(int(value)), Integer)


def _divisor(month: _Month, value: int) -> _Month:
    return value if isinstance(month, int) else constant(value)


def sql_month_of_day(day: ColumnElement[int]) -> ColumnElement[int]:
    """year * 12 + month - 1 of a day number, in integer arithmetic any SQL runs.

    The civil-from-days conversion on a calendar whose years start in March,
    so that the leap day falls at the end; valid for days from 1970 on.
    """
    c = constant
    shifted = day + c(719468)
    era = shifted // c(146097)
    day_of_era = shifted - era * c(146097)
    year_of_era = (
        day_of_era - day_of_era // c(1460) + day_of_era // c(36524) - day_of_era // c(146096)
    ) // c(365)
    day_of_year = day_of_era - (year_of_era * c(365) + year_of_era // c(4) - year_of_era // c(100))
    march_month = (day_of_year * c(5) + c(2)) // c(153)
    month_index = case((march_month < c(10), march_month + c(2)), else_=march_month - c(10))
    year = year_of_era + era * c(400) + case((march_month < c(10), c(0)), else_=c(1))
    return year * c(12) + month_index


@dataclass(frozen=True)
class DateRange:
    """Local dates in the reporting time zone, both ends included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise InvalidInput(f"the range starts on {self.start}, after its end {self.end}")
        if self.start < date(1970, 1, 1):
            raise InvalidInput("the range must start in 1970 or later")

    def grid(self, granularity: Granularity) -> PeriodGrid:
        """The whole periods that overlap the range."""
        first = granularity.key_of_day(day_number(self.start))
        last = granularity.key_of_day(day_number(self.end))
        if last - first + 1 > MAX_PERIODS:
            raise InvalidInput(
                f"the range holds {last - first + 1} {granularity} periods; "
                f"at most {MAX_PERIODS} are allowed"
            )
        return PeriodGrid(granularity, first, last)


@dataclass(frozen=True)
class PeriodGrid:
    """Consecutive periods `first`..`last` (keys) of one granularity."""

    granularity: Granularity
    first: int
    last: int

    @property
    def keys(self) -> range:
        return range(self.first, self.last + 1)

    @property
    def first_day(self) -> int:
        return self.granularity.first_day(self.first)

    @property
    def last_day(self) -> int:
        return self.granularity.last_day(self.last)

    def start_date(self, key: int) -> date:
        return date_of_day(self.granularity.first_day(key))

    def bounds(self) -> CTE:
        """A table of the grid's periods with their first and last days, written inline.

        Joined on a day range, it lets an index on day find a period's rows,
        where computing each row's period would read every row.
        """
        key = self.granularity
        table = values(
            column("period", Integer),
            column("first_day", Integer),
            column("last_day", Integer),
            name="periods",
            literal_binds=True,
        )
        rows = [(period, key.first_day(period), key.last_day(period)) for period in self.keys]
        return table.data(rows).cte("periods")

    def earlier(self, periods: int) -> PeriodGrid:
        """The same grid reaching `periods` further back."""
        return PeriodGrid(self.granularity, self.first - periods, self.last)
