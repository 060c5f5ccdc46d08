"""Training lead conversion models, keeping them, and scoring open leads with the latest."""

from __future__ import annotations

import pickle
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from saaslens.analytics.lead_scoring import ScoredLead, Scorer, score, train
from saaslens.data.models import LeadModel
from saaslens.data.queries.lead_features import lead_features
from saaslens.data.state import data_version
from saaslens.services.cache import cache_for
from saaslens.services.pool import end_reading, in_pool


def _train(frame: pd.DataFrame) -> tuple[str, dict[str, Any], bytes]:
    """Runs in a worker process: train and hand back the scorer pickled."""
    training = train(frame)
    return training.scorer.algorithm, training.scores, pickle.dumps(training.scorer)


def _score(model: bytes, frame: pd.DataFrame) -> list[ScoredLead]:
    # The bytes are a scorer this service pickled into its own store.
    scorer: Scorer = pickle.loads(model)
    return score(scorer, frame)


async def train_lead_model(
    session: AsyncSession, trained_by: str | None, now: datetime
) -> LeadModel:
    """Train on the store's won and lost leads and keep the model as the next version."""
    version = await data_version(session)
    frame = await lead_features(session)
    await end_reading(session)
    algorithm, scores, model = await in_pool(_train, frame)
    latest = await session.scalar(select(func.max(LeadModel.version)))
    row = LeadModel(
        version=(latest or 0) + 1,
        trained_at=now,
        data_version=version,
        algorithm=algorithm,
        scores=scores,
        model=model,
        trained_by=trained_by,
    )
    session.add(row)
    await session.commit()
    return row


async def latest_lead_model(session: AsyncSession) -> LeadModel | None:
    statement = select(LeadModel).order_by(LeadModel.version.desc()).limit(1)
    return await session.scalar(statement)


async def lead_scores(session: AsyncSession) -> list[ScoredLead]:
    """Every open lead scored by the latest model, most likely first; none without a model."""
    model = await latest_lead_model(session)
    if model is None:
        return []
    engine: AsyncEngine = session.bind  # type: ignore[assignment]
    cache = cache_for(engine)
    key = ("lead_scores", model.version, await data_version(session))
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[return-value]
    frame = await lead_features(session)
    await end_reading(session)
    scores = await in_pool(_score, model.model, frame[frame["outcome"] == "open"])
    cache.put(key, scores)
    return scores
