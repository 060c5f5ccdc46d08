"""Training lead conversion models, keeping them, and scoring open leads with the latest."""

from __future__ import annotations

import logging
import pickle
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from saaslens.analytics.lead_scoring import ScoredLead, Scorer, score, train
from saaslens.data.models import LeadModel
from saaslens.data.queries.lead_features import lead_features
from saaslens.data.state import data_version
from saaslens.services.cache import cache_for
from saaslens.services.pool import end_reading, in_pool

logger = logging.getLogger(__name__)

# Each failed attempt means another training took the version in between; that
# many trainings finishing within one insert of each other is not expected.
VERSION_ATTEMPTS = 10


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
    trained = LeadModel(
        trained_at=now,
        data_version=version,
        algorithm=algorithm,
        scores=scores,
        model=model,
        trained_by=trained_by,
    )
    return await keep_lead_model(session, trained)


async def keep_lead_model(session: AsyncSession, trained: LeadModel) -> LeadModel:
    """Store a trained model as the next version.

    Two trainings ending together may both read the same latest version; the
    unique version refuses the second insert, which then reads again and retries.
    """
    for attempt in range(1, VERSION_ATTEMPTS + 1):
        latest = await session.scalar(select(func.max(LeadModel.version)))
        row = LeadModel(
            version=(latest or 0) + 1,
            trained_at=trained.trained_at,
            data_version=trained.data_version,
            algorithm=trained.algorithm,
            scores=trained.scores,
            model=trained.model,
            trained_by=trained.trained_by,
        )
        session.add(row)
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            logger.warning("lead model version %d was taken; attempt %d", row.version, attempt)
            continue
        return row
    raise RuntimeError(f"no free lead model version after {VERSION_ATTEMPTS} attempts")


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
