"""RFM scores and k-means segments against scikit-learn called directly on the features."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.data.queries.segments import Segment
from saaslens.errors import InvalidInput
from saaslens.services.customer_features import (
    CustomerFeaturesQuestion,
    CustomerFeaturesRunner,
)
from saaslens.services.segmentation import SegmentationQuestion, behavioural_segments
from tests.cohorts.test_demo_retention import demo_book
from tests.metrics.scenario import hand_made

Sessions = async_sessionmaker[AsyncSession]
AS_OF = date(2024, 12, 31)
COLUMNS = ["revenue", "mrr", "active_days", "events", "recency_days", "engagement_trend"]


def expected_clusters(frame: pd.DataFrame, clusters: int) -> tuple[np.ndarray, float]:
    inputs = frame[COLUMNS].astype(float)
    worst = inputs["recency_days"].max() + 1
    inputs["recency_days"] = -inputs["recency_days"].fillna(worst)
    logged = inputs.apply(lambda column: np.sign(column) * np.log1p(column.abs()))
    standard = (logged - logged.mean()) / logged.std(ddof=0).replace(0, 1)
    model = KMeans(n_clusters=clusters, n_init=10, random_state=0).fit(standard.to_numpy())
    return model.labels_, float(silhouette_score(standard.to_numpy(), model.labels_))


async def test_demo_segments_match_scikit_learn(sessions: Sessions) -> None:
    await demo_book(sessions)

    async with sessions() as session:
        result = await behavioural_segments(session, SegmentationQuestion(AS_OF, clusters=4))
        features = await CustomerFeaturesRunner(CustomerFeaturesQuestion(AS_OF)).run(session)

    frame = features.frame
    labels, silhouette = expected_clusters(frame, 4)
    assert len(frame) >= 150
    assert adjusted_rand_score(labels, result.assignments["segment"]) == pytest.approx(1.0)
    assert result.silhouette == pytest.approx(silhouette, abs=1e-9)
    assert sum(segment.customers for segment in result.segments) == len(frame)
    for segment in result.segments:
        members = frame[result.assignments["segment"] == segment.label]
        assert segment.means["mrr"] == pytest.approx(members["mrr"].mean())
        assert "value" in segment.name
        assert "engaged" in segment.name
    assert len({segment.name for segment in result.segments}) == 4
    rank = frame["revenue"].rank(method="first")
    monetary = np.ceil(rank * 5 / len(frame)).astype(int)
    assert result.assignments["monetary_score"].tolist() == monetary.tolist()
    assert result.assignments["monetary_score"].value_counts().tolist() == [len(frame) // 5] * 5


async def test_the_most_valuable_customers_are_named_so(sessions: Sessions) -> None:
    await hand_made().write(sessions)

    async with sessions() as session:
        result = await behavioural_segments(session, SegmentationQuestion(AS_OF, clusters=2))

    poorer, richer = sorted(result.segments, key=lambda segment: segment.means["mrr"])
    assert richer.name.startswith("high value"), richer.name
    assert not poorer.name.startswith("high value"), poorer.name


async def test_more_clusters_than_customers_are_refused(sessions: Sessions) -> None:
    await hand_made().write(sessions)

    async with sessions() as session:
        with pytest.raises(InvalidInput, match="9 clusters"):
            await behavioural_segments(session, SegmentationQuestion(AS_OF, clusters=9))
        with pytest.raises(InvalidInput, match="at least 2"):
            await behavioural_segments(
                session, SegmentationQuestion(AS_OF, 1, Segment(country="DE"))
            )
