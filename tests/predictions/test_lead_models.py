"""Training, keeping and scoring lead conversion models on demo leads."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sqlalchemy import text

from saaslens.analytics.lead_scoring import MIN_PER_OUTCOME
from saaslens.data.queries.lead_features import lead_features
from saaslens.data.state import data_version
from saaslens.errors import InvalidInput
from saaslens.services.leads import lead_scores, train_lead_model
from tests.predictions.pipeline import SCENARIO, Sessions, write_leads

NOW = datetime(2025, 1, 2, tzinfo=UTC)


async def _stages(sessions: Sessions) -> pd.Series:
    async with sessions() as session:
        rows = (await session.execute(text("SELECT id, stage FROM leads"))).all()
    return pd.Series({lead: stage for lead, stage in rows})


async def test_a_model_trained_on_demo_leads_beats_the_base_rate(sessions: Sessions) -> None:
    await write_leads(sessions)
    stages = await _stages(sessions)
    won, lost = int((stages == "won").sum()), int((stages == "lost").sum())

    async with sessions() as session:
        model = await train_lead_model(session, "analyst-1", NOW)
        version = await data_version(session)

    scores = model.scores
    assert (model.version, model.data_version, model.trained_by) == (1, version, "analyst-1")
    assert (scores["won"], scores["lost"]) == (won, lost)
    assert scores["auc"] >= 0.75
    assert scores["brier"] < scores["base_rate_brier"]
    table = pd.DataFrame(scores["calibration"])
    assert table["count"].sum() == scores["test_size"] == round(0.25 * (won + lost) + 0.5)
    # The base rate's Brier score follows from the held-out share of won leads alone.
    share = (table["observed"] * table["count"]).sum() / table["count"].sum()
    rate = scores["base_rate"]
    assert scores["base_rate_brier"] == pytest.approx(
        share * (1 - rate) ** 2 + (1 - share) * rate**2
    )
    assert {row["feature"] for row in scores["importances"]} >= {"source", "attr_job_title"}

    # The stored model, scored by sklearn's metrics on the same held-out quarter.
    scorer = pickle.loads(model.model)
    async with sessions() as session:
        frame = await lead_features(session)
    closed = frame[frame["outcome"] != "open"]
    outcome = (closed["outcome"] == "won").to_numpy(dtype=int)
    _, x_test, _, y_test = train_test_split(
        scorer.design.matrix(closed), outcome, test_size=0.25, stratify=outcome, random_state=0
    )
    predicted = scorer.probabilities(x_test)
    assert scores["auc"] == pytest.approx(roc_auc_score(y_test, predicted))
    assert scores["brier"] == pytest.approx(np.mean((predicted - y_test) ** 2))

    async with sessions() as session:
        scored = await lead_scores(session)
        second = await train_lead_model(session, None, NOW)
    assert second.version == 2
    open_leads = stages[~stages.isin(["won", "lost"])]
    assert sorted(lead.lead_id for lead in scored) == sorted(open_leads.index)
    probabilities = np.array([lead.probability for lead in scored])
    assert (np.diff(probabilities) <= 0).all()
    assert ((probabilities >= 0) & (probabilities <= 1)).all()
    assert all(len(lead.drivers) == 3 for lead in scored)


async def test_too_few_closed_leads_are_refused_with_the_number_needed(
    sessions: Sessions,
) -> None:
    await write_leads(sessions, SCENARIO.__class__(customers=150, seed=2, end=SCENARIO.end))
    stages = await _stages(sessions)
    won, lost = int((stages == "won").sum()), int((stages == "lost").sum())
    assert won < MIN_PER_OUTCOME

    async with sessions() as session:
        with pytest.raises(InvalidInput) as refused:
            await train_lead_model(session, None, NOW)
    assert str(refused.value) == (
        f"training needs at least {MIN_PER_OUTCOME} won and {MIN_PER_OUTCOME} lost leads; "
        f"the store has {won} won and {lost} lost"
    )
