"""Trainings that finish together still get one version each, on both stores."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from sqlalchemy import text

from saaslens.data.demo import Scenario
from saaslens.data.models import LeadModel
from saaslens.services.leads import keep_lead_model, train_lead_model
from tests.predictions.pipeline import Sessions, write_leads

NOW = datetime(2025, 1, 2, tzinfo=UTC)
# The fewest customers whose leads close often enough, both ways, to train on.
SMALL = Scenario(customers=700, seed=5, end=date(2025, 1, 1), months=24, events_per_user=0)


async def _versions(sessions: Sessions) -> list[int]:
    async with sessions() as session:
        rows = await session.execute(text("SELECT version FROM lead_models ORDER BY version"))
        return [int(version) for (version,) in rows]


async def test_two_trainings_at_once_are_kept_as_two_versions(sessions: Sessions) -> None:
    await write_leads(sessions, SMALL)

    async def training(analyst: str) -> LeadModel:
        async with sessions() as session:
            return await train_lead_model(session, analyst, NOW)

    first, second = await asyncio.gather(training("analyst-1"), training("analyst-2"))

    assert sorted([first.version, second.version]) == [1, 2]
    assert await _versions(sessions) == [1, 2]


async def test_many_models_stored_at_once_take_consecutive_versions(sessions: Sessions) -> None:
    """Every store reads the latest version before any commits, so all but one collide
    at least once and must read again."""

    async def keep(analyst: str) -> int:
        trained = LeadModel(
            trained_at=NOW,
            data_version=0,
            algorithm="logistic",
            scores={},
            model=b"scorer",
            trained_by=analyst,
        )
        async with sessions() as session:
            return (await keep_lead_model(session, trained)).version

    kept = await asyncio.gather(*(keep(f"analyst-{n}") for n in range(8)))

    assert sorted(kept) == list(range(1, 9))
    assert await _versions(sessions) == list(range(1, 9))
