"""Rolling-origin backtests: refit a method on each past origin and score its forecasts.

Every origin forecasts the full horizon, so errors mix near and far steps as
the real forecast does. MASE divides each error by the in-sample mean
absolute error of the seasonal naive forecast on that origin's training
window; MAPE skips actuals of zero, where a percentage is undefined.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from saaslens.analytics.forecasting.naive import seasonal_naive_mae
from saaslens.analytics.forecasting.prediction import Method, Vector


@dataclass(frozen=True)
class Accuracy:
    """How one method did over `points` backtest actuals; MAPE is a fraction (0.05 is 5%)."""

    model: str
    points: int
    mae: float
    mape: float | None
    mase: float | None
    coverage: Mapping[float, float]


@dataclass(frozen=True)
class Backtest:
    """Actuals and forecasts of one method, concatenated over all origins."""

    model: str
    actual: Vector
    point: Vector
    bounds: Mapping[float, tuple[Vector, Vector]]
    scale: Vector

    def accuracy(self) -> Accuracy:
        errors = np.abs(self.actual - self.point)
        nonzero = self.actual != 0
        mape = float(np.mean(errors[nonzero] / np.abs(self.actual[nonzero])))
        scaled = np.all(self.scale > 0)
        return Accuracy(
            model=self.model,
            points=len(self.actual),
            mae=float(np.mean(errors)),
            mape=mape if nonzero.any() else None,
            mase=float(np.mean(errors / self.scale)) if scaled else None,
            coverage={level: self.coverage(level) for level in self.bounds},
        )

    def coverage(self, level: float) -> float:
        """The share of actuals inside the interval at `level`."""
        lower, upper = self.bounds[level]
        return float(np.mean((lower <= self.actual) & (self.actual <= upper)))


def origins(length: int, horizon: int, count: int, step: int) -> list[int]:
    """Training lengths for `count` origins `step` apart, the last ending a horizon early."""
    last = length - horizon
    return [last - step * back for back in reversed(range(count))]


def backtest(
    values: Vector,
    method: Method,
    season_length: int,
    horizon: int,
    levels: Sequence[float],
    starts: Sequence[int],
) -> Backtest:
    """Fit `method` at each origin and keep its forecasts of the next `horizon` values."""
    actual, point, scale = [], [], []
    bounds: dict[float, tuple[list[Vector], list[Vector]]] = {lv: ([], []) for lv in levels}
    for start in starts:
        training = values[:start]
        prediction = method.fit(training).predict(horizon, levels)
        actual.append(values[start : start + horizon])
        point.append(prediction.point)
        scale.append(np.full(horizon, seasonal_naive_mae(training, season_length)))
        for level, (lower, upper) in prediction.bounds.items():
            bounds[level][0].append(lower)
            bounds[level][1].append(upper)
    return Backtest(
        model=method.name,
        actual=np.concatenate(actual),
        point=np.concatenate(point),
        bounds={lv: (np.concatenate(lo), np.concatenate(up)) for lv, (lo, up) in bounds.items()},
        scale=np.concatenate(scale),
    )
