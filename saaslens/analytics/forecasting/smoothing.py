"""Exponential smoothing (ETS with additive errors), its form chosen by AICc.

The trend may be absent, additive or damped, the seasonality absent,
additive or (for strictly positive series) multiplicative. Initial states
come from the classical heuristic rather than being estimated, which makes a
fit about ten times cheaper.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from saaslens.analytics.forecasting.prediction import Prediction, Vector

TRENDS = ((None, False), ("add", False), ("add", True))
# Intervals of multiplicative forms are simulated; a fixed seed keeps a
# forecast reproducible for the same data.
SIMULATION_SEED = 20050101


@dataclass(frozen=True)
class Smoothing:
    trend: str | None
    damped: bool
    seasonal: str | None
    season_length: int

    @property
    def name(self) -> str:
        trend = {None: "N", "add": "Ad" if self.damped else "A"}[self.trend]
        seasonal = {None: "N", "add": "A", "mul": "M"}[self.seasonal]
        return f"ETS(A,{trend},{seasonal})"

    def fit(self, history: Vector) -> FittedSmoothing:
        model = ETSModel(
            pd.Series(history),
            error="add",
            trend=self.trend,
            damped_trend=self.damped,
            seasonal=self.seasonal,
            seasonal_periods=self.season_length if self.seasonal else None,
            initialization_method="heuristic",
        )
        with _quiet_optimiser():
            return FittedSmoothing(model.fit(disp=False), len(history), self.initial_states)

    @property
    def initial_states(self) -> int:
        trend = 1 if self.trend else 0
        seasonal = self.season_length if self.seasonal else 0
        return 1 + trend + seasonal


@dataclass(frozen=True)
class FittedSmoothing:
    results: Any
    observations: int
    initial_states: int

    @property
    def parameters(self) -> Mapping[str, float]:
        names = self.results.model.param_names
        return {name: float(value) for name, value in zip(names, self.results.params, strict=True)}

    @property
    def aicc(self) -> float:
        """AICc counting the initial states as parameters, as if they had been estimated.

        statsmodels leaves heuristic initial states out of the count, which
        would let the seasonal forms' dozen starting values come for free.
        """
        k = self.results.df_model + self.initial_states
        n = self.observations
        if n - k - 1 <= 0:
            return float("inf")
        return float(-2 * self.results.llf + 2 * k + 2 * k * (k + 1) / (n - k - 1))

    def predict(self, horizon: int, levels: Sequence[float]) -> Prediction:
        start = self.observations
        prediction = self.results.get_prediction(
            start=start, end=start + horizon - 1, rng=np.random.default_rng(SIMULATION_SEED)
        )
        bounds = {}
        for level in levels:
            interval = np.asarray(prediction.pred_int(1 - level), dtype=float)
            bounds[level] = (interval[:, 0], interval[:, 1])
        return Prediction(np.asarray(prediction.predicted_mean, dtype=float), bounds)


def choose_smoothing(history: Vector, season_length: int) -> Smoothing:
    """The form with the lowest AICc on the whole history."""
    scored = [
        (form.fit(history).aicc, index, form) for index, form in _forms(history, season_length)
    ]
    finite = [entry for entry in scored if np.isfinite(entry[0])]
    return min(finite or scored)[2]


def _forms(history: Vector, season_length: int) -> Iterator[tuple[int, Smoothing]]:
    seasonals: list[str | None] = [None]
    if season_length > 1:
        seasonals.append("add")
        if np.all(history > 0):
            seasonals.append("mul")
    combinations = itertools.product(TRENDS, seasonals)
    for index, ((trend, damped), seasonal) in enumerate(combinations):
        yield index, Smoothing(trend, damped, seasonal, season_length)


@contextmanager
def _quiet_optimiser() -> Iterator[None]:
    # A fit stopping short of the tolerance is still a usable model; the
    # backtest, not the optimiser's verdict, decides whether it is good.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield
