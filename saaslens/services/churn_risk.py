"""The customers at risk in a period, for alerts on churn (see analytics/churn_risk)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import select

from saaslens.analytics.churn_risk import churn_risk
from saaslens.data.buckets import day_number
from saaslens.data.queries.customer_features import subscription_states
from saaslens.data.queries.frames import Statement
from saaslens.data.queries.segments import Segment, customers
from saaslens.services.customer_features import CustomerFeaturesQuestion, CustomerFeaturesRunner
from saaslens.services.runner import Runner

INACTIVE_DAYS = 30


@dataclass(frozen=True)
class ChurnRiskQuestion:
    """Customers at risk as of `as_of`, in the period that began on `period_start`."""

    as_of: date
    period_start: date
    segment: Segment = field(default_factory=Segment)
    inactive_days: int = INACTIVE_DAYS


class ChurnRiskRunner(Runner[pd.DataFrame]):
    kind = "churn_risk"

    def __init__(self, question: ChurnRiskQuestion) -> None:
        self.question = question
        self.features = CustomerFeaturesRunner(
            CustomerFeaturesQuestion(question.as_of, question.segment)
        )

    def key(self) -> Hashable:
        return self.question

    def validate(self) -> None:
        self.features.validate()

    def build(self) -> Mapping[str, Statement]:
        before = day_number(self.question.period_start) - 1
        return {
            **self.features.build(),
            "names": select(customers.c.id.label("customer_id"), customers.c.name),
            "before": subscription_states(before),
        }

    def shape(self, frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
        features = self.features.shape(frames).frame
        return churn_risk(
            features,
            frames["names"].set_index("customer_id")["name"],
            frames["before"],
            frames["states"],
            self.question.inactive_days,
        )
