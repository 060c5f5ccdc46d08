"""The cohort queries over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.config import load_settings
from saaslens.data.ingestion import Kind, ingest
from tests.api import Api
from tests.cohorts.scenario import new_york, utc
from tests.metrics.scenario import hand_made

Sessions = async_sessionmaker[AsyncSession]

RETENTION = """
query ($cohorting: CohortingInput, $onOrAfter: Boolean!) {
  retention(range: {start: "2024-01-01", end: "2024-04-30"}, granularity: MONTH, periods: 3,
            cohorting: $cohorting, onOrAfter: $onOrAfter) {
    granularity periods onOrAfter
    series {
      group
      cohorts { start members retained { value numerator denominator lower upper } }
      mean { numerator denominator }
    }
  }
}
"""


async def test_retention_reads_as_a_table_of_cohorts(api: Api, sessions: Sessions) -> None:
    await new_york().write(sessions)

    data = await api.data(RETENTION, {"onOrAfter": True})

    table = data["retention"]
    assert (table["granularity"], table["periods"], table["onOrAfter"]) == ("MONTH", 3, True)
    (series,) = table["series"]
    assert series["group"] is None
    january = series["cohorts"][0]
    assert (january["start"], january["members"]) == ("2024-01-01", 2)
    assert [cell["numerator"] for cell in january["retained"]] == [2, 1, 1]
    assert january["retained"][1]["value"] == 0.5
    assert 0 < january["retained"][1]["lower"] < 0.5 < january["retained"][1]["upper"] < 1
    assert series["cohorts"][3]["retained"][1:] == [None, None]
    assert series["mean"][0] == {"numerator": 3, "denominator": 3}


async def test_an_unknown_return_event_is_bad_user_input(api: Api, sessions: Sessions) -> None:
    await new_york().write(sessions)

    body = await api.post_graphql(
        RETENTION, {"onOrAfter": False, "cohorting": {"returnEvents": ["nope"]}}
    )

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "'nope'" in body["errors"][0]["message"]


LIFECYCLE = """
query {
  lifecycle(range: {start: "2024-01-01", end: "2024-05-31"}, granularity: MONTH) {
    granularity unit
    series { group periods { start new returning resurrecting dormant } }
  }
}
"""


async def test_lifecycle_reads_per_period(api: Api, sessions: Sessions) -> None:
    await new_york().write(sessions)

    data = await api.data(LIFECYCLE)

    lifecycle = data["lifecycle"]
    assert (lifecycle["granularity"], lifecycle["unit"]) == ("MONTH", "CUSTOMER")
    april = lifecycle["series"][0]["periods"][3]
    assert april == {
        "start": "2024-04-01",
        "new": 0,
        "returning": 0,
        "resurrecting": 1,
        "dormant": -1,
    }


FUNNEL = """
query ($steps: [String!]!) {
  funnel(range: {start: "2024-01-01", end: "2024-04-30"}, steps: $steps, windowDays: 30) {
    windowDays strict unit
    series {
      group
      steps { name members fromPrevious { value } overall { value } medianSecondsFromPrevious }
    }
  }
}
"""


async def test_a_funnel_reads_step_by_step(api: Api, sessions: Sessions) -> None:
    book = new_york()
    book.event("late", "u1", utc(2024, 3, 2, 3), "share")
    await book.write(sessions)

    data = await api.data(FUNNEL, {"steps": ["open", "share"]})
    unknown = await api.post_graphql(FUNNEL, {"steps": ["open", "nope"]})

    funnel = data["funnel"]
    assert (funnel["windowDays"], funnel["strict"], funnel["unit"]) == (30, False, "CUSTOMER")
    opened, shared = funnel["series"][0]["steps"]
    assert (opened["members"], opened["medianSecondsFromPrevious"]) == (3, None)
    assert (shared["name"], shared["members"], shared["medianSecondsFromPrevious"]) == (
        "share",
        1,
        86400.0,
    )
    assert shared["overall"]["value"] == pytest.approx(1 / 3)
    assert unknown["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


REVENUE = """
query {
  revenueRetention(range: {start: "2024-01-01", end: "2024-06-30"}, periods: 3) {
    granularity periods
    series {
      cohorts {
        start customers startingMrr { amount currency }
        mrr { amount } netRetention { value } payingRetention { numerator denominator }
      }
    }
  }
}
"""


async def test_revenue_retention_reads_money_and_rates(api: Api, sessions: Sessions) -> None:
    await hand_made().write(sessions)

    data = await api.data(REVENUE)

    january = data["revenueRetention"]["series"][0]["cohorts"][0]
    # a (15000), b (3000), c (4000) and h (8000) first end January paying.
    assert (january["start"], january["customers"]) == ("2024-01-01", 4)
    assert january["startingMrr"] == {"amount": 30000, "currency": "USD"}
    # c churned in February: 26000 of 30000 kept, three of four still paying.
    assert january["mrr"][1] == {"amount": 26000}
    assert january["netRetention"][1]["value"] == pytest.approx(26000 / 30000)
    assert january["payingRetention"][1] == {"numerator": 3, "denominator": 4}


SEGMENTS = """
query ($clusters: Int!) {
  behaviouralSegments(asOf: "2024-06-30", clusters: $clusters) {
    asOf silhouette
    segments { name customers means { feature mean } monetaryScore }
  }
}
"""


async def test_behavioural_segments_read_by_name(api: Api, sessions: Sessions) -> None:
    await hand_made().write(sessions)

    data = await api.data(SEGMENTS, {"clusters": 2})
    too_many = await api.post_graphql(SEGMENTS, {"clusters": 9})

    segmentation = data["behaviouralSegments"]
    assert segmentation["asOf"] == "2024-06-30"
    assert -1 <= segmentation["silhouette"] <= 1
    assert sum(segment["customers"] for segment in segmentation["segments"]) == 8
    features = {mean["feature"] for mean in segmentation["segments"][0]["means"]}
    assert {"mrr", "revenue", "engagement_trend"} <= features
    assert all("value" in segment["name"] for segment in segmentation["segments"])
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


PIPELINE = """
query ($stages: [String!]) {
  leadPipeline(range: {start: "2024-01-01", end: "2024-12-31"}, stages: $stages,
               breakdown: SOURCE) {
    series {
      group leads
      stages { name leads fromPrevious { value } medianDaysInStage }
      winRate { numerator denominator lower upper }
    }
  }
}
"""


async def test_the_lead_pipeline_reads_by_source(api: Api, sessions: Sessions) -> None:
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    at = utc(2024, 5, 1, 12)
    leads = [{"id": "a", "created_at": at, "source": "ads"}, {"id": "b", "created_at": at}]
    won = [{"id": "a-won", "lead_id": "a", "stage": "Won", "occurred_at": at + timedelta(days=3)}]
    async with sessions() as session:
        await ingest(session, Kind.LEADS, leads, load_settings(database_url=url))
    async with sessions() as session:
        await ingest(session, Kind.LEAD_STAGE_CHANGES, won, load_settings(database_url=url))

    data = await api.data(PIPELINE, {"stages": ["Qualified", "WON"]})
    repeated = await api.post_graphql(PIPELINE, {"stages": ["won", "won"]})

    unknown, ads = data["leadPipeline"]["series"]
    assert (ads["group"], unknown["group"]) == ("ads", None)
    assert [(stage["name"], stage["leads"]) for stage in ads["stages"]] == [
        ("created", 1),
        ("qualified", 1),
        ("won", 1),
    ]
    assert ads["stages"][0]["medianDaysInStage"] == 3.0
    assert ads["winRate"]["numerator"] == 1
    assert unknown["winRate"]["numerator"] == 0
    assert repeated["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
