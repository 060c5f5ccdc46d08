"""Types for predictions: lead models and scores, metric forecasts, lifetime values."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry

from saaslens.analytics.forecasting import Accuracy, Forecast
from saaslens.analytics.lead_scoring import ScoredLead
from saaslens.analytics.lifetime_value import CustomerValuation
from saaslens.data import models
from saaslens.schema.connections import Connection
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


@strawberry.type
class PredictionInterval:
    level: float
    lower: float
    upper: float


@strawberry.type(description="A forecast period: its first day, the point forecast and intervals.")
class ForecastPoint:
    start: date
    value: float
    intervals: list[PredictionInterval]


@strawberry.type(description="The share of backtest actuals inside the interval at `level`.")
class IntervalCoverage:
    level: float
    share: float


@strawberry.type(description="How a method did in the rolling-origin backtest.")
class ForecastAccuracy:
    model: str
    points: int
    mae: float
    mape: float | None = strawberry.field(description="A fraction: 0.05 is 5%.")
    mase: float | None = strawberry.field(
        description="Mean absolute error relative to the seasonal naive baseline's."
    )
    coverage: list[IntervalCoverage]


@strawberry.type(description="A metric's forecast by the model the backtest chose.")
class MetricForecast:
    model: str
    season_length: int
    origins: int = strawberry.field(description="Backtest origins the model was judged over.")
    points: list[ForecastPoint]
    accuracy: ForecastAccuracy
    baseline: ForecastAccuracy
    candidates: list[ForecastAccuracy]


def _accuracy(accuracy: Accuracy) -> ForecastAccuracy:
    return ForecastAccuracy(
        model=accuracy.model,
        points=accuracy.points,
        mae=accuracy.mae,
        mape=accuracy.mape,
        mase=accuracy.mase,
        coverage=[
            IntervalCoverage(level=level, share=share)
            for level, share in sorted(accuracy.coverage.items())
        ],
    )


def forecast_from(forecast: Forecast) -> MetricForecast:
    return MetricForecast(
        model=forecast.model,
        season_length=forecast.season_length,
        origins=forecast.origins,
        points=[
            ForecastPoint(
                start=step.period.start_time.date(),  # type: ignore[attr-defined]
                value=step.point,
                intervals=[
                    PredictionInterval(level=i.level, lower=i.lower, upper=i.upper)
                    for i in step.intervals
                ],
            )
            for step in forecast.steps
        ],
        accuracy=_accuracy(forecast.accuracy),
        baseline=_accuracy(forecast.baseline),
        candidates=[_accuracy(candidate) for candidate in forecast.candidates],
    )


@strawberry.enum(description="What to order customers by, highest first.")
class CustomerValueSort(Enum):
    LIFETIME_VALUE = "lifetime_value"
    PROBABILITY_ALIVE = "probability_alive"
    EXPECTED_PURCHASES = "expected_purchases"


@strawberry.type(description="A fitted parameter and its standard error (null if unknown).")
class ParameterEstimate:
    model: str = strawberry.field(description="BG/NBD or Gamma-Gamma.")
    name: str
    value: float
    standard_error: float | None


@strawberry.type(
    description="A customer's purchase summary (times in weeks, money in minor units of the "
    "base currency) and what the models predict over the horizon."
)
class CustomerLifetimeValue:
    customer_id: str
    frequency: int = strawberry.field(description="Repeat purchase days.")
    recency: float
    age: float
    monetary_value: float
    probability_alive: float
    expected_purchases: float
    expected_spend: float
    lifetime_value: float = strawberry.field(description="Discounted, over the horizon.")


@strawberry.type
class CustomerLifetimeValues:
    horizon_months: int
    monthly_discount: float
    parameters: list[ParameterEstimate]
    simple_ltv: float | None = strawberry.field(
        description="The metrics' LTV (ARPA over customer churn) in the range's last month, "
        "for comparison."
    )
    warnings: list[str]
    customers: Connection[CustomerLifetimeValue]


def parameters_from(valuation: CustomerValuation) -> list[ParameterEstimate]:
    fits = (("BG/NBD", valuation.purchases.fit), ("Gamma-Gamma", valuation.spend.fit))
    return [
        ParameterEstimate(model=model, name=e.name, value=e.value, standard_error=e.standard_error)
        for model, fit in fits
        for e in fit.estimates
    ]


def customer_value_from(row: Any) -> CustomerLifetimeValue:
    return CustomerLifetimeValue(
        customer_id=str(row.Index),
        frequency=int(row.frequency),
        recency=float(row.recency),
        age=float(row.age),
        monetary_value=float(row.monetary_value),
        probability_alive=float(row.probability_alive),
        expected_purchases=float(row.expected_purchases),
        expected_spend=float(row.expected_spend),
        lifetime_value=float(row.lifetime_value),
    )
