"""MRR movements: the hand-made rules, then every granularity against pandas."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.data.queries.mrr import Movement
from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.data.queries.segments import Breakdown, Dimension, Segment
from saaslens.services.movements import (
    MovementCustomersRunner,
    MovementQuestion,
    Movements,
    MovementsRunner,
)
from saaslens.services.runner import Scope
from tests.metrics.oracle import MOVEMENTS, Oracle
from tests.metrics.scenario import at, hand_made

FIRST_HALF = DateRange(date(2024, 1, 1), date(2024, 6, 30))
Sessions = async_sessionmaker[AsyncSession]


async def movements(sessions: Sessions, scope: Scope) -> Movements:
    async with sessions() as session:
        return await MovementsRunner(scope).run(session)


def as_frame(result: Movements, group: str | None = None) -> pd.DataFrame:
    (series,) = [series for series in result.series if series.group == group]
    return pd.DataFrame([vars(period) for period in series.periods]).set_index("period")


def assert_matches_oracle(found: pd.DataFrame, expected: pd.DataFrame) -> None:
    columns = ["mrr", "paying", "mrr_start", "paying_start"]
    columns += [*MOVEMENTS, *(f"{movement}_customers" for movement in MOVEMENTS)]
    assert len(found) == len(expected)
    assert found[columns].to_numpy().tolist() == expected[columns].to_numpy().tolist()


async def test_monthly_movements_follow_the_definitions(sessions: Sessions) -> None:
    await hand_made().write(sessions)

    table = as_frame(await movements(sessions, Scope(FIRST_HALF, Granularity.MONTH)))

    assert table["mrr"].tolist() == [30000, 45000, 52500, 47500, 46500, 38500]
    assert table["paying"].tolist() == [4, 5, 6, 5, 5, 4]
    # a, b, c, h start; d's two subscriptions and e's euros (10000 x 1.1) join in February.
    assert table["new_business"].tolist() == [30000, 19000, 2500, 0, 0, 0]
    assert table["new_business_customers"].tolist() == [4, 2, 1, 0, 0, 0]
    # a's upgrade outweighs the add-on it cancelled the same day.
    assert table["expansion"].tolist() == [0, 0, 5000, 0, 0, 0]
    # d ends one of two subscriptions in April: contraction, not churn.
    assert table["contraction"].tolist() == [0, 0, 0, 2000, 0, 0]
    assert table["churn"].tolist() == [0, 4000, 0, 3000, 6000, 8000]
    assert table["churn_customers"].tolist() == [0, 1, 0, 1, 1, 1]
    # c returns in May after paying nothing in March and April.
    assert table["reactivation"].tolist() == [0, 0, 0, 0, 5000, 0]


async def test_an_upgrade_then_cancellation_on_one_day_is_churn_of_the_old_mrr(
    sessions: Sessions,
) -> None:
    await hand_made().write(sessions)
    april_2 = DateRange(date(2024, 4, 2), date(2024, 4, 2))

    table = as_frame(await movements(sessions, Scope(april_2, Granularity.DAY)))

    assert table["churn"].tolist() == [3000]
    assert table["expansion"].tolist() == [0]


@pytest.mark.parametrize("granularity", list(Granularity))
async def test_movements_match_a_daily_expansion_in_pandas(
    sessions: Sessions, granularity: Granularity
) -> None:
    book = hand_made()
    await book.write(sessions)
    window = DateRange(date(2024, 1, 1), date(2024, 3, 31))
    if granularity in (Granularity.QUARTER, Granularity.YEAR):
        window = FIRST_HALF

    found = as_frame(await movements(sessions, Scope(window, granularity)))

    oracle = Oracle.of(book)
    grid = window.grid(granularity)
    expected = oracle.movements(
        grid.start_date(grid.first),
        grid.start_date(grid.last + 1) - pd.Timedelta(days=1),
        granularity.value,
        oracle.customers_where(),
    )
    assert_matches_oracle(found, expected)


async def test_month_boundaries_follow_the_reporting_time_zone(sessions: Sessions) -> None:
    book = hand_made(zone="Asia/Tokyo")
    # 16:00 UTC on 31 January is already 1 February in Tokyo.
    book.customer("t", at(2024, 1, 1))
    book.change("t1", "t", at(2024, 1, 31, 16), "active", 700)
    await book.write(sessions)

    table = as_frame(await movements(sessions, Scope(FIRST_HALF, Granularity.MONTH)))

    assert table["new_business"].tolist()[:2] == [30000, 19700]
    oracle = Oracle.of(book)
    expected = oracle.movements(
        date(2024, 1, 1), date(2024, 6, 30), "month", oracle.customers_where()
    )
    assert_matches_oracle(table, expected)


async def test_a_plan_breakdown_moves_mrr_from_one_plan_to_another(sessions: Sessions) -> None:
    book = hand_made()
    await book.write(sessions)
    scope = Scope(FIRST_HALF, Granularity.MONTH, breakdown=Breakdown(Dimension.PLAN))

    result = await movements(sessions, scope)

    assert [series.group for series in result.series] == ["addon", "basic", "pro"]
    basic, pro = as_frame(result, "basic"), as_frame(result, "pro")
    # In March a moves its main subscription from basic (10000) to pro (20000).
    assert basic.loc[basic.index[2], "churn"] == 10000
    assert pro.loc[pro.index[2], "new_business"] == 20000
    oracle = Oracle.of(book)
    for plan in ("addon", "basic", "pro"):
        expected = oracle.movements(
            date(2024, 1, 1), date(2024, 6, 30), "month", oracle.customers_where(), plan=plan
        )
        assert_matches_oracle(as_frame(result, plan), expected)


@pytest.mark.parametrize(
    ("segment", "where"),
    [
        (Segment(country="de"), {"country": "DE"}),
        (Segment(segment="enterprise"), {"segment": "enterprise"}),
        (Segment(attributes=(("tier", "gold"),)), {"attributes": {"tier": "gold"}}),
        (Segment(attributes=(("seats", "5"),)), {"attributes": {"seats": "5"}}),
    ],
)
async def test_segment_filters_keep_only_matching_customers(
    sessions: Sessions, segment: Segment, where: dict[str, object]
) -> None:
    book = hand_made()
    await book.write(sessions)

    found = as_frame(await movements(sessions, Scope(FIRST_HALF, Granularity.MONTH, segment)))

    oracle = Oracle.of(book)
    customers = oracle.customers_where(**where)
    assert customers
    expected = oracle.movements(date(2024, 1, 1), date(2024, 6, 30), "month", customers)
    assert_matches_oracle(found, expected)


async def test_a_country_breakdown_gives_one_series_per_country(sessions: Sessions) -> None:
    book = hand_made()
    await book.write(sessions)
    scope = Scope(FIRST_HALF, Granularity.MONTH, breakdown=Breakdown(Dimension.COUNTRY))

    result = await movements(sessions, scope)

    assert [series.group for series in result.series] == ["DE", "FR", "US"]
    oracle = Oracle.of(book)
    for country in ("DE", "FR", "US"):
        customers = oracle.customers_where(country=country)
        expected = oracle.movements(date(2024, 1, 1), date(2024, 6, 30), "month", customers)
        assert_matches_oracle(as_frame(result, country), expected)


async def test_the_drill_down_pages_through_the_customers_of_one_movement(
    sessions: Sessions,
) -> None:
    await hand_made().write(sessions)
    scope = Scope(FIRST_HALF, Granularity.MONTH)
    question = MovementQuestion(scope, date(2024, 2, 1), Movement.NEW_BUSINESS, first=1)

    async with sessions() as session:
        first = await MovementCustomersRunner(question).run(session)
        after = first.customers[-1].customer_id
        rest = await MovementCustomersRunner(
            MovementQuestion(scope, date(2024, 2, 1), Movement.NEW_BUSINESS, first=5, after=after)
        ).run(session)

    assert (first.total, first.has_next, rest.has_next) == (2, True, False)
    assert [(row.customer_id, row.previous_mrr, row.mrr) for row in first.customers] == [
        ("d", 0, 8000)
    ]
    assert [(row.customer_id, row.change) for row in rest.customers] == [("e", 11000)]
