"""Behavioural segments: k-means over the customer feature frame, off the event loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from saaslens.analytics.segmentation import Segmentation, segment_customers
from saaslens.data.queries.segments import Segment
from saaslens.data.state import data_version
from saaslens.errors import InvalidInput
from saaslens.services.cache import cache_for
from saaslens.services.customer_features import (
    CustomerFeaturesQuestion,
    CustomerFeaturesRunner,
)

MAX_CLUSTERS = 20


@dataclass(frozen=True)
class SegmentationQuestion:
    as_of: date
    clusters: int = 4
    segment: Segment = field(default_factory=Segment)
    seed: int = 0


async def behavioural_segments(
    session: AsyncSession, question: SegmentationQuestion
) -> Segmentation:
    if question.clusters > MAX_CLUSTERS:
        raise InvalidInput(f"at most {MAX_CLUSTERS} clusters may be asked for")
    engine: AsyncEngine = session.bind  # type: ignore[assignment]
    cache = cache_for(engine)
    key = ("segmentation", question, await data_version(session))
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[return-value]
    features = await CustomerFeaturesRunner(
        CustomerFeaturesQuestion(question.as_of, question.segment)
    ).run(session)
    # k-means and the silhouette are CPU-bound: run them on a worker thread.
    result = await asyncio.to_thread(
        segment_customers, features.frame, question.clusters, question.seed
    )
    cache.put(key, result)
    return result
