"""Metrics on the simulated business of `saaslens demo`, against pandas."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.config import load_settings
from saaslens.data.demo import Scenario, simulate
from saaslens.data.demo.loading import write
from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.services.engagement import EngagementQuestion, EngagementRunner
from saaslens.services.movements import MovementsRunner
from saaslens.services.runner import Scope
from tests.metrics.oracle import MOVEMENTS, Oracle

Sessions = async_sessionmaker[AsyncSession]
SCENARIO = Scenario(customers=60, seed=3, end=date(2025, 1, 1), months=8, events_per_user=3)


async def demo_oracle(sessions: Sessions) -> Oracle:
    """The stored records, read back raw, for the pandas side to recompute from."""
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    await write(
        simulate(SCENARIO),
        sessions,
        load_settings(database_url=url),
        batch_size=5000,
        progress=lambda *_: None,
    )
    queries = {
        "customers": "SELECT id, country, segment FROM customers",
        "changes": "SELECT id, subscription_id, customer_id, plan, status, mrr, effective_at "
        "FROM subscription_changes",
        "payments": "SELECT customer_id, kind, amount, occurred_at FROM payments",
        "events": "SELECT customer_id, user_id, name, occurred_at FROM events",
    }
    frames = {}
    async with sessions() as session:
        for name, query in queries.items():
            result = await session.execute(text(query))
            frames[name] = pd.DataFrame(result.all(), columns=list(result.keys()))
    frames["customers"]["attributes"] = [{}] * len(frames["customers"])
    return Oracle("UTC", **frames)


async def test_demo_movements_and_active_users_match_pandas(sessions: Sessions) -> None:
    oracle = await demo_oracle(sessions)
    months = DateRange(date(2024, 5, 1), date(2024, 12, 31))
    days = DateRange(date(2024, 11, 1), date(2024, 12, 31))

    async with sessions() as session:
        movements = await MovementsRunner(Scope(months, Granularity.MONTH)).run(session)
        active = await EngagementRunner(EngagementQuestion(Scope(days, Granularity.DAY))).run(
            session
        )

    expected = oracle.movements(months.start, months.end, "month", oracle.customers_where())
    found = pd.DataFrame([vars(period) for period in movements.series[0].periods])
    columns = ["mrr", "paying", *MOVEMENTS, *(f"{kind}_customers" for kind in MOVEMENTS)]
    assert expected["new_business_customers"].sum() > 0
    assert found[columns].to_numpy().tolist() == expected[columns].to_numpy().tolist()
    users = oracle.active_users(days.start, days.end)
    assert users["mau"].max() > 0
    assert [(p.users.dau, p.users.wau, p.users.mau) for p in active.series[0].periods] == list(
        users[["dau", "wau", "mau"]].itertuples(index=False, name=None)
    )
