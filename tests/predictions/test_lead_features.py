"""The lead feature frame against the raw rows, recomputed in pandas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.config import load_settings
from saaslens.data.ingestion import ingest
from saaslens.data.ingestion.records import Kind
from saaslens.data.queries.lead_features import lead_features

Sessions = async_sessionmaker[AsyncSession]
START = datetime(2024, 3, 1, tzinfo=UTC)


def _at(days: float) -> str:
    return (START + timedelta(days=days)).isoformat()


LEADS: list[dict[str, Any]] = [
    {
        "id": "a",
        "source": "referral",
        "campaign": "c1",
        "country": "US",
        "company_size": 40,
        "industry": "fintech",
        "attributes": {"job_title": "cfo", "pages_viewed": 7, "tags": ["x"]},
        "created_at": _at(0),
    },
    {
        "id": "b",
        "source": "outbound",
        "country": "JP",
        "attributes": {"job_title": "analyst"},
        "created_at": _at(1),
    },
    {"id": "c", "source": "webinar", "created_at": _at(2)},
]
CHANGES = [
    ("a", "qualified", 2),
    ("a", "demo", 5),
    ("a", "proposal", 9),
    ("a", "won", 30),
    ("b", "qualified", 3),
    ("b", "lost", 4),
    ("c", "qualified", 4),
    ("c", "demo", 6),
]


async def test_features_stop_before_the_outcome(sessions: Sessions) -> None:
    settings = load_settings(database_url=sessions.kw["bind"].url.render_as_string(False))
    rows = [
        {"id": f"s{i}", "lead_id": lead, "stage": stage, "occurred_at": _at(day)}
        for i, (lead, stage, day) in enumerate(CHANGES)
    ]
    async with sessions() as session:
        assert (await ingest(session, Kind.LEADS, LEADS, settings)).accepted
        assert (await ingest(session, Kind.LEAD_STAGE_CHANGES, rows, settings)).accepted
    async with sessions() as session:
        frame = (await lead_features(session)).set_index("id")

    changes = pd.DataFrame(CHANGES, columns=["lead", "stage", "day"])
    before = changes[~changes["stage"].isin(["won", "lost"])]
    expected_days = before.groupby("lead")["day"].max() - pd.Series({"a": 0, "b": 1, "c": 2})
    assert frame["days_in_pipeline"].to_dict() == pytest.approx(
        expected_days.astype(float).to_dict()
    )
    assert frame["stage_changes"].to_dict() == before.groupby("lead").size().to_dict()
    assert frame["furthest_stage"].to_dict() == {"a": "proposal", "b": "qualified", "c": "demo"}
    assert frame["outcome"].to_dict() == {"a": "won", "b": "lost", "c": "open"}
    assert frame.loc["a", "attr_job_title"] == "cfo"
    assert frame.loc["a", "attr_pages_viewed"] == 7
    assert "attr_tags" not in frame.columns
    assert frame["attr_job_title"].isna().to_dict()["c"]
    assert frame.loc["a", "company_size"] == 40
    assert frame["company_size"].isna().to_dict()["b"]
