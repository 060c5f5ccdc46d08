"""The seasonal naive forecast: each step repeats the value one season earlier.

It is the baseline every other method must beat. Its intervals assume the
one-season differences of the history are independent normal errors, so
the spread grows with the number of whole seasons a step lies ahead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from saaslens.analytics.forecasting.prediction import Prediction, Vector


@dataclass(frozen=True)
class SeasonalNaive:
    season_length: int

    @property
    def name(self) -> str:
        return "SEASONAL_NAIVE"

    def fit(self, history: Vector) -> FittedSeasonalNaive:
        m = self.season_length
        differences = history[m:] - history[:-m]
        sigma = float(np.sqrt(np.mean(differences**2)))
        return FittedSeasonalNaive(history[-m:].copy(), sigma)


@dataclass(frozen=True)
class FittedSeasonalNaive:
    last_season: Vector
    sigma: float

    @property
    def parameters(self) -> Mapping[str, float]:
        return {"season_length": float(len(self.last_season)), "sigma": self.sigma}

    def predict(self, horizon: int, levels: Sequence[float]) -> Prediction:
        m = len(self.last_season)
        steps = np.arange(horizon)
        point = self.last_season[steps % m]
        spread = self.sigma * np.sqrt(steps // m + 1)
        bounds = {}
        for level in levels:
            z = float(norm.ppf(0.5 + level / 2))
            bounds[level] = (point - z * spread, point + z * spread)
        return Prediction(point, bounds)


def seasonal_naive_mae(history: Vector, season_length: int) -> float:
    """The in-sample mean absolute error of the seasonal naive forecast, MASE's scale."""
    m = season_length
    return float(np.mean(np.abs(history[m:] - history[:-m])))
