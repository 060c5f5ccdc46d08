"""RFM scores and k-means segments of customers, each segment named by its profile.

Scores are quintiles by rank (ties broken by order), 5 best: the most
recent, the most active days, the most net revenue. A customer never active
has the worst recency. k-means runs on standardised log-scaled features so
that a few large accounts do not decide every split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

from saaslens.errors import InvalidInput

SCORES = 5
VALUE = ("revenue", "mrr")
ENGAGEMENT = ("active_days", "events", "recency_days")
TREND = ("engagement_trend",)
FEATURES = VALUE + ENGAGEMENT + TREND
HIGH, LOW = 0.5, -0.5


@dataclass(frozen=True)
class BehaviouralSegment:
    label: int
    name: str
    customers: int
    means: dict[str, float]
    rfm: tuple[float, float, float]


@dataclass(frozen=True)
class Segmentation:
    silhouette: float | None
    segments: list[BehaviouralSegment]
    assignments: pd.DataFrame


def quintile_scores(values: pd.Series) -> pd.Series:
    """1..5 by rank, higher values scoring higher."""
    ranks = values.rank(method="first").astype(int)
    # ceil(rank * 5 / n) in integers, so that no rounding moves a boundary.
    return (ranks * SCORES - 1) // len(values) + 1


def rfm_scores(frame: pd.DataFrame) -> pd.DataFrame:
    never = frame["recency_days"].max() + 1 if frame["recency_days"].notna().any() else 0
    recency = frame["recency_days"].fillna(never)
    return pd.DataFrame(
        {
            "recency_score": quintile_scores(-recency),
            "frequency_score": quintile_scores(frame["active_days"]),
            "monetary_score": quintile_scores(frame["revenue"]),
        },
        index=frame.index,
    )


def model_inputs(frame: pd.DataFrame) -> np.ndarray:
    """The clustered matrix: signed log1p of each feature, standardised."""
    inputs = frame[list(FEATURES)].astype(float).copy()
    never = inputs["recency_days"].max() + 1 if inputs["recency_days"].notna().any() else 0
    inputs["recency_days"] = -inputs["recency_days"].fillna(never)
    values = inputs.to_numpy()
    scaled = np.sign(values) * np.log1p(np.abs(values))
    return np.asarray(StandardScaler().fit_transform(scaled), dtype=float)


def segment_name(centre: dict[str, float]) -> str:
    value = np.mean([centre[name] for name in VALUE])
    engagement = np.mean([centre[name] for name in ENGAGEMENT])
    worth = "high value" if value > HIGH else "low value" if value < LOW else "mid value"
    engaged = (
        "highly engaged"
        if engagement > HIGH
        else "disengaged"
        if engagement < LOW
        else "moderately engaged"
    )
    trend = centre["engagement_trend"]
    moving = ", growing" if trend > HIGH else ", declining" if trend < LOW else ""
    return f"{worth}, {engaged}{moving}"


def segment_customers(frame: pd.DataFrame, clusters: int, seed: int = 0) -> Segmentation:
    customers = len(frame)
    if clusters < 2:
        raise InvalidInput("segmentation needs at least 2 clusters")
    if clusters > customers:
        raise InvalidInput(
            f"{clusters} clusters were asked for but there are {customers} customers"
        )
    matrix = model_inputs(frame)
    model = KMeans(n_clusters=clusters, n_init=10, random_state=seed).fit(matrix)
    labels = model.labels_
    distinct = len(set(labels))
    silhouette = (
        float(silhouette_score(matrix, labels)) if 2 <= distinct <= customers - 1 else None
    )
    assignments = rfm_scores(frame).assign(segment=labels)
    segments = []
    seen: dict[str, int] = {}
    for label in range(clusters):
        members = labels == label
        centre = dict(zip(FEATURES, model.cluster_centers_[label], strict=True))
        name = segment_name(centre)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name} ({seen[name]})"
        chosen = assignments[members]
        segments.append(
            BehaviouralSegment(
                label,
                name,
                int(members.sum()),
                {column: float(frame.loc[members, column].mean()) for column in FEATURES},
                (
                    float(chosen["recency_score"].mean()),
                    float(chosen["frequency_score"].mean()),
                    float(chosen["monetary_score"].mean()),
                ),
            )
        )
    return Segmentation(silhouette, segments, assignments)
