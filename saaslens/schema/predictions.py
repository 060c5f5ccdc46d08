"""Root fields for predictions: analysts train lead models, viewers read them."""

from __future__ import annotations

import strawberry

from saaslens.resolvers import predictions
from saaslens.schema.connections import Connection
from saaslens.schema.permissions import IsAnalyst, IsViewer, needs
from saaslens.schema.types.predictions import (
    CustomerLifetimeValues,
    LeadModel,
    LeadScore,
    MetricForecast,
)


@strawberry.type
class PredictionsQuery:
    lead_model: LeadModel | None = strawberry.field(
        extensions=needs(IsViewer),
        resolver=predictions.lead_model,
        description="The latest lead conversion model with its scores; null before the first.",
    )
    lead_scores: Connection[LeadScore] = strawberry.field(
        extensions=needs(IsViewer),
        resolver=predictions.lead_scores,
        description="Open leads scored by the latest model, most likely to be won first.",
    )
    forecast: MetricForecast = strawberry.field(
        extensions=needs(IsViewer),
        resolver=predictions.forecast,
        description="Forecast a whole-store metric `horizon` periods past `range`, with "
        "intervals at `levels` (default 0.8 and 0.95); the model is chosen by backtest.",
    )
    customer_lifetime_values: CustomerLifetimeValues = strawberry.field(
        extensions=needs(IsViewer),
        resolver=predictions.customer_lifetime_values,
        description="BG/NBD and Gamma-Gamma fitted on the charges inside `range`, observed "
        "until its last day; customers sorted by `sort`, highest first.",
    )


@strawberry.type
class PredictionsMutation:
    train_lead_model: LeadModel = strawberry.field(
        extensions=needs(IsAnalyst),
        resolver=predictions.train_lead_model,
        description="Train a lead conversion model on the won and lost leads and keep it as "
        "the latest. Needs at least 50 of each.",
    )
