"""Statistics on customer and lead attributes over real HTTP, against scipy and statsmodels.

The expected numbers come from the rows the tests write, read back in plain
pandas: each subscription's latest change gives a customer's MRR, plan and
churn, the attributes come from the customer documents, and the leads' wins
from their closing stages. Nothing of the feature frames is reused.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from statsmodels.stats.proportion import proportions_ztest

from saaslens.config import load_settings
from saaslens.data.ingestion import ingest
from saaslens.data.ingestion.records import Kind
from tests.api import Api
from tests.metrics.book import Book
from tests.metrics.scenario import at

Sessions = async_sessionmaker[AsyncSession]
AS_OF = "2024-06-30"


def _business(seed: int = 7, customers: int = 60) -> Book:
    """Customers on basic or pro, MRR growing with seats, some churned; some without seats."""
    rng = random.Random(seed)
    book = Book()
    for number in range(customers):
        created = at(2024, 1, 1) + timedelta(days=rng.randint(0, 90), hours=rng.randint(0, 23))
        seats = rng.randint(1, 40)
        attributes: dict[str, Any] = {"tier": rng.choice(["gold", "silver"])}
        if number % 7:
            attributes["seats"] = seats
        customer = book.customer(
            f"c{number:02d}",
            created,
            segment="smb" if number % 3 else "enterprise",
            attributes=attributes,
        )
        plan = "pro" if number % 2 else "basic"
        mrr = seats * (3000 if plan == "pro" else 1000) + rng.randint(0, 20_000)
        book.change(f"{customer}-s", customer, created + timedelta(days=1), "active", mrr, plan)
        if rng.random() < (0.25 if number % 3 else 0.55):
            canceled = created + timedelta(days=rng.randint(20, 60))
            book.change(f"{customer}-s", customer, canceled, "canceled", 0, plan)
    return book


def _expected(book: Book) -> pd.DataFrame:
    """Per customer: mrr, plan (while paying), churned, seats, segment and tenure."""
    customers = pd.DataFrame(book.customers).set_index("id")
    changes = pd.DataFrame(book.changes).sort_values("effective_at")
    latest = changes.groupby("customer_id").tail(1).set_index("customer_id")
    paying = latest["status"] == "active"
    return pd.DataFrame(
        {
            "mrr": latest["mrr"].where(paying, 0).astype(float),
            "plan": latest["plan"].where(paying),
            "churned": (~paying).astype(float),
            "seats": [document.get("seats", np.nan) for document in customers["attributes"]],
            "segment": customers["segment"],
            "tenure_days": [
                (date.fromisoformat(AS_OF) - moment.date()).days
                for moment in customers["created_at"]
            ],
        },
        index=customers.index,
    )


def _attribute(name: str, **given: Any) -> dict[str, Any]:
    return {"attribute": {"name": name, "asOf": AS_OF, **given}}


def _error(body: dict[str, Any]) -> dict[str, Any]:
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    return dict(error)


DESCRIBE = """
query ($data: SeriesInput!) {
  descriptiveStatistics(data: $data) {
    n mean median standardDeviation skewness meanInterval { low high } reading
  }
}
"""

COMPARE = """
query ($first: SeriesInput!, $second: SeriesInput!) {
  compareMeans(first: $first, second: $second) {
    t degreesOfFreedom pValue nFirst nSecond difference reading
  }
  compareDistributions(first: $first, second: $second) { u pValue nFirst nSecond }
}
"""

CORRELATION = """
query ($first: SeriesInput!, $second: SeriesInput!) {
  correlation(first: $first, second: $second) { method coefficient pValue n }
}
"""

RATES = """
query ($first: RateInput!, $second: RateInput!) {
  compareRates(first: $first, second: $second) { rateFirst rateSecond z pValue }
  chiSquare(rates: [$first, $second]) { statistic pValue degreesOfFreedom }
}
"""

SHAPE = """
query ($data: SeriesInput!) {
  normality(data: $data) { shapiroWilk { statistic pValue n } }
  outliers(data: $data, method: IQR) { n flags { period value } }
}
"""

LINEAR = """
query ($target: FeatureInput!, $features: [FeatureInput!]!) {
  linearRegression(target: $target, features: $features) {
    coefficients { name estimate standardError pValue } rSquared n
  }
}
"""

LOGISTIC = """
query ($target: FeatureInput!, $features: [FeatureInput!]!) {
  logisticRegression(target: $target, features: $features) {
    coefficients { name estimate pValue } pseudoRSquared n
  }
}
"""


async def test_an_attribute_of_a_segment_is_described_as_scipy_does(
    api: Api, sessions: Sessions
) -> None:
    book = _business()
    await book.write(sessions)
    expected = _expected(book)
    pro = expected.loc[expected["plan"] == "pro", "mrr"]

    result = await api.data(DESCRIBE, {"data": _attribute("mrr", filter={"plan": "pro"})})

    described = result["descriptiveStatistics"]
    assert described["n"] == len(pro) > 10
    assert described["mean"] == pytest.approx(pro.mean())
    assert described["median"] == pytest.approx(pro.median())
    assert described["standardDeviation"] == pytest.approx(pro.std(ddof=1))
    assert described["skewness"] == pytest.approx(stats.skew(pro, bias=False))
    band = stats.ttest_1samp(pro, 0).confidence_interval()
    assert described["meanInterval"]["low"] == pytest.approx(band.low)
    assert described["reading"].startswith(f"Over {len(pro)} values the mean is")


async def test_two_plans_mrr_compare_as_welch_and_mann_whitney(
    api: Api, sessions: Sessions
) -> None:
    book = _business()
    await book.write(sessions)
    expected = _expected(book)
    pro = expected.loc[expected["plan"] == "pro", "mrr"]
    basic = expected.loc[expected["plan"] == "basic", "mrr"]
    welch = stats.ttest_ind(pro, basic, equal_var=False)
    ranks = stats.mannwhitneyu(pro, basic, alternative="two-sided")

    result = await api.data(
        COMPARE,
        {
            "first": _attribute("mrr", filter={"plan": "pro"}),
            "second": _attribute("mrr", filter={"plan": "basic"}),
        },
    )

    means = result["compareMeans"]
    assert (means["nFirst"], means["nSecond"]) == (len(pro), len(basic))
    assert means["t"] == pytest.approx(welch.statistic)
    assert means["degreesOfFreedom"] == pytest.approx(welch.df)
    assert means["pValue"] == pytest.approx(welch.pvalue)
    assert means["difference"] == pytest.approx(pro.mean() - basic.mean())
    assert means["reading"].startswith("The first sample's mean is significantly higher")
    assert result["compareDistributions"]["u"] == pytest.approx(ranks.statistic)
    assert result["compareDistributions"]["pValue"] == pytest.approx(ranks.pvalue)


async def test_two_attributes_correlate_on_the_customers_having_both(
    api: Api, sessions: Sessions
) -> None:
    book = _business()
    await book.write(sessions)
    expected = _expected(book)
    both = expected[["seats", "mrr"]].dropna()

    result = await api.data(
        CORRELATION, {"first": _attribute("attribute.seats"), "second": _attribute("mrr")}
    )

    pearson, spearman, kendall = result["correlation"]
    assert pearson["n"] == len(both) < len(expected)
    assert pearson["coefficient"] == pytest.approx(stats.pearsonr(*both.T.values).statistic)
    assert pearson["pValue"] == pytest.approx(stats.pearsonr(*both.T.values).pvalue)
    assert spearman["coefficient"] == pytest.approx(stats.spearmanr(*both.T.values).statistic)
    assert kendall["coefficient"] == pytest.approx(stats.kendalltau(*both.T.values).statistic)


async def test_churn_of_two_segments_compares_as_a_z_test_and_chi_square(
    api: Api, sessions: Sessions
) -> None:
    book = _business()
    await book.write(sessions)
    expected = _expected(book)
    churn = expected.groupby("segment")["churned"].agg(["sum", "count"])
    counts = [int(churn.loc[s, "sum"]) for s in ("smb", "enterprise")]
    totals = [int(churn.loc[s, "count"]) for s in ("smb", "enterprise")]
    z, p = proportions_ztest(counts, totals)
    table = [[c, t - c] for c, t in zip(counts, totals, strict=True)]
    chi = stats.chi2_contingency(table, correction=False)

    result = await api.data(
        RATES,
        {
            "first": _attribute("churned", filter={"segment": "smb"}),
            "second": _attribute("churned", filter={"segment": "enterprise"}),
        },
    )

    rates = result["compareRates"]
    assert rates["rateFirst"] == pytest.approx(counts[0] / totals[0])
    assert rates["rateSecond"] == pytest.approx(counts[1] / totals[1])
    assert (rates["z"], rates["pValue"]) == pytest.approx((z, p))
    assert result["chiSquare"]["statistic"] == pytest.approx(chi.statistic)
    assert result["chiSquare"]["pValue"] == pytest.approx(chi.pvalue)


async def test_normality_and_outliers_of_an_attribute_name_the_customers(
    api: Api, sessions: Sessions
) -> None:
    book = _business()
    book.customer("whale", at(2024, 2, 1), attributes={"seats": 900})
    await book.write(sessions)
    seats = _expected(book)["seats"].dropna()

    result = await api.data(SHAPE, {"data": _attribute("attribute.seats")})

    shapiro = stats.shapiro(seats)
    assert result["normality"]["shapiroWilk"]["n"] == len(seats)
    assert result["normality"]["shapiroWilk"]["statistic"] == pytest.approx(shapiro.statistic)
    assert result["normality"]["shapiroWilk"]["pValue"] == pytest.approx(shapiro.pvalue)
    assert result["outliers"]["n"] == len(seats)
    assert result["outliers"]["flags"] == [{"period": "whale", "value": 900.0}]


async def test_regressions_on_attributes_equal_statsmodels(api: Api, sessions: Sessions) -> None:
    book = _business(seed=11, customers=80)
    await book.write(sessions)
    frame = _expected(book)[["mrr", "seats", "tenure_days", "churned"]].dropna()
    x = sm.add_constant(frame[["seats", "tenure_days"]].astype(float))
    ols = sm.OLS(frame["mrr"], x).fit()
    seats = sm.add_constant(frame[["seats"]].astype(float))
    logit = sm.Logit(frame["churned"], seats).fit(disp=0)

    linear = await api.data(
        LINEAR,
        {
            "target": _attribute("mrr"),
            "features": [
                {**_attribute("attribute.seats"), "name": "seats"},
                _attribute("tenure_days"),
            ],
        },
    )
    logistic = await api.data(
        LOGISTIC,
        {"target": _attribute("churned"), "features": [_attribute("attribute.seats")]},
    )

    fit = linear["linearRegression"]
    assert fit["n"] == len(frame)
    assert [c["name"] for c in fit["coefficients"]] == ["intercept", "seats", "tenure_days"]
    assert [c["estimate"] for c in fit["coefficients"]] == pytest.approx(list(ols.params))
    assert [c["standardError"] for c in fit["coefficients"]] == pytest.approx(list(ols.bse))
    assert fit["rSquared"] == pytest.approx(ols.rsquared)
    odds = logistic["logisticRegression"]
    assert [c["estimate"] for c in odds["coefficients"]] == pytest.approx(
        list(logit.params), rel=1e-5
    )
    assert odds["pseudoRSquared"] == pytest.approx(logit.prsquared, rel=1e-5)


async def test_an_ingestion_changes_the_answer_kept_for_an_attribute(
    api: Api, sessions: Sessions
) -> None:
    first = _business(customers=20)
    await first.write(sessions)
    before = (await api.data(DESCRIBE, {"data": _attribute("mrr")}))["descriptiveStatistics"]
    again = (await api.data(DESCRIBE, {"data": _attribute("mrr")}))["descriptiveStatistics"]

    later = Book()
    later.customer("late", at(2024, 3, 1))
    later.change("late-s", "late", at(2024, 3, 2), "active", 1_000_000, "pro")
    await later.write(sessions)
    after = (await api.data(DESCRIBE, {"data": _attribute("mrr")}))["descriptiveStatistics"]

    mrr = _expected(first)["mrr"]
    assert again == before
    assert (before["n"], before["mean"]) == (20, pytest.approx(mrr.mean()))
    assert (after["n"], after["mean"]) == (21, pytest.approx((mrr.sum() + 1_000_000) / 21))


LEADS = [("referral", "won"), ("referral", "won"), ("referral", "lost"), ("referral", "won")]
LEADS += [("outbound", "lost"), ("outbound", "won"), ("outbound", "lost"), ("outbound", "lost")]
LEADS += [("outbound", "lost"), ("referral", None), ("outbound", None), ("referral", "won")]


async def _write_leads(sessions: Sessions) -> pd.DataFrame:
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    settings = load_settings(database_url=url)
    start = datetime(2024, 3, 1, tzinfo=UTC)
    leads = [
        {
            "id": f"l{number}",
            "source": source,
            "company_size": 10 + 7 * number,
            "attributes": {"pages_viewed": number % 5},
            "created_at": (start + timedelta(days=number)).isoformat(),
        }
        for number, (source, _) in enumerate(LEADS)
    ]
    changes = [
        {
            "id": f"s{number}",
            "lead_id": f"l{number}",
            "stage": outcome or "qualified",
            "occurred_at": (start + timedelta(days=number + 5)).isoformat(),
        }
        for number, (_, outcome) in enumerate(LEADS)
    ]
    async with sessions() as session:
        assert (await ingest(session, Kind.LEADS, leads, settings)).accepted
        assert (await ingest(session, Kind.LEAD_STAGE_CHANGES, changes, settings)).accepted
    frame = pd.DataFrame(leads).set_index("id")
    frame["outcome"] = [outcome for _, outcome in LEADS]
    frame["pages_viewed"] = [document["pages_viewed"] for document in frame["attributes"]]
    return frame


async def test_win_rates_of_two_lead_sources_leave_open_leads_out(
    api: Api, sessions: Sessions
) -> None:
    leads = await _write_leads(sessions)
    closed = leads[leads["outcome"].notna()]
    won = (closed["outcome"] == "won").groupby(closed["source"]).agg(["sum", "count"])
    counts = [int(won.loc[source, "sum"]) for source in ("referral", "outbound")]
    totals = [int(won.loc[source, "count"]) for source in ("referral", "outbound")]
    z, p = proportions_ztest(counts, totals)

    def won_by(source: str) -> dict[str, Any]:
        return {"attribute": {"name": "won", "entity": "LEAD", "leadFilter": {"source": source}}}

    result = await api.data(RATES, {"first": won_by("referral"), "second": won_by("outbound")})
    sizes = await api.data(
        DESCRIBE, {"data": {"attribute": {"name": "company_size", "entity": "LEAD"}}}
    )

    rates = result["compareRates"]
    assert rates["rateFirst"] == pytest.approx(counts[0] / totals[0])
    assert (rates["z"], rates["pValue"]) == pytest.approx((z, p))
    assert sizes["descriptiveStatistics"]["n"] == len(leads)
    assert sizes["descriptiveStatistics"]["mean"] == pytest.approx(leads["company_size"].mean())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _attribute("happiness"),
            "unknown customer attribute 'happiness'; choose one of tenure_days, recency_days, "
            "active_days, events, revenue, mrr, engagement_trend, churned, or attribute.<key> "
            "for a custom attribute",
        ),
        (
            _attribute("plan"),
            "the customer attribute 'plan' is a label, not a number: filter on it to choose a "
            "segment instead",
        ),
        (
            _attribute("attribute.tier"),
            "the customer attribute attribute.tier is not a number: customer c00 has 'gold'",
        ),
        (
            _attribute("mrr", filter={"plan": "platinum"}),
            "no customer in the selection has a value for the customer attribute mrr",
        ),
        (
            _attribute("mrr", leadFilter={"source": "referral"}),
            "a lead filter chooses leads; filter customers by filter",
        ),
    ],
)
async def test_attributes_that_cannot_be_measured_are_bad_user_input(
    api: Api, sessions: Sessions, data: dict[str, Any], message: str
) -> None:
    await _business(customers=12).write(sessions)

    body = await api.post_graphql(DESCRIBE, {"data": data})

    assert _error(body)["message"] == message
    assert body["data"] is None


TREND = "query ($data: SeriesInput!) { linearTrend(data: $data) { slope } }"


async def test_an_attribute_has_no_order_to_trend_nor_periods_to_pair_with(
    api: Api, sessions: Sessions
) -> None:
    await _business(customers=12).write(sessions)
    months = {"points": [{"period": f"2024-0{m}", "value": m} for m in range(1, 6)]}

    trend = await api.post_graphql(TREND, {"data": _attribute("mrr")})
    paired = await api.post_graphql(CORRELATION, {"first": _attribute("mrr"), "second": months})
    rate = await api.post_graphql(
        RATES, {"first": _attribute("mrr"), "second": _attribute("churned")}
    )

    assert _error(trend)["message"] == (
        "a linear trend needs a series over periods; an attribute's values have no order"
    )
    assert _error(paired)["message"] == (
        "an attribute pairs by id, so only with an attribute of the same records; "
        "got customer and a series"
    )
    assert _error(rate)["message"].startswith(
        "a rate needs an attribute of 0s and 1s; the customer attribute mrr is "
    )


async def test_a_regression_cannot_mix_values_and_attributes(api: Api, sessions: Sessions) -> None:
    await _business(customers=12).write(sessions)

    body = await api.post_graphql(
        LINEAR,
        {
            "target": _attribute("mrr"),
            "features": [{"name": "seats", "values": [1.0, 2.0, 3.0]}],
        },
    )

    assert _error(body)["message"] == (
        "a regression takes every column as values or every column as an attribute"
    )


CHI_SQUARE = """
query ($table: [[Int!]!], $rates: [RateInput!]) {
  chiSquare(table: $table, rates: $rates) { statistic }
}
"""


async def test_a_chi_square_takes_a_table_or_rates_and_a_rate_one_form(
    api: Api, sessions: Sessions
) -> None:
    await _business(customers=12).write(sessions)
    churned = _attribute("churned")

    both = await api.post_graphql(CHI_SQUARE, {"table": [[1, 2], [3, 4]], "rates": [churned]})
    neither = await api.post_graphql(CHI_SQUARE, {})
    mixed = await api.post_graphql(
        CHI_SQUARE, {"rates": [{**churned, "successes": 3, "trials": 5}, churned]}
    )
    half = await api.post_graphql(CHI_SQUARE, {"rates": [{"successes": 3}, churned]})

    takes = "a chi-square test takes a table of counts or rates, exactly one"
    assert _error(both)["message"] == _error(neither)["message"] == takes
    assert _error(mixed)["message"] == (
        "a rate takes successes and trials, or an attribute, not both"
    )
    assert _error(half)["message"] == "a rate needs successes and trials, or an attribute"


def _lead(name: str) -> dict[str, Any]:
    return {"attribute": {"name": name, "entity": "LEAD"}}


async def test_a_lead_regression_joins_closed_leads_on_their_ids(
    api: Api, sessions: Sessions
) -> None:
    leads = await _write_leads(sessions)
    closed = leads[leads["outcome"].notna()]
    won = (closed["outcome"] == "won").astype(float)
    logit = sm.Logit(won, sm.add_constant(closed["company_size"].astype(float))).fit(disp=0)

    fitted = await api.data(
        LOGISTIC, {"target": _lead("won"), "features": [_lead("company_size")]}
    )
    pages = await api.data(DESCRIBE, {"data": _lead("attribute.pages_viewed")})

    odds = fitted["logisticRegression"]
    assert odds["n"] == len(closed) < len(leads)
    assert [c["estimate"] for c in odds["coefficients"]] == pytest.approx(
        list(logit.params), rel=1e-5
    )
    assert pages["descriptiveStatistics"]["mean"] == pytest.approx(leads["pages_viewed"].mean())
