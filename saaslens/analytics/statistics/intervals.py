"""A confidence interval, the shape every estimate's uncertainty takes."""

from __future__ import annotations

from dataclasses import dataclass

from saaslens.analytics.statistics._readings import number, percent
from saaslens.errors import InvalidInput


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    level: float

    def __str__(self) -> str:
        return f"{percent(self.level)} CI {number(self.low)} to {number(self.high)}"


def confidence(level: float) -> float:
    """The level, refused unless strictly between 0 and 1."""
    if not 0 < level < 1:
        raise InvalidInput(f"a confidence level must be between 0 and 1; got {level}")
    return level
