"""Types for predictions: lead conversion models and scored leads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from saaslens.analytics.lead_scoring import ScoredLead
from saaslens.data import models
from saaslens.schema.types.scalars import Long


@strawberry.type(description="A candidate algorithm's mean cross-validated ROC AUC.")
class CandidateScore:
    algorithm: str
    auc: float


@strawberry.type(description="Held-out leads of one predicted-probability decile.")
class CalibrationBin:
    decile: int
    mean_predicted: float
    observed: float = strawberry.field(description="The share of these leads that were won.")
    count: int


@strawberry.type(description="How much the held-out ROC AUC drops when a feature is shuffled.")
class FeatureImportance:
    feature: str
    mean: float
    std: float


@strawberry.type(description="A trained lead conversion model and how well it did.")
class LeadModel:
    version: int
    trained_at: datetime
    data_version: Long
    algorithm: str
    trained_by: str | None
    calibration_method: str = strawberry.field(description="isotonic or sigmoid")
    auc: float = strawberry.field(description="ROC AUC on the held-out leads.")
    brier: float = strawberry.field(description="Brier score on the held-out leads.")
    base_rate: float = strawberry.field(description="The share of training leads won.")
    base_rate_brier: float = strawberry.field(
        description="The Brier score of forecasting the base rate for every held-out lead."
    )
    won: int
    lost: int
    train_size: int
    test_size: int
    cross_validated_auc: list[CandidateScore]
    calibration: list[CalibrationBin]
    importances: list[FeatureImportance]


@strawberry.type(
    description="A feature's push on one lead: log-odds from an average lead for logistic "
    "regression, the change in probability when the feature is set to its training "
    "median or mode for gradient boosting."
)
class LeadDriver:
    feature: str
    value: str
    contribution: float


@strawberry.type(description="An open lead and its calibrated probability of being won.")
class LeadScore:
    lead_id: str
    probability: float
    drivers: list[LeadDriver]


def lead_model_from(row: models.LeadModel) -> LeadModel:
    scores: dict[str, Any] = row.scores
    return LeadModel(
        version=row.version,
        trained_at=row.trained_at,
        data_version=Long(row.data_version),
        algorithm=row.algorithm,
        trained_by=row.trained_by,
        calibration_method=scores["calibration_method"],
        auc=scores["auc"],
        brier=scores["brier"],
        base_rate=scores["base_rate"],
        base_rate_brier=scores["base_rate_brier"],
        won=scores["won"],
        lost=scores["lost"],
        train_size=scores["train_size"],
        test_size=scores["test_size"],
        cross_validated_auc=[
            CandidateScore(algorithm=name, auc=auc)
            for name, auc in scores["cross_validated_auc"].items()
        ],
        calibration=[CalibrationBin(**row) for row in scores["calibration"]],
        importances=[FeatureImportance(**row) for row in scores["importances"]],
    )


def lead_score_from(scored: ScoredLead) -> LeadScore:
    return LeadScore(
        lead_id=scored.lead_id,
        probability=scored.probability,
        drivers=[
            LeadDriver(feature=d.feature, value=d.value, contribution=d.contribution)
            for d in scored.drivers
        ],
    )
