"""Customer and lead attributes as samples: one number per customer or per lead.

The numbers come from the feature frames, indexed by the customer's or the
lead's id, so two attributes pair on the ids both have, as two series pair
on their periods. A customer or lead without a value (recency of a customer
never active, a lead's company size nobody recorded) is left out of the
sample, and a statistic's `n` says how many remained.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from saaslens.data.queries.lead_features import CLOSING_STAGES, lead_features
from saaslens.data.queries.segments import Segment
from saaslens.data.state import data_version
from saaslens.errors import InvalidInput
from saaslens.services.cache import cache_for
from saaslens.services.customer_features import CustomerFeaturesQuestion, CustomerFeaturesRunner

# Custom attributes from the records' JSON documents, for either entity.
CUSTOM = "attribute."


class Entity(StrEnum):
    CUSTOMER = "customer"
    LEAD = "lead"


NUMBERS = {
    Entity.CUSTOMER: (
        "tenure_days",
        "recency_days",
        "active_days",
        "events",
        "revenue",
        "mrr",
        "engagement_trend",
        "churned",
    ),
    Entity.LEAD: ("company_size", "days_in_pipeline", "stage_changes", "won"),
}
# Labels are what segments are made of: they are filtered on, not measured.
LABELS = {
    Entity.CUSTOMER: ("plan", "country", "segment"),
    Entity.LEAD: ("source", "campaign", "country", "industry", "furthest_stage", "outcome"),
}


@dataclass(frozen=True)
class LeadFilter:
    """Which leads an attribute covers; every condition given must hold."""

    source: str | None = None
    campaign: str | None = None
    country: str | None = None
    industry: str | None = None
    outcome: str | None = None

    def conditions(self) -> dict[str, str]:
        given = {name: value for name, value in vars(self).items() if value is not None}
        if "country" in given:
            given["country"] = given["country"].upper()
        return given


@dataclass(frozen=True)
class AttributeQuestion:
    """One attribute of the customers (as of a day, in a segment) or of the leads."""

    entity: Entity
    name: str
    as_of: date | None = None
    segment: Segment = field(default_factory=Segment)
    leads: LeadFilter = field(default_factory=LeadFilter)

    def __post_init__(self) -> None:
        if self.name in LABELS[self.entity]:
            raise InvalidInput(
                f"the {self.entity} attribute {self.name!r} is a label, not a number: "
                "filter on it to choose a segment instead"
            )
        if self.name not in NUMBERS[self.entity] and not self.name.startswith(CUSTOM):
            known = ", ".join(NUMBERS[self.entity])
            raise InvalidInput(
                f"unknown {self.entity} attribute {self.name!r}; choose one of {known}, "
                f"or {CUSTOM}<key> for a custom attribute"
            )
        if (self.entity is Entity.CUSTOMER) != (self.as_of is not None):
            raise InvalidInput("customer attributes are read as of a day; lead attributes are not")
        if self.entity is Entity.LEAD and self.segment != Segment():
            raise InvalidInput("a segment filter chooses customers; filter leads by leadFilter")
        if self.entity is Entity.CUSTOMER and self.leads != LeadFilter():
            raise InvalidInput("a lead filter chooses leads; filter customers by filter")

    @property
    def described(self) -> str:
        return f"the {self.entity} attribute {self.name}"


async def attribute_values(session: AsyncSession, question: AttributeQuestion) -> pd.Series:
    """The attribute's numbers by id, refused when none of the selection has one."""
    frame = await _selection(session, question)
    if question.name not in frame.columns:
        raise InvalidInput(f"no {question.entity} in the selection has {question.name!r}")
    values = _numbers(frame[question.name].dropna(), question)
    if values.empty:
        raise InvalidInput(
            f"no {question.entity} in the selection has a value for {question.described}"
        )
    return values


async def _selection(session: AsyncSession, question: AttributeQuestion) -> pd.DataFrame:
    if question.as_of is not None:
        features = CustomerFeaturesQuestion(question.as_of, question.segment)
        return (await CustomerFeaturesRunner(features).run(session)).frame
    frame = await _lead_frame(session)
    for column, value in question.leads.conditions().items():
        frame = frame[frame[column] == value]
    return frame


async def _lead_frame(session: AsyncSession) -> pd.DataFrame:
    """Every lead's features, kept until the next ingestion like any other result."""
    engine: AsyncEngine = session.bind  # type: ignore[assignment]
    cache = cache_for(engine)
    key = ("lead_attributes", await data_version(session))
    cached = cache.get(key)
    if isinstance(cached, pd.DataFrame):
        return cached
    frame = (await lead_features(session)).set_index("id")
    frame.columns = [
        CUSTOM + name.removeprefix("attr_") if name.startswith("attr_") else name
        for name in frame.columns
    ]
    closed = frame["outcome"].isin(CLOSING_STAGES)
    # Open leads have no outcome yet, so they are left out of a win rate.
    frame["won"] = (frame["outcome"] == "won").astype(float).where(closed)
    cache.put(key, frame)
    return frame


def _numbers(values: pd.Series, question: AttributeQuestion) -> pd.Series:
    """The values as floats; booleans count as 0 and 1, text is refused."""
    if is_numeric_dtype(values.dtype) or is_bool_dtype(values.dtype):
        return values.astype(float)
    for entity_id, value in values.items():
        if not isinstance(value, bool | int | float):
            raise InvalidInput(
                f"{question.described} is not a number: {question.entity} {entity_id} has "
                f"{value!r}"
            )
    return values.astype(float)
