"""Demo leads written through the real ingester, for the lead model tests."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.config import load_settings
from saaslens.data.demo import Scenario, simulate
from saaslens.data.demo.loading import write
from saaslens.data.ingestion import ingest
from saaslens.data.ingestion.records import Kind

Sessions = async_sessionmaker[AsyncSession]
# Enough leads that the held-out quarter has a few hundred closed ones.
SCENARIO = Scenario(customers=3000, seed=11, end=date(2025, 1, 1), months=24, events_per_user=0)
BATCH = 5000


async def write_leads(sessions: Sessions, scenario: Scenario = SCENARIO) -> None:
    """The leads, their stage changes and the rates their values convert at: nothing else
    of the business is needed."""
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    settings = load_settings(database_url=url)
    business = simulate(scenario)
    for kind in (Kind.EXCHANGE_RATES, Kind.LEADS, Kind.LEAD_STAGE_CHANGES):
        table = business.tables[kind]
        for start in range(0, len(table), BATCH):
            async with sessions() as session:
                report = await ingest(session, kind, table.rows(start, start + BATCH), settings)
                assert report.accepted, report.errors[:3]


async def write_business(sessions: Sessions, scenario: Scenario) -> None:
    """The whole simulated business, as `saaslens demo` writes it."""
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    settings = load_settings(database_url=url)
    await write(simulate(scenario), sessions, settings, batch_size=5000, progress=lambda *_: None)
