"""The Theta method: simple exponential smoothing with half the linear trend as drift.

When an autocorrelation test finds seasonality, a classical decomposition
(multiplicative for strictly positive series, additive otherwise) removes
it first and the forecast puts it back. Intervals treat the smoothed series
as an integrated moving average, whose h-step variance is
sigma^2 * (1 + (h - 1) * alpha^2). It is written here rather than taken
from statsmodels, whose version (with intervals) takes about thirty times as
long on 60 points, most of it a state-space fit just for that variance; the
tests check that both give the same point forecasts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar
from scipy.stats import norm
from statsmodels.tsa.seasonal import seasonal_decompose
from statsmodels.tsa.stattools import acf

from saaslens.analytics.forecasting.prediction import Prediction, Vector

Values = NDArray[np.floating[Any]]
# The one-sided 95% normal quantile: seasonality is tested at the 10% level.
SEASONALITY_QUANTILE = 1.645


@dataclass(frozen=True)
class Theta:
    season_length: int

    @property
    def name(self) -> str:
        return "THETA"

    def fit(self, history: Vector) -> FittedTheta:
        season = _season(history, self.season_length)
        adjusted = season.removed(history, np.arange(len(history)))
        alpha, level, sigma = _smoothing(adjusted)
        drift = float(np.polyfit(np.arange(len(history)), adjusted, 1)[0])
        return FittedTheta(alpha, level, sigma, drift, len(history), season)


@dataclass(frozen=True)
class Season:
    """Seasonal factors by position in the season, and whether they multiply or add."""

    factors: Vector
    multiplicative: bool

    def removed(self, values: Values, positions: NDArray[np.int_]) -> Vector:
        factors = self.factors[positions % len(self.factors)]
        adjusted = values / factors if self.multiplicative else values - factors
        return np.asarray(adjusted, dtype=np.float64)

    def restored(self, values: Values, positions: NDArray[np.int_]) -> Vector:
        factors = self.factors[positions % len(self.factors)]
        restored = values * factors if self.multiplicative else values + factors
        return np.asarray(restored, dtype=np.float64)


@dataclass(frozen=True)
class FittedTheta:
    alpha: float
    level: float
    sigma: float
    drift: float
    observations: int
    season: Season

    @property
    def parameters(self) -> Mapping[str, float]:
        return {"alpha": self.alpha, "drift": self.drift, "sigma": self.sigma}

    def predict(self, horizon: int, levels: Sequence[float]) -> Prediction:
        steps = np.arange(horizon)
        a, n = self.alpha, self.observations
        trend = self.drift / 2 * (steps + 1 / a - (1 - a) ** n / a)
        point = self.level + trend
        spread = self.sigma * np.sqrt(1 + steps * a**2)
        positions = n + steps
        bounds = {}
        for level in levels:
            z = float(norm.ppf(0.5 + level / 2))
            bounds[level] = (
                self.season.restored(point - z * spread, positions),
                self.season.restored(point + z * spread, positions),
            )
        return Prediction(self.season.restored(point, positions), bounds)


def _season(history: Vector, season_length: int) -> Season:
    flat = Season(np.zeros(1), multiplicative=False)
    if season_length < 2 or not _seasonal(history, season_length):
        return flat
    multiplicative = bool(np.all(history > 0))
    model = "multiplicative" if multiplicative else "additive"
    seasonal = seasonal_decompose(history, model=model, period=season_length).seasonal
    return Season(np.asarray(seasonal[:season_length], dtype=float), multiplicative)


def _seasonal(history: Vector, season_length: int) -> bool:
    if np.ptp(history) == 0:
        return False
    rho = acf(history, nlags=season_length, fft=True)
    spread = np.sqrt((1 + 2 * np.sum(rho[1:season_length] ** 2)) / len(history))
    return bool(abs(rho[season_length]) > SEASONALITY_QUANTILE * spread)


def _smoothing(series: Vector) -> tuple[float, float, float]:
    """The smoothing weight minimising one-step errors, the final level and the error sd."""
    best = minimize_scalar(
        lambda alpha: float(np.sum(_one_step_errors(series, alpha)[0] ** 2)),
        bounds=(0.01, 1.0),
        method="bounded",
    )
    alpha = float(best.x)
    errors, level = _one_step_errors(series, alpha)
    return alpha, level, float(np.sqrt(np.mean(errors**2)))


def _one_step_errors(series: Vector, alpha: float) -> tuple[Vector, float]:
    level = float(series[0])
    errors = np.empty(len(series) - 1)
    for index, value in enumerate(series[1:]):
        errors[index] = value - level
        level += alpha * errors[index]
    return errors, level
