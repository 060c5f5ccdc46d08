"""The customer feature frame (recency, frequency, monetary value, tenure, trend, plan)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from saaslens.analytics.customer_features import feature_frame
from saaslens.data.buckets import day_number
from saaslens.data.queries.customer_features import (
    activity_summary,
    customer_profiles,
    net_payments,
    subscription_states,
    weekly_events,
)
from saaslens.data.queries.frames import Statement
from saaslens.data.queries.segments import Segment
from saaslens.errors import InvalidInput
from saaslens.services.runner import Runner

MAX_TREND_WEEKS = 104


@dataclass(frozen=True)
class CustomerFeaturesQuestion:
    as_of: date
    segment: Segment = field(default_factory=Segment)
    window_days: int = 90
    trend_weeks: int = 8


@dataclass(frozen=True)
class CustomerFeatures:
    as_of: date
    frame: pd.DataFrame = field(compare=False)


class CustomerFeaturesRunner(Runner[CustomerFeatures]):
    """One row per customer signed up by `as_of`, for the predictive models."""

    kind = "customer_features"

    def __init__(self, question: CustomerFeaturesQuestion) -> None:
        self.question = question
        self.day = day_number(question.as_of)

    def key(self) -> Hashable:
        return self.question

    def validate(self) -> None:
        question = self.question
        if question.as_of < date(1970, 1, 1):
            raise InvalidInput("features are computed as of 1970 or later")
        if not 1 <= question.window_days <= 3660:
            raise InvalidInput("the recent window is 1 to 3660 days")
        if not 2 <= question.trend_weeks <= MAX_TREND_WEEKS:
            raise InvalidInput(f"the engagement trend spans 2 to {MAX_TREND_WEEKS} weeks")

    def build(self) -> Mapping[str, Statement]:
        day, question = self.day, self.question
        return {
            "profiles": customer_profiles(day, question.segment),
            "activity": activity_summary(day, question.window_days),
            "weekly": weekly_events(day, question.trend_weeks),
            "payments": net_payments(day),
            "states": subscription_states(day),
        }

    def shape(self, frames: Mapping[str, pd.DataFrame]) -> CustomerFeatures:
        question = self.question
        frame = feature_frame(
            self.day,
            frames["profiles"],
            frames["activity"],
            frames["weekly"],
            frames["payments"],
            frames["states"],
            question.trend_weeks,
        )
        # A plan filter keeps the customers whose largest paying subscription is on it.
        if question.segment.plan is not None:
            frame = frame[frame["plan"] == question.segment.plan]
        return CustomerFeatures(question.as_of, frame)
