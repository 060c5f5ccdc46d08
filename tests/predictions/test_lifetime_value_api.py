"""Lifetime values through GraphQL against value_customers on pandas-built purchase days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from saaslens.analytics.lifetime_value import (
    CustomerValuation,
    purchase_summary,
    value_customers,
)
from saaslens.config import load_settings
from saaslens.data.demo import Scenario
from saaslens.data.ingestion import ingest
from saaslens.data.ingestion.records import Kind
from tests.api import Api
from tests.predictions.pipeline import Sessions, write_business

SCENARIO = Scenario(customers=100, seed=8, end=date(2025, 1, 1), months=6, events_per_user=0)
START = datetime(2023, 7, 1, tzinfo=UTC)
RANGE = {"start": "2023-07-01", "end": "2024-12-31"}
VALUES = """query($range: DateRangeInput!, $sort: CustomerValueSort!, $after: String) {
  customerLifetimeValues(range: $range, sort: $sort, first: 5, after: $after) {
    simpleLtv parameters { model name value standardError }
    customers { totalCount pageInfo { endCursor }
      edges { node { customerId frequency recency age monetaryValue probabilityAlive
                     expectedPurchases lifetimeValue } } } } }"""
LTV = """query($range: DateRangeInput!) { metricSeries(metric: LTV, range: $range) {
  series { points { value } } } }"""


async def write_buyers(sessions: Sessions, count: int = 200) -> None:
    """Customers buying as BG/NBD and Gamma-Gamma assume: Poisson purchases until they
    drop out, gamma-distributed amounts around a gamma-distributed personal mean."""
    rng = np.random.default_rng(4)
    settings = load_settings(database_url=sessions.kw["bind"].url.render_as_string(False))
    customers: list[dict[str, object]] = []
    payments: list[dict[str, object]] = []
    for number in range(count):
        joined = START + pd.Timedelta(days=float(rng.uniform(0, 200)))
        customers.append({"id": f"c{number}", "name": f"Buyer {number}", "created_at": joined})
        rate, drop, mean = rng.gamma(2, 0.4), rng.beta(1, 6), 1 / rng.gamma(6, 1 / 200)
        moment = joined
        while moment < datetime(2025, 1, 1, tzinfo=UTC):
            amount = int(rng.gamma(8, mean / 8)) + 1
            payments.append(
                {
                    "id": f"p{len(payments)}",
                    "customer_id": f"c{number}",
                    "amount": amount,
                    "currency": "USD",
                    "occurred_at": moment,
                }
            )
            if rng.random() < drop:
                break
            moment += pd.Timedelta(weeks=float(rng.exponential(1 / rate)))
    async with sessions() as session:
        assert (await ingest(session, Kind.CUSTOMERS, customers, settings)).accepted
    async with sessions() as session:
        assert (await ingest(session, Kind.PAYMENTS, payments, settings)).accepted


async def _expected(sessions: Sessions) -> CustomerValuation:
    """Charges of the range summed per customer and UTC day, valued directly."""
    async with sessions() as session:
        rows = await session.execute(
            text("SELECT customer_id, occurred_at, amount FROM payments WHERE kind = 'charge'")
        )
        payments = pd.DataFrame(rows.all(), columns=["customer_id", "occurred_at", "amount"])
    moments = pd.to_datetime(payments["occurred_at"], utc=True)
    inside = (moments >= START) & (moments < datetime(2025, 1, 1, tzinfo=UTC))
    purchases = payments[inside].assign(occurred_at=moments[inside].dt.floor("D"))
    summary = purchase_summary(purchases, datetime(2024, 12, 31, tzinfo=UTC), 7.0)
    return value_customers(summary, 12, 0.01, 7.0)


async def test_lifetime_values_match_value_customers(api: Api, sessions: Sessions) -> None:
    await write_buyers(sessions)
    expected = await _expected(sessions)
    result = (await api.data(VALUES, {"range": RANGE, "sort": "LIFETIME_VALUE"}))[
        "customerLifetimeValues"
    ]

    fits = [("BG/NBD", expected.purchases.fit), ("Gamma-Gamma", expected.spend.fit)]
    assert [(p["model"], p["name"]) for p in result["parameters"]] == [
        (model, e.name) for model, fit in fits for e in fit.estimates
    ]
    assert [p["value"] for p in result["parameters"]] == pytest.approx(
        [e.value for _, fit in fits for e in fit.estimates], rel=1e-6
    )
    customers = expected.customers
    assert result["customers"]["totalCount"] == len(customers)
    top = customers.sort_values(by="lifetime_value", ascending=False).head(5)
    nodes = [edge["node"] for edge in result["customers"]["edges"]]
    assert [n["customerId"] for n in nodes] == list(top.index)
    assert [n["lifetimeValue"] for n in nodes] == pytest.approx(
        top["lifetime_value"].tolist(), rel=1e-6
    )
    assert [n["probabilityAlive"] for n in nodes] == pytest.approx(
        top["probability_alive"].tolist(), rel=1e-6
    )
    assert [n["frequency"] for n in nodes] == top["frequency"].tolist()

    last_month = {"start": "2024-12-01", "end": "2024-12-31"}
    (series,) = (await api.data(LTV, {"range": last_month}))["metricSeries"]["series"]
    assert result["simpleLtv"] == series["points"][-1]["value"]

    by_alive = (await api.data(VALUES, {"range": RANGE, "sort": "PROBABILITY_ALIVE"}))[
        "customerLifetimeValues"
    ]["customers"]
    after = await api.data(
        VALUES,
        {"range": RANGE, "sort": "PROBABILITY_ALIVE", "after": by_alive["pageInfo"]["endCursor"]},
    )
    alive = [
        edge["node"]["probabilityAlive"]
        for page in (by_alive, after["customerLifetimeValues"]["customers"])
        for edge in page["edges"]
    ]
    assert alive == sorted(alive, reverse=True)
    assert alive == pytest.approx(
        customers["probability_alive"].sort_values(ascending=False).head(10).tolist(), rel=1e-6
    )


async def test_the_demo_business_gets_lifetime_values(api: Api, sessions: Sessions) -> None:
    """Platform fees and volume tiers keep the demo's spend within Gamma-Gamma's reach: a
    finite mean spend (q > 1) and a finite value for every customer."""
    await write_business(sessions, SCENARIO)
    result = (await api.data(VALUES, {"range": RANGE, "sort": "LIFETIME_VALUE"}))[
        "customerLifetimeValues"
    ]

    estimates = {(p["model"], p["name"]): p["value"] for p in result["parameters"]}
    assert estimates[("Gamma-Gamma", "q")] > 1
    nodes = [edge["node"] for edge in result["customers"]["edges"]]
    assert len(nodes) == 5
    values = [node["lifetimeValue"] for node in nodes]
    assert values == sorted(values, reverse=True)
    assert all(np.isfinite(values))
    assert all(0 <= node["probabilityAlive"] <= 1 for node in nodes)
