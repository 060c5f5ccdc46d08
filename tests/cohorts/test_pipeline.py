"""The lead pipeline against a lead-by-lead walk in pandas, on hand-made and demo leads."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from statistics import median
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.config import load_settings
from saaslens.data.ingestion import Kind, ingest
from saaslens.data.queries.periods import DateRange
from saaslens.data.queries.pipeline import LeadDimension
from saaslens.errors import InvalidInput
from saaslens.services.pipeline import PipelineQuestion, PipelineRunner, PipelineSeries
from tests.cohorts.scenario import utc
from tests.cohorts.test_demo_retention import demo_book
from tests.metrics.oracle import wilson

Sessions = async_sessionmaker[AsyncSession]
ORDER = ("qualified", "demo", "proposal", "won")
YEAR = DateRange(date(2024, 1, 1), date(2024, 12, 31))


def expected_pipeline(
    leads: pd.DataFrame, changes: pd.DataFrame, group_by: str | None
) -> dict[str, dict[str, Any]]:
    """group -> leads, per stage (reached, median days in stage), won, closed."""
    result: dict[str, dict[str, Any]] = {}
    path = ["created", *ORDER]
    for _, lead in leads.iterrows():
        group = (lead[group_by] or "") if group_by else ""
        mine = changes[changes["lead_id"] == lead["id"]]
        entered = {"created": pd.Timestamp(lead["created_at"])}
        for stage in (*ORDER, "lost"):
            moments = mine.loc[mine["stage"] == stage, "occurred_at"]
            if len(moments):
                entered[stage] = pd.Timestamp(moments.min())
        summary = result.setdefault(
            group, {"leads": 0, "reached": [0] * len(path), "stays": [[] for _ in path]}
        )
        summary["leads"] += 1
        for index, stage in enumerate(path):
            onward = [entered[s] for s in path[index:] if s in entered]
            if onward:
                summary["reached"][index] += 1
            after = [entered[s] for s in path[index + 1 :] if s in entered]
            if stage in entered and after:
                summary["stays"][index].append((min(after) - entered[stage]) / timedelta(days=1))
        summary.setdefault("won", 0)
        summary.setdefault("closed", 0)
        summary["won"] += "won" in entered
        summary["closed"] += "won" in entered or "lost" in entered
    return result


def assert_matches(found: list[PipelineSeries], expected: dict[str, dict[str, Any]]) -> None:
    assert sorted(series.group or "" for series in found) == sorted(expected)
    for series in found:
        wanted = expected[series.group or ""]
        summary = series.summary
        assert summary.leads == wanted["leads"]
        before = wanted["leads"]
        for index, stage in enumerate(summary.stages):
            assert stage.leads == wanted["reached"][index]
            assert stage.from_previous.denominator == before
            stays = wanted["stays"][index]
            if stays:
                assert stage.median_days_in_stage == pytest.approx(median(stays))
            else:
                assert stage.median_days_in_stage is None
            before = stage.leads
        assert (summary.win_rate.numerator, summary.win_rate.denominator) == (
            wanted["won"],
            wanted["leads"],
        )
        assert summary.closed_win_rate.denominator == wanted["closed"]
        if wanted["leads"]:
            lower, upper = wilson(wanted["won"], wanted["leads"])
            assert summary.win_rate.lower == pytest.approx(lower)
            assert summary.win_rate.upper == pytest.approx(upper)


async def pipeline(sessions: Sessions, question: PipelineQuestion) -> list[PipelineSeries]:
    async with sessions() as session:
        return await PipelineRunner(question).run(session)


async def read(sessions: Sessions, query: str) -> pd.DataFrame:
    async with sessions() as session:
        result = await session.execute(text(query))
        return pd.DataFrame(result.all(), columns=list(result.keys()))


@pytest.mark.parametrize("group_by", [None, "source", "campaign"])
async def test_demo_pipeline_matches_pandas(sessions: Sessions, group_by: str | None) -> None:
    await demo_book(sessions)
    leads = await read(sessions, "SELECT id, source, campaign, created_at FROM leads")
    changes = await read(sessions, "SELECT lead_id, stage, occurred_at FROM lead_stage_changes")
    # The demo reports in UTC, so the range's days are the UTC dates of creation.
    created = pd.to_datetime(leads["created_at"], utc=True).dt.date
    leads = leads[(created >= YEAR.start) & (created <= YEAR.end)]

    found = await pipeline(
        sessions,
        PipelineQuestion(YEAR, breakdown=None if group_by is None else LeadDimension(group_by)),
    )

    expected = expected_pipeline(leads, changes, group_by)
    assert sum(summary["leads"] for summary in expected.values()) >= 100
    assert sum(summary["won"] for summary in expected.values()) > 0
    assert_matches(found, expected)


async def test_hand_made_leads_skip_stages_and_close(sessions: Sessions) -> None:
    def lead(id: str, created: datetime, source: str) -> dict[str, Any]:
        return {"id": id, "created_at": created, "source": source}

    def change(lead_id: str, stage: str, at: datetime) -> dict[str, Any]:
        return {"id": f"{lead_id}-{stage}", "lead_id": lead_id, "stage": stage, "occurred_at": at}

    start = utc(2024, 3, 1, 12)
    leads = [lead("a", start, "ads"), lead("b", start, "ads"), lead("c", start, "seo")]
    changes = [
        change("a", "qualified", start + timedelta(days=2)),
        change("a", "won", start + timedelta(days=6)),  # skips demo and proposal
        change("b", "qualified", start + timedelta(days=4)),
        change("b", "lost", start + timedelta(days=5)),
    ]
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    settings = load_settings(database_url=url)
    for kind, rows in ((Kind.LEADS, leads), (Kind.LEAD_STAGE_CHANGES, changes)):
        async with sessions() as session:
            assert (await ingest(session, kind, rows, settings)).accepted

    (series,) = await pipeline(sessions, PipelineQuestion(YEAR))

    summary = series.summary
    assert [stage.leads for stage in summary.stages] == [3, 2, 1, 1, 1]
    assert summary.stages[0].median_days_in_stage == 3.0
    assert summary.stages[1].median_days_in_stage == 4.0
    assert (summary.win_rate.numerator, summary.win_rate.denominator) == (1, 3)
    assert (summary.closed_win_rate.numerator, summary.closed_win_rate.denominator) == (1, 2)
    with pytest.raises(InvalidInput, match="own name"):
        await pipeline(sessions, PipelineQuestion(YEAR, ("qualified", "lost")))
