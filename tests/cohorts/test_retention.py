"""Retention tables against a member-by-member count in pandas."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.data.queries.retention import Cohorting, CohortStart, Unit
from saaslens.data.queries.segments import Breakdown, Dimension, Segment
from saaslens.errors import InvalidInput
from saaslens.services.cohorts import Retention, RetentionQuestion, RetentionRunner
from saaslens.services.runner import Scope
from tests.cohorts.retention_oracle import Expected, expected_retention
from tests.cohorts.scenario import busy_book, new_york
from tests.metrics.oracle import wilson

Sessions = async_sessionmaker[AsyncSession]
YEAR = DateRange(date(2024, 1, 1), date(2024, 6, 30))
FREQ = {Granularity.MONTH: "M", Granularity.WEEK: "W-SUN"}


async def retention(sessions: Sessions, question: RetentionQuestion) -> Retention:
    async with sessions() as session:
        return await RetentionRunner(question).run(session)


def assert_matches(result: Retention, expected: Expected, freq: str) -> None:
    grid = result.grid
    assert expected.retained, "the case should retain someone"
    for series in result.series:
        group = series.group or ""
        for row in series.curve.cohorts:
            cohort = pd.Period(grid.start_date(row.cohort), freq)
            assert row.members == expected.sizes.get((group, cohort), 0)
            for offset, cell in enumerate(row.retained):
                if row.cohort + offset > grid.last:
                    assert cell is None
                    continue
                assert cell is not None
                assert cell.numerator == expected.retained.get((group, cohort, offset), 0)
                assert cell.denominator == row.members
                if row.members:
                    lower, upper = wilson(cell.numerator, row.members)
                    assert cell.lower == pytest.approx(lower)
                    assert cell.upper == pytest.approx(upper)
        for offset, mean in enumerate(series.curve.mean):
            observed = [r for r in series.curve.cohorts if r.cohort + offset <= grid.last]
            assert mean is not None
            assert mean.denominator == sum(r.members for r in observed)
            cells = [r.retained[offset] for r in observed]
            assert mean.numerator == sum(cell.numerator for cell in cells if cell is not None)


@pytest.mark.parametrize(
    ("cohorting", "on_or_after", "granularity"),
    [
        (Cohorting(CohortStart.SIGNUP), False, Granularity.MONTH),
        (Cohorting(CohortStart.SIGNUP), True, Granularity.MONTH),
        (Cohorting(CohortStart.FIRST_PAYMENT, return_events=("share",)), False, Granularity.MONTH),
        (Cohorting(CohortStart.FIRST_EVENT, Unit.USER), False, Granularity.WEEK),
        (
            Cohorting(CohortStart.FIRST_EVENT, recurring=True, start_events=("share",)),
            True,
            Granularity.WEEK,
        ),
    ],
)
async def test_retention_matches_pandas(
    sessions: Sessions, cohorting: Cohorting, on_or_after: bool, granularity: Granularity
) -> None:
    book = busy_book(seed=7)
    await book.write(sessions)
    span = (
        YEAR
        if granularity is Granularity.MONTH
        else DateRange(date(2024, 2, 5), date(2024, 4, 28))
    )
    periods = 6 if granularity is Granularity.MONTH else 8

    result = await retention(
        sessions,
        RetentionQuestion(Scope(span, granularity), cohorting, periods, on_or_after),
    )

    expected = expected_retention(
        book,
        granularity.value,
        span.start,
        span.end,
        periods,
        start=cohorting.start.value,
        unit=cohorting.unit.value,
        recurring=cohorting.recurring,
        on_or_after=on_or_after,
        start_events=set(cohorting.start_events) or None,
        return_events=set(cohorting.return_events) or None,
    )
    assert_matches(result, expected, FREQ[granularity])


async def test_a_breakdown_and_a_filter_split_and_narrow_the_cohorts(sessions: Sessions) -> None:
    book = busy_book(seed=11)
    await book.write(sessions)
    split = Scope(YEAR, Granularity.MONTH, breakdown=Breakdown(Dimension.COUNTRY))
    germany = Scope(YEAR, Granularity.MONTH, Segment(country="DE"))

    by_country = await retention(sessions, RetentionQuestion(split, periods=4))
    german = await retention(sessions, RetentionQuestion(germany, periods=4))

    expected = expected_retention(book, "month", YEAR.start, YEAR.end, 4, group_by="country")
    assert [s.group for s in by_country.series] == ["DE", "US"]
    assert_matches(by_country, expected, "M")
    assert german.series[0].curve == by_country.series[0].curve


async def test_hand_made_cohorts_in_new_york_time(sessions: Sessions) -> None:
    book = new_york()
    await book.write(sessions)
    spring = Scope(DateRange(date(2024, 1, 1), date(2024, 4, 30)), Granularity.MONTH)

    on = await retention(sessions, RetentionQuestion(spring, periods=4))
    after = await retention(sessions, RetentionQuestion(spring, periods=4, on_or_after=True))

    def counts(result: Retention) -> list[list[int | None]]:
        return [
            [None if cell is None else int(cell.numerator) for cell in row.retained]
            for row in result.series[0].curve.cohorts
        ]

    assert [row.members for row in on.series[0].curve.cohorts] == [2, 1, 0, 0]
    assert counts(on) == [[1, 1, 0, 1], [0, 1, 0, None], [0, 0, None, None], [0, None, None, None]]
    assert counts(after) == [
        [2, 1, 1, 1],
        [1, 1, 0, None],
        [0, 0, None, None],
        [0, None, None, None],
    ]
    mean = on.series[0].curve.mean
    assert [(m.numerator, m.denominator) for m in mean if m is not None] == [
        (1, 3),
        (2, 3),
        (0, 3),
        (1, 2),
    ]


async def test_bad_questions_are_refused(sessions: Sessions) -> None:
    book = busy_book(seed=1)
    await book.write(sessions)
    months = Scope(YEAR, Granularity.MONTH)

    with pytest.raises(InvalidInput, match="'opens'"):
        await retention(
            sessions,
            RetentionQuestion(months, Cohorting(CohortStart.SIGNUP, return_events=("opens",))),
        )
    with pytest.raises(InvalidInput, match="weekly or monthly"):
        await retention(sessions, RetentionQuestion(Scope(YEAR, Granularity.DAY)))
    with pytest.raises(InvalidInput, match="first event"):
        await retention(
            sessions, RetentionQuestion(months, Cohorting(CohortStart.SIGNUP, Unit.USER))
        )
    with pytest.raises(InvalidInput, match="after its end"):
        DateRange(date(2024, 2, 1), date(2024, 1, 1))
