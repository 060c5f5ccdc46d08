"""The metrics queries over real HTTP, on the hand-made customers."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.auth.roles import Role
from tests.api import Api, add_person
from tests.metrics.scenario import hand_made

Sessions = async_sessionmaker[AsyncSession]
HALF = {"start": "2024-01-01", "end": "2024-06-30"}

MOVEMENTS = """
query ($range: DateRangeInput!, $breakdown: BreakdownInput) {
  mrrMovements(range: $range, granularity: MONTH, breakdown: $breakdown) {
    granularity
    series {
      group
      periods {
        start mrr { amount currency } payingCustomers
        newBusiness { amount { amount } customers }
        churn { amount { amount } customers }
        netNewMrr { amount }
      }
    }
  }
}
"""

CUSTOMERS = """
query ($after: String) {
  movementCustomers(range: {start: "2024-01-01", end: "2024-06-30"}, period: "2024-02-10",
                    movement: NEW_BUSINESS, first: 1, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { customerId name previousMrr { amount } mrr { amount currency } } }
  }
}
"""

SAAS = """
query ($range: DateRangeInput!) {
  saasMetrics(range: $range, churnFormula: DAILY_SUM, filter: {country: "US"}) {
    churnFormula
    series {
      periods {
        start arr { amount }
        customerChurnRate { value numerator denominator lower upper formula }
        grr { value formula }
        ltv { money { amount } reason }
        quickRatio { value reason }
        trialToPaid { value numerator denominator }
        netRevenue { amount }
      }
    }
  }
}
"""

SERIES = """
query ($metric: MetricName!, $events: [String!]) {
  metricSeries(metric: $metric, range: {start: "2024-01-01", end: "2024-06-30"},
               granularity: QUARTER, breakdown: {dimension: ATTRIBUTE, attribute: "tier"},
               events: $events) {
    metric
    series { group formula points { start value } }
  }
}
"""


async def test_mrr_movements_come_back_per_month_in_the_base_currency(
    api: Api, sessions: Sessions
) -> None:
    await hand_made().write(sessions)

    data = await api.data(MOVEMENTS, {"range": HALF})

    (series,) = data["mrrMovements"]["series"]
    assert data["mrrMovements"]["granularity"] == "MONTH"
    assert series["group"] is None
    february = series["periods"][1]
    assert february["start"] == "2024-02-01"
    assert february["mrr"] == {"amount": 45000, "currency": "USD"}
    assert february["newBusiness"] == {"amount": {"amount": 19000}, "customers": 2}
    assert february["churn"] == {"amount": {"amount": 4000}, "customers": 1}
    assert february["netNewMrr"] == {"amount": 15000}


async def test_a_plan_breakdown_returns_a_series_per_plan(api: Api, sessions: Sessions) -> None:
    await hand_made().write(sessions)

    data = await api.data(MOVEMENTS, {"range": HALF, "breakdown": {"dimension": "PLAN"}})

    groups = [series["group"] for series in data["mrrMovements"]["series"]]
    assert groups == ["addon", "basic", "pro"]


async def test_the_drill_down_is_a_connection_with_cursors(api: Api, sessions: Sessions) -> None:
    await hand_made().write(sessions)

    first = (await api.data(CUSTOMERS))["movementCustomers"]
    cursor = first["pageInfo"]["endCursor"]
    second = (await api.data(CUSTOMERS, {"after": cursor}))["movementCustomers"]

    assert first["totalCount"] == 2
    assert first["pageInfo"]["hasNextPage"] is True
    assert [edge["node"]["customerId"] for edge in first["edges"]] == ["d"]
    assert second["edges"][0]["node"] == {
        "customerId": "e",
        "name": "Customer e",
        "previousMrr": {"amount": 0},
        "mrr": {"amount": 11000, "currency": "USD"},
    }
    assert second["pageInfo"]["hasNextPage"] is False


async def test_saas_metrics_name_the_churn_formula_and_carry_intervals(
    api: Api, sessions: Sessions
) -> None:
    await hand_made().write(sessions)

    data = (await api.data(SAAS, {"range": HALF}))["saasMetrics"]

    assert data["churnFormula"] == "DAILY_SUM"
    periods = data["series"][0]["periods"]
    # US customers: b, c, g paying; c churns in February, b in April.
    february = periods[1]
    assert february["customerChurnRate"]["numerator"] == 1
    assert february["customerChurnRate"]["formula"].startswith("sum over the period's days")
    assert 0 < february["customerChurnRate"]["lower"] < february["customerChurnRate"]["upper"]
    assert february["trialToPaid"] == {"value": 0.0, "numerator": 0, "denominator": 1}
    assert periods[2]["trialToPaid"]["value"] == 1.0
    assert february["quickRatio"] == {"value": 0.0, "reason": None}
    assert periods[0]["ltv"] == {
        "money": None,
        "reason": "no paying customers in the 6 periods before",
    }
    assert periods[0]["netRevenue"] == {"amount": 0}


async def test_metric_series_splits_by_an_attribute(api: Api, sessions: Sessions) -> None:
    await hand_made().write(sessions)

    data = (await api.data(SERIES, {"metric": "MRR"}))["metricSeries"]

    assert data["metric"] == "MRR"
    by_tier = {series["group"]: series["points"] for series in data["series"]}
    assert set(by_tier) == {None, "gold", "silver"}
    # Gold: at the end of March a pays 20000 and d 8000; by the end of June d has left.
    assert by_tier["gold"] == [
        {"start": "2024-01-01", "value": 28000.0},
        {"start": "2024-04-01", "value": 20000.0},
    ]


async def test_an_empty_country_filter_matches_no_customer(api: Api, sessions: Sessions) -> None:
    await hand_made().write(sessions)
    query = """{
      metricSeries(metric: MRR, range: {start: "2024-01-01", end: "2024-06-30"},
                   granularity: QUARTER, filter: {country: ""}) {
        series { points { start value } }
      }
    }"""

    [series] = (await api.data(query))["metricSeries"]["series"]

    assert series["points"] == [
        {"start": "2024-01-01", "value": 0.0},
        {"start": "2024-04-01", "value": 0.0},
    ]


async def test_unknown_event_names_and_backward_ranges_are_bad_user_input(
    api: Api, sessions: Sessions
) -> None:
    await hand_made().write(sessions)

    unknown = await api.post_graphql(SERIES, {"metric": "DAU", "events": ["nope"]})
    backwards = await api.post_graphql(
        MOVEMENTS, {"range": {"start": "2024-06-30", "end": "2024-01-01"}}
    )

    assert unknown["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "'nope'" in unknown["errors"][0]["message"]
    assert backwards["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_nul_character_in_an_argument_is_bad_user_input_on_every_store(
    api: Api, sessions: Sessions
) -> None:
    """PostgreSQL cannot hold the character at all; SQLite knows no event named so."""
    await hand_made().write(sessions)

    answer = await api.post_graphql(SERIES, {"metric": "DAU", "events": ["login\x00"]})

    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_viewer_reads_metrics_and_a_stranger_is_refused(
    anonymous: Api, sessions: Sessions
) -> None:
    await hand_made().write(sessions)
    viewer = await add_person(anonymous.settings, "viewer@example.com", Role.VIEWER)

    seen = await anonymous.as_bearer(viewer.token).post_graphql(MOVEMENTS, {"range": HALF})
    refused = await anonymous.post_graphql(MOVEMENTS, {"range": HALF})

    assert seen["data"]["mrrMovements"]["series"][0]["periods"][0]["mrr"]["amount"] == 30000
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
