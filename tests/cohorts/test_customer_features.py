"""The customer feature frame against the same features computed in pandas from the book."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.data.queries.segments import Segment
from saaslens.errors import InvalidInput
from saaslens.services.customer_features import (
    CustomerFeatures,
    CustomerFeaturesQuestion,
    CustomerFeaturesRunner,
)
from tests.metrics.book import Book
from tests.metrics.oracle import local_dates
from tests.metrics.scenario import generated, hand_made

Sessions = async_sessionmaker[AsyncSession]
AS_OF = date(2024, 4, 15)


def expected_features(book: Book, as_of: date, window: int, weeks: int) -> pd.DataFrame:
    end = pd.Timestamp(as_of)
    customers = pd.DataFrame(book.customers)
    customers["date"] = local_dates(customers["created_at"], book.zone)
    customers = customers[customers["date"] <= end].set_index("id").sort_index()
    rows = {}
    events = pd.DataFrame(book.events)
    events["date"] = local_dates(events["occurred_at"], book.zone)
    events = events[events["date"] <= end]
    payments = pd.DataFrame(book.payments)
    payments["date"] = local_dates(payments["occurred_at"], book.zone)
    payments = payments[payments["date"] <= end]
    changes = pd.DataFrame(book.changes)
    changes["date"] = local_dates(changes["effective_at"], book.zone)
    changes = changes[changes["date"] <= end].sort_values(["effective_at", "id"])
    latest = changes.groupby("subscription_id").tail(1)
    first_week = end - pd.Timedelta(days=7 * weeks - 1)
    for customer, profile in customers.iterrows():
        mine = events[events["customer_id"] == customer]
        recent = mine[mine["date"] > end - pd.Timedelta(days=window)]
        spans = mine[mine["date"] >= first_week]
        per_week = np.bincount(
            ((spans["date"] - first_week).dt.days // 7).to_numpy(int), minlength=weeks
        )
        paid = payments[payments["customer_id"] == customer]
        states = latest[
            (latest["customer_id"] == customer) & latest["status"].isin(["active", "past_due"])
        ]
        top = states.sort_values(["mrr", "plan"], ascending=[False, True])
        subscribed = latest[latest["customer_id"] == customer]
        live = subscribed["status"].isin(["trialing", "active", "past_due"]).any()
        rows[customer] = {
            "tenure_days": (end - profile["date"]).days,
            "recency_days": (end - mine["date"].max()).days if len(mine) else np.nan,
            "active_days": recent["date"].nunique(),
            "events": len(recent),
            "revenue": int(
                np.where(paid["kind"] == "refund", -paid["amount"], paid["amount"]).sum()
            ),
            "mrr": int(states["mrr"].sum()),
            "engagement_trend": np.polyfit(np.arange(weeks), per_week, 1)[0],
            "churned": np.nan if subscribed.empty else float(not live),
            "plan": top["plan"].iloc[0] if len(top) else None,
            "country": profile["country"],
            "segment": profile["segment"],
        }
    return pd.DataFrame.from_dict(rows, orient="index")


async def features(sessions: Sessions, question: CustomerFeaturesQuestion) -> CustomerFeatures:
    async with sessions() as session:
        return await CustomerFeaturesRunner(question).run(session)


@pytest.mark.parametrize("make", [lambda: generated(seed=3), hand_made])
async def test_features_match_pandas(sessions: Sessions, make: Callable[[], Book]) -> None:
    book = make()
    for number, event_day in enumerate((1, 30, 75, 95, 100)):
        for customer in book.customers[number::3]:
            moment = customer["created_at"] + timedelta(days=event_day, hours=number * 5)
            book.event(customer["id"], f"{customer['id']}-x", moment, "open")
    await book.write(sessions)

    result = await features(
        sessions, CustomerFeaturesQuestion(AS_OF, window_days=30, trend_weeks=6)
    )

    expected = expected_features(book, AS_OF, 30, 6)
    frame = result.frame
    assert list(frame.index) == list(expected.index)
    for column in ("tenure_days", "active_days", "events", "revenue", "mrr"):
        assert frame[column].tolist() == expected[column].tolist(), column
    for column in ("recency_days", "engagement_trend", "churned"):
        np.testing.assert_allclose(frame[column], expected[column].astype(float), atol=1e-9)
    for column in ("plan", "country", "segment"):
        assert (
            frame[column].where(frame[column].notna(), None).tolist() == expected[column].tolist()
        )
    assert expected["mrr"].sum() > 0
    assert expected["events"].sum() > 0
    assert expected["engagement_trend"].abs().sum() > 0
    assert 0 < expected["churned"].sum() < expected["churned"].count()


async def test_attributes_become_columns_and_a_filter_narrows(sessions: Sessions) -> None:
    book = hand_made()
    await book.write(sessions)

    german = await features(sessions, CustomerFeaturesQuestion(AS_OF, Segment(country="DE")))
    on_pro = await features(sessions, CustomerFeaturesQuestion(AS_OF, Segment(plan="pro")))

    assert list(german.frame.index) == ["a", "e"]
    assert german.frame.loc["a", "attribute.tier"] == "gold"
    assert german.frame.loc["a", "attribute.seats"] == 5
    assert list(on_pro.frame.index) == ["a"]


async def test_a_trend_over_one_week_is_refused(sessions: Sessions) -> None:
    with pytest.raises(InvalidInput, match="2 to"):
        await features(sessions, CustomerFeaturesQuestion(AS_OF, trend_weeks=1))
