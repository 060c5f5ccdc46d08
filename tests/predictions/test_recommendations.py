"""Recommendations through GraphQL, each finding's numbers recomputed from the written
records with pandas, scipy and statsmodels."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sqlalchemy import text
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from saaslens.analytics.lifetime_value import purchase_summary, value_customers
from saaslens.auth.roles import Role
from saaslens.automation.catalog import template
from saaslens.automation.parameters import resolve
from saaslens.data.queries.lead_features import lead_features
from saaslens.data.queries.periods import DateRange
from saaslens.services.recommendations import RecommendationsQuestion, recommendations
from tests.api import Api, add_person
from tests.predictions.findings import AT_RISK, World, build
from tests.predictions.pipeline import Sessions, write_leads
from tests.predictions.test_model_versions import SMALL

RANGE = {"start": "2024-01-01", "end": "2024-12-31"}
ALPHA = 0.05
RECOMMENDATIONS = """query($range: DateRangeInput!, $alpha: Float, $limit: Int) {
  recommendations(range: $range, alpha: $alpha, limit: $limit) {
    month notes
    findings { kind priority reading action
      evidence { test statisticName statistic pValue alpha sampleSizes
                 interval { low high level } measures { name value } }
      subjects { id measures { name value } }
      automation { template parameters } } } }"""
TRAIN = "mutation { trainLeadModel { version } }"


def month_index(moments: pd.Series) -> pd.Series:
    """1 for January 2024, 12 for December."""
    return (moments.dt.year - 2024) * 12 + moments.dt.month


def paying_at_month_ends(world: World) -> pd.DataFrame:
    """Customers (rows) by month (columns 0-12): MRR at the end of that month of 2024."""
    changes = pd.DataFrame(world.book.changes)
    changes["month"] = month_index(pd.to_datetime(changes["effective_at"], utc=True))
    ends = {}
    for month in range(13):
        known = changes[changes["month"] <= month].sort_values("effective_at")
        ends[month] = known.groupby("subscription_id").last().groupby("customer_id")["mrr"].sum()
    return pd.DataFrame(ends).fillna(0)


def expected_churn(world: World) -> tuple[tuple[int, int], tuple[int, int]]:
    """(churned, paying at the start) of December and of June to November pooled."""
    mrr = paying_at_month_ends(world)
    churned = {m: int(((mrr[m - 1] > 0) & (mrr[m] == 0)).sum()) for m in range(6, 13)}
    paying = {m: int((mrr[m - 1] > 0).sum()) for m in range(6, 13)}
    baseline = range(6, 12)
    return (churned[12], paying[12]), (
        sum(churned[m] for m in baseline),
        sum(paying[m] for m in baseline),
    )


def expected_new_mrr(world: World) -> pd.Series:
    changes = pd.DataFrame(world.book.changes).sort_values("effective_at")
    first = changes.groupby("customer_id").first()
    months = month_index(pd.to_datetime(first["effective_at"], utc=True))
    return first["mrr"].groupby(months).sum().reindex(range(6, 13), fill_value=0)


def expected_retention(world: World) -> pd.DataFrame:
    """Per signup month of January to November: members and those active a month later."""
    customers = pd.DataFrame(world.book.customers).set_index("id")
    cohort = month_index(pd.to_datetime(customers["created_at"], utc=True))
    events = pd.DataFrame(world.book.events)
    events["month"] = month_index(pd.to_datetime(events["occurred_at"], utc=True))
    active = set(zip(events["customer_id"], events["month"], strict=True))
    back = pd.Series([(c, m + 1) in active for c, m in cohort.items()], index=cohort.index)
    table = pd.DataFrame({"cohort": cohort, "back": back})
    counts = table.groupby("cohort")["back"].agg(["sum", "count"])
    return counts.loc[1:11]


def expected_at_risk(world: World) -> pd.DataFrame:
    """Paying customers whose weekly events over 8 weeks slope down and whose BG/NBD
    probability of being alive, fitted on their daily purchases, is below one half."""
    book = world.book
    payments = pd.DataFrame(book.payments)
    moments = pd.to_datetime(payments["occurred_at"], utc=True)
    purchases = payments.assign(occurred_at=moments.dt.floor("D"))
    summary = purchase_summary(purchases, datetime(2024, 12, 31, tzinfo=UTC), 7.0)
    valued = value_customers(summary, 12, 0.01, 7.0).customers

    events = pd.DataFrame(book.events)
    day = pd.to_datetime(events["occurred_at"], utc=True).dt.floor("D")
    first = pd.Timestamp("2024-12-31", tz="UTC") - pd.Timedelta(days=55)
    recent = events[day >= first].assign(span=((day[day >= first] - first).dt.days // 7))
    weekly = recent.pivot_table(
        index="customer_id", columns="span", values="id", aggfunc="count"
    ).reindex(columns=range(8), fill_value=0)
    slopes = {
        customer: np.polyfit(np.arange(8), weekly.loc[customer].fillna(0).to_numpy(), 1)[0]
        for customer in weekly.index
    }
    frame = valued.assign(
        revenue=payments.groupby("customer_id")["amount"].sum(),
        mrr=paying_at_month_ends(world)[12],
        trend=pd.Series(slopes),
    ).fillna({"trend": 0.0})
    risky = frame[(frame["mrr"] > 0) & (frame["trend"] < -1e-9)]
    risky = risky[risky["probability_alive"] < 0.5].rename_axis("id").reset_index()
    return risky.sort_values(["revenue", "id"], ascending=[False, True])


async def expected_hot_leads(sessions: Sessions) -> pd.DataFrame:
    """Open leads the stored model, unpickled, puts above one half; ties by id."""
    async with sessions() as session:
        stored = await session.scalar(text("SELECT model FROM lead_models ORDER BY version DESC"))
        frame = await lead_features(session)
    scorer = pickle.loads(stored)
    open_leads = frame[frame["outcome"] == "open"]
    probabilities = pd.DataFrame(
        {
            "id": open_leads["id"],
            "probability": scorer.probabilities(scorer.design.matrix(open_leads)),
        }
    )
    hot = probabilities[probabilities["probability"] > 0.5]
    return hot.sort_values(["probability", "id"], ascending=[False, True])


def measures(node: dict[str, Any]) -> dict[str, float]:
    return {measure["name"]: measure["value"] for measure in node["measures"]}


def by_kind(findings: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [finding for finding in findings if finding["kind"] == kind]


async def recommend(api: Api, **variables: Any) -> dict[str, Any]:
    data = await api.data(RECOMMENDATIONS, {"range": RANGE, **variables})
    result: dict[str, Any] = data["recommendations"]
    return result


def check_churn(world: World, finding: dict[str, Any]) -> None:
    (x1, n1), (x2, n2) = expected_churn(world)
    z, p = proportions_ztest([x1, x2], [n1, n2])
    evidence = finding["evidence"]
    assert evidence["sampleSizes"] == [n1, n2]
    assert (evidence["statisticName"], evidence["alpha"]) == ("z", ALPHA)
    assert evidence["statistic"] == pytest.approx(z)
    assert evidence["pValue"] == pytest.approx(p)
    p1, p2 = x1 / n1, x2 / n2
    half = stats.norm.ppf(0.975) * np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    interval = evidence["interval"]
    assert [interval["low"], interval["high"]] == pytest.approx([p1 - p2 - half, p1 - p2 + half])
    assert measures(evidence)["latest_rate"] == pytest.approx(p1)
    assert finding["priority"] == pytest.approx(1 - p)
    assert finding["automation"]["template"] == "churn_alert"
    assert finding["automation"]["parameters"]["threshold"] == pytest.approx(p2, abs=1e-4)


def check_growth(world: World, finding: dict[str, Any]) -> None:
    values = expected_new_mrr(world)
    fit = stats.linregress(np.arange(len(values)), values.to_numpy(dtype=float))
    half = stats.t.ppf(0.975, len(values) - 2) * fit.stderr
    evidence = finding["evidence"]
    assert evidence["sampleSizes"] == [7]
    assert evidence["statistic"] == pytest.approx(fit.slope)
    assert evidence["pValue"] == pytest.approx(fit.pvalue)
    interval = evidence["interval"]
    assert [interval["low"], interval["high"]] == pytest.approx(
        [fit.slope - half, fit.slope + half]
    )
    assert fit.slope < 0
    assert finding["priority"] == pytest.approx(0.9 * (1 - fit.pvalue))


def check_cohorts(world: World, findings: list[dict[str, Any]]) -> None:
    table = expected_retention(world)
    earlier = table.loc[1:8].sum()
    expected = {}
    for cohort in (9, 10, 11):
        kept, members = int(table.loc[cohort, "sum"]), int(table.loc[cohort, "count"])
        z, p = proportions_ztest([kept, int(earlier["sum"])], [members, int(earlier["count"])])
        if p < ALPHA and z < 0:
            expected[cohort] = (kept, members, z, p)
    assert list(expected) == [11]
    (finding,) = findings
    assert "November 2024" in finding["reading"]
    kept, members, z, p = expected[11]
    evidence = finding["evidence"]
    assert evidence["sampleSizes"] == [members, int(earlier["count"])]
    assert evidence["statistic"] == pytest.approx(z)
    assert evidence["pValue"] == pytest.approx(p)
    low, high = proportion_confint(kept, members, alpha=0.05, method="wilson")
    numbers = measures(evidence)
    assert numbers["cohort_retention"] == pytest.approx(kept / members)
    assert [numbers["cohort_retention_low"], numbers["cohort_retention_high"]] == pytest.approx(
        [low, high]
    )
    low, high = proportion_confint(earlier["sum"], earlier["count"], alpha=0.05, method="wilson")
    assert [numbers["earlier_retention_low"], numbers["earlier_retention_high"]] == pytest.approx(
        [low, high]
    )


def check_at_risk(world: World, finding: dict[str, Any]) -> None:
    risky = expected_at_risk(world)
    assert set(risky["id"]) >= {f"v{n}" for n in range(AT_RISK)}
    assert finding["evidence"]["sampleSizes"][0] == len(risky)
    assert measures(finding["evidence"])["mrr"] == risky["mrr"].sum()
    named = risky.head(10)
    assert [subject["id"] for subject in finding["subjects"]] == list(named["id"])
    for subject, row in zip(finding["subjects"], named.itertuples(), strict=True):
        numbers = measures(subject)
        assert numbers["revenue"] == row.revenue
        assert numbers["probability_alive"] == pytest.approx(row.probability_alive, rel=1e-6)
        assert numbers["engagement_trend"] == pytest.approx(row.trend)
        assert numbers["lifetime_value"] == pytest.approx(row.lifetime_value, rel=1e-6)
    assert finding["priority"] == pytest.approx(0.7 * np.mean(1 - named["probability_alive"]))
    assert finding["automation"]["parameters"] == {"min_risk": 0.5, "limit": len(risky)}


async def check_hot_leads(sessions: Sessions, finding: dict[str, Any]) -> None:
    hot = await expected_hot_leads(sessions)
    top = hot.head(10)
    assert finding["evidence"]["sampleSizes"][0] == len(hot)
    assert [subject["id"] for subject in finding["subjects"]] == list(top["id"])
    probabilities = [measures(subject)["probability"] for subject in finding["subjects"]]
    assert probabilities == pytest.approx(top["probability"].tolist())
    assert finding["priority"] == pytest.approx(0.6 * top["probability"].mean())


async def test_a_year_built_with_each_finding_shows_each_with_its_numbers(
    api: Api, sessions: Sessions
) -> None:
    world = build(eventful=True)
    await world.book.write(sessions)
    await write_leads(sessions, SMALL)
    await api.data(TRAIN)

    result = await recommend(api, alpha=ALPHA)

    assert result["month"] == "2024-12-01"
    assert result["notes"] == []
    findings = result["findings"]
    assert {finding["kind"] for finding in findings} == {
        "CHURN_CHANGE",
        "GROWTH_CHANGE",
        "WEAKER_COHORT",
        "CUSTOMERS_AT_RISK",
        "HOT_LEADS",
    }
    priorities = [finding["priority"] for finding in findings]
    assert priorities == sorted(priorities, reverse=True)
    (churn,) = by_kind(findings, "CHURN_CHANGE")
    check_churn(world, churn)
    (growth,) = by_kind(findings, "GROWTH_CHANGE")
    check_growth(world, growth)
    check_cohorts(world, by_kind(findings, "WEAKER_COHORT"))
    (at_risk,) = by_kind(findings, "CUSTOMERS_AT_RISK")
    check_at_risk(world, at_risk)
    (hot,) = by_kind(findings, "HOT_LEADS")
    await check_hot_leads(sessions, hot)
    for finding in findings:
        assert finding["reading"].endswith(".")
        assert finding["action"]
        if finding["automation"] is not None:
            automation = finding["automation"]
            resolve(template(automation["template"]).parameters_schema, automation["parameters"])


async def test_a_calm_year_shows_no_finding(api: Api, sessions: Sessions) -> None:
    await build(eventful=False).book.write(sessions)

    result = await recommend(api)

    assert result["findings"] == []
    # Every kind was judged except hot leads, which need a trained model.
    assert result["notes"] == [
        "hot leads: no lead model has been trained yet (trainLeadModel trains one)"
    ]


async def test_viewers_read_recommendations_and_strangers_do_not(
    api: Api, anonymous: Api, sessions: Sessions
) -> None:
    await build(eventful=False).book.write(sessions)
    viewer = await add_person(api.settings, "viewer@example.com", Role.VIEWER)

    assert (await recommend(api.as_bearer(viewer.token)))["month"] == "2024-12-01"
    body = await anonymous.post_graphql(RECOMMENDATIONS, {"range": RANGE})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"alpha": 0.0}, "alpha must be above 0"),
        ({"limit": 0}, "limit must be between 1"),
        (
            {"range": {"start": "2024-07-01", "end": "2024-12-30"}},
            "the range holds 5 complete months",
        ),
    ],
)
async def test_bad_arguments_are_refused_as_bad_user_input(
    api: Api, variables: dict[str, Any], message: str
) -> None:
    body = await api.post_graphql(RECOMMENDATIONS, {"range": RANGE, **variables})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"]


async def test_answers_are_kept_until_the_data_changes(sessions: Sessions) -> None:
    world = build(eventful=False)
    await world.book.write(sessions)
    question = RecommendationsQuestion(DateRange(date(2024, 1, 1), date(2024, 12, 31)))

    async with sessions() as session:
        first = await recommendations(session, question)
    async with sessions() as session:
        again = await recommendations(session, question)
    world.book.customer("late", datetime(2024, 12, 30, tzinfo=UTC))
    await world.book.write(sessions)
    async with sessions() as session:
        changed = await recommendations(session, question)

    assert again is first
    assert changed is not first
    assert changed == first
