"""Forecast a metric series with the method that did best in a rolling-origin backtest.

The candidates are the seasonal naive baseline, Theta and exponential
smoothing, in that order of cost; the one with the lowest backtest mean
absolute error wins, an earlier (cheaper) one on a tie. The smoothing form is
chosen once by AICc on the whole history and then refitted at each origin.
Choosing it afresh per origin would multiply its cost by the number of
origins; choosing it once lets the smoothing backtest peek at the future a
little, which flatters it slightly against the other candidates.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from threadpoolctl import threadpool_limits

from saaslens.analytics.forecasting.backtest import Accuracy, backtest, origins
from saaslens.analytics.forecasting.history import History, checked_history
from saaslens.analytics.forecasting.naive import SeasonalNaive
from saaslens.analytics.forecasting.prediction import Method, Prediction
from saaslens.analytics.forecasting.smoothing import choose_smoothing
from saaslens.analytics.forecasting.theta import Theta
from saaslens.errors import InvalidInput

DEFAULT_LEVELS = (0.8, 0.95)
ORIGINS = 3
# Smoothing's heuristic start needs ten points, seasonal methods two seasons.
SHORTEST_TRAINING = 10


@dataclass(frozen=True)
class Interval:
    level: float
    lower: float
    upper: float


@dataclass(frozen=True)
class Step:
    period: Hashable
    point: float
    intervals: tuple[Interval, ...]


@dataclass(frozen=True)
class Forecast:
    """The chosen model's forecast, its backtest accuracy, and every candidate's."""

    model: str
    parameters: Mapping[str, float]
    steps: tuple[Step, ...]
    accuracy: Accuracy
    baseline: Accuracy
    candidates: tuple[Accuracy, ...]
    season_length: int
    origins: int


def minimum_history(season_length: int, horizon: int) -> int:
    """The shortest series that leaves two seasons of training at the earliest origin."""
    training = max(2 * season_length, SHORTEST_TRAINING)
    return training + horizon + (ORIGINS - 1) * origin_step(horizon)


def origin_step(horizon: int) -> int:
    return max(1, horizon // 2)


def forecast_series(
    series: pd.Series,
    season_length: int,
    horizon: int,
    levels: Sequence[float] = DEFAULT_LEVELS,
) -> Forecast:
    """Forecast `horizon` periods after `series` with intervals at each of `levels`."""
    chosen_levels = _checked_levels(levels)
    history = _long_enough(checked_history(series), season_length, horizon)
    # Every matrix here is a few states wide; threaded BLAS only adds hand-off
    # costs, which made a forecast several times slower on a busy machine.
    with threadpool_limits(limits=1, user_api="blas"):
        return _chosen_forecast(history, season_length, horizon, chosen_levels)


def _chosen_forecast(
    history: History, season_length: int, horizon: int, levels: tuple[float, ...]
) -> Forecast:
    values = history.values
    starts = origins(len(values), horizon, ORIGINS, origin_step(horizon))
    methods: list[Method] = [
        SeasonalNaive(season_length),
        Theta(season_length),
        choose_smoothing(values, season_length),
    ]
    scores = [
        backtest(values, method, season_length, horizon, levels, starts).accuracy()
        for method in methods
    ]
    best = min(range(len(methods)), key=lambda index: (scores[index].mae, index))
    fitted = methods[best].fit(values)
    return Forecast(
        model=methods[best].name,
        parameters=fitted.parameters,
        steps=_steps(history, fitted.predict(horizon, levels)),
        accuracy=scores[best],
        baseline=scores[0],
        candidates=tuple(scores),
        season_length=season_length,
        origins=ORIGINS,
    )


def _checked_levels(levels: Sequence[float]) -> tuple[float, ...]:
    if not levels or not all(0 < level < 1 for level in levels):
        raise InvalidInput("interval levels must lie strictly between 0 and 1")
    return tuple(sorted(set(levels)))


def _long_enough(history: History, season_length: int, horizon: int) -> History:
    if season_length < 1 or horizon < 1:
        raise InvalidInput("the season length and the horizon must be at least 1")
    needed = minimum_history(season_length, horizon)
    found = len(history.values)
    if found < needed:
        raise InvalidInput(
            f"forecasting {horizon} periods with a season of {season_length} needs at "
            f"least {needed} periods of history; the series has {found}",
            needed=needed,
            found=found,
        )
    return history


def _steps(history: History, prediction: Prediction) -> tuple[Step, ...]:
    periods = history.future(len(prediction.point))
    return tuple(
        Step(
            period=period,
            point=float(prediction.point[index]),
            intervals=tuple(
                Interval(level, float(lower[index]), float(upper[index]))
                for level, (lower, upper) in prediction.bounds.items()
            ),
        )
        for index, period in enumerate(periods)
    )
