"""Forecasts of metric series, checked against statsmodels and plain numpy directly."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.forecasting.theta import ThetaModel
from threadpoolctl import threadpool_limits

from saaslens.analytics.forecasting import Forecast, forecast_series, minimum_history
from saaslens.analytics.forecasting.backtest import Backtest
from saaslens.analytics.forecasting.naive import SeasonalNaive
from saaslens.analytics.forecasting.smoothing import choose_smoothing
from saaslens.analytics.forecasting.theta import Theta
from saaslens.errors import InvalidInput

MONTHS = 12


@pytest.fixture(autouse=True)
def single_blas_thread() -> Iterator[None]:
    # statsmodels fitted directly here is as slow as the package's own fits
    # would be without their limit on BLAS threads.
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def trending_seasonal(length: int, seed: int) -> pd.Series:
    """Monthly revenue-like values: a linear trend, a yearly wave and normal noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    values = 1000 + 8 * t + 80 * np.sin(2 * np.pi * t / MONTHS) + rng.normal(0, 15, length)
    return pd.Series(values, index=pd.period_range("2020-01", periods=length, freq="M"))


@pytest.fixture(scope="module")
def series() -> pd.Series:
    return trending_seasonal(72, seed=3)


@pytest.fixture(scope="module")
def forecast(series: pd.Series) -> Forecast:
    return forecast_series(series, season_length=MONTHS, horizon=MONTHS)


def test_trend_and_seasonality_beat_the_seasonal_naive_baseline(forecast: Forecast) -> None:
    assert forecast.model != "SEASONAL_NAIVE"
    assert forecast.accuracy.mase is not None
    assert forecast.accuracy.mase < 1
    assert forecast.baseline.model == "SEASONAL_NAIVE"
    assert forecast.baseline.mae > forecast.accuracy.mae


def test_95_percent_intervals_hold_most_backtest_actuals(forecast: Forecast) -> None:
    assert forecast.accuracy.points == 3 * MONTHS
    assert 0.85 <= forecast.accuracy.coverage[0.95] <= 1.0
    assert forecast.accuracy.coverage[0.8] <= forecast.accuracy.coverage[0.95]


def test_the_chosen_model_has_the_lowest_backtest_error(forecast: Forecast) -> None:
    lowest = min(candidate.mae for candidate in forecast.candidates)
    assert forecast.accuracy.mae == lowest
    assert [c.model for c in forecast.candidates][:2] == ["SEASONAL_NAIVE", "THETA"]


def origins_of(series: pd.Series) -> list[int]:
    # Three origins half a horizon apart, the last a full horizon before the end.
    return [len(series) - MONTHS - 6 * back for back in (2, 1, 0)]


def test_baseline_accuracy_matches_a_direct_computation(
    series: pd.Series, forecast: Forecast
) -> None:
    values = series.to_numpy()
    actual, predicted, scale = [], [], []
    for origin in origins_of(series):
        training = values[:origin]
        actual.append(values[origin : origin + MONTHS])
        predicted.append(training[-MONTHS:])
        naive_errors = pd.Series(training).diff(MONTHS).abs().dropna()
        scale.append(np.full(MONTHS, naive_errors.mean()))
    a, p, s = (np.concatenate(part) for part in (actual, predicted, scale))
    assert forecast.baseline.mae == pytest.approx(np.mean(np.abs(a - p)), rel=1e-12)
    assert forecast.baseline.mape == pytest.approx(np.mean(np.abs(a - p) / np.abs(a)))
    assert forecast.baseline.mase == pytest.approx(np.mean(np.abs(a - p) / s), rel=1e-12)


def test_smoothing_backtest_matches_statsmodels_fitted_directly(
    series: pd.Series, forecast: Forecast
) -> None:
    smoothing = next(c for c in forecast.candidates if c.model.startswith("ETS"))
    form = choose_smoothing(series.to_numpy(), MONTHS)
    errors, inside = [], []
    for origin in origins_of(series):
        model = ETSModel(
            pd.Series(series.to_numpy()[:origin]),
            error="add",
            trend=form.trend,
            damped_trend=form.damped,
            seasonal=form.seasonal,
            seasonal_periods=MONTHS if form.seasonal else None,
            initialization_method="heuristic",
        )
        prediction = model.fit(disp=False).get_prediction(start=origin, end=origin + 11)
        frame = prediction.summary_frame(alpha=0.05)
        actual = series.to_numpy()[origin : origin + MONTHS]
        errors.append(np.abs(actual - frame["mean"].to_numpy()))
        inside.append((frame["pi_lower"] <= actual) & (actual <= frame["pi_upper"]))
    assert smoothing.mae == pytest.approx(np.mean(np.concatenate(errors)), rel=1e-9)
    assert smoothing.coverage[0.95] == pytest.approx(np.mean(np.concatenate(inside)))


def test_smoothing_form_has_the_lowest_aicc_of_all_forms(series: pd.Series) -> None:
    """AICc here charges for the heuristic initial states too, as estimated ones would be."""
    values = series.to_numpy()
    n = len(values)
    scores = {}
    trends = [(None, False), ("add", False), ("add", True)]
    for (trend, damped), seasonal in itertools.product(trends, [None, "add", "mul"]):
        model = ETSModel(
            pd.Series(values),
            error="add",
            trend=trend,
            damped_trend=damped,
            seasonal=seasonal,
            seasonal_periods=MONTHS if seasonal else None,
            initialization_method="heuristic",
        )
        fit = model.fit(disp=False)
        k = len(fit.params) + 1 + 1 + (trend is not None) + (MONTHS if seasonal else 0)
        scores[(trend, damped, seasonal)] = -2 * fit.llf + 2 * k + 2 * k * (k + 1) / (n - k - 1)
    form = choose_smoothing(values, MONTHS)
    assert scores[(form.trend, form.damped, form.seasonal)] == min(scores.values())


def test_forecast_continues_the_months_of_the_series(
    series: pd.Series, forecast: Forecast
) -> None:
    periods = [step.period for step in forecast.steps]
    assert periods == list(pd.period_range("2026-01", periods=MONTHS, freq="M"))
    assert forecast.parameters


def test_intervals_widen_with_the_horizon(forecast: Forecast) -> None:
    for level in (0, 1):
        widths = [s.intervals[level].upper - s.intervals[level].lower for s in forecast.steps]
        assert np.all(np.diff(widths) > -1e-9), widths
        assert widths[-1] > widths[0]
    for step in forecast.steps:
        narrow, wide = step.intervals
        assert (narrow.level, wide.level) == (0.8, 0.95)
        assert wide.lower < narrow.lower < step.point < narrow.upper < wide.upper


def test_a_purely_seasonal_series_forecasts_its_last_season() -> None:
    season = np.array([5.0, 7, 9, 12, 15, 14, 13, 11, 9, 8, 6, 4])
    series = pd.Series(np.tile(season, 5))
    forecast = forecast_series(series, season_length=MONTHS, horizon=18)
    points = np.array([step.point for step in forecast.steps])
    assert points == pytest.approx(np.tile(season, 2)[:18], abs=1e-6)
    assert forecast.baseline.mase is None
    assert forecast.accuracy.mae == pytest.approx(0, abs=1e-6)
    assert [step.period for step in forecast.steps] == list(range(60, 78))


def test_too_short_a_history_is_refused_with_the_minimum_needed() -> None:
    needed = minimum_history(MONTHS, MONTHS)
    assert needed == 2 * MONTHS + MONTHS + 2 * 6
    with pytest.raises(InvalidInput, match=f"at least {needed} periods") as raised:
        forecast_series(trending_seasonal(needed - 1, seed=1), MONTHS, MONTHS)
    assert raised.value.details == {"needed": needed, "found": needed - 1}
    shortest = forecast_series(trending_seasonal(needed, seed=1), MONTHS, MONTHS)
    assert len(shortest.steps) == MONTHS


def test_a_daily_series_continues_its_dates() -> None:
    days = pd.date_range("2026-01-01", periods=70, freq="D")
    weekly = 50 + 10 * (days.day_of_week >= 5) + np.random.default_rng(2).normal(0, 1, 70)
    forecast = forecast_series(pd.Series(weekly, index=days), season_length=7, horizon=14)
    assert [s.period for s in forecast.steps] == list(
        pd.date_range("2026-03-12", periods=14, freq="D")
    )
    assert forecast.accuracy.mase is not None
    assert forecast.accuracy.mase < 1


@pytest.mark.parametrize(
    ("index", "message"),
    [
        (pd.Index([0, 1, 2, *range(4, 61)]), "without gaps"),
        (pd.Index([f"m{i}" for i in range(60)]), "indexed by"),
    ],
)
def test_irregular_series_are_refused(index: pd.Index, message: str) -> None:
    series = pd.Series(np.arange(60.0), index=index)
    with pytest.raises(InvalidInput, match=message):
        forecast_series(series, MONTHS, 6)


def test_missing_values_and_bad_levels_are_refused(series: pd.Series) -> None:
    with pytest.raises(InvalidInput, match="missing"):
        forecast_series(series.where(series.index != series.index[5]), MONTHS, 6)
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        forecast_series(series, MONTHS, 6, levels=(0.8, 1.2))


def test_seasonal_naive_intervals_grow_with_each_season_ahead() -> None:
    history = trending_seasonal(48, seed=4).to_numpy()
    prediction = SeasonalNaive(MONTHS).fit(history).predict(30, [0.9])
    sigma = np.sqrt(np.mean((history[12:] - history[:-12]) ** 2))
    seasons_ahead = np.repeat([1, 2, 3], 12)[:30]
    half_width = norm.ppf(0.95) * sigma * np.sqrt(seasons_ahead)
    lower, upper = prediction.bounds[0.9]
    assert prediction.point == pytest.approx(np.tile(history[-12:], 3)[:30])
    assert upper - prediction.point == pytest.approx(half_width)
    assert prediction.point - lower == pytest.approx(half_width)


def test_theta_matches_statsmodels_point_forecasts() -> None:
    t = np.arange(60)
    wave = 1 + 0.3 * np.sin(2 * np.pi * t / MONTHS)
    noise = np.random.default_rng(5).normal(0, 5, 60)
    seasonal = (500 + 2 * t) * wave + noise
    cases = [(seasonal, MONTHS), (500 + 3 * t + noise, 1)]
    for values, period in cases:
        ours = Theta(period).fit(values).predict(12, [0.95]).point
        model = ThetaModel(pd.Series(values), period=period, deseasonalize=period > 1)
        theirs = model.fit().forecast(12).to_numpy()
        assert ours == pytest.approx(theirs, rel=1e-3)


def test_mape_skips_zero_actuals_and_mase_needs_a_scale() -> None:
    backtest = Backtest(
        model="X",
        actual=np.array([0.0, 10.0, 20.0]),
        point=np.array([1.0, 12.0, 15.0]),
        bounds={0.5: (np.array([0.0, 11.0, 14.0]), np.array([2.0, 13.0, 16.0]))},
        scale=np.array([2.0, 2.0, 0.0]),
    )
    accuracy = backtest.accuracy()
    assert accuracy.mape == pytest.approx((0.2 + 0.25) / 2)
    assert accuracy.mase is None
    assert accuracy.mae == pytest.approx(8 / 3)
    assert accuracy.coverage == {0.5: pytest.approx(1 / 3)}


def test_a_flat_series_forecasts_its_value_with_no_spread() -> None:
    forecast = forecast_series(pd.Series(np.full(40, 250.0)), season_length=7, horizon=7)
    for step in forecast.steps:
        assert step.point == pytest.approx(250.0)
        assert step.intervals[1].upper - step.intervals[1].lower == pytest.approx(0, abs=1e-6)


def test_series_crossing_zero_skip_multiplicative_seasonality(series: pd.Series) -> None:
    net_revenue = series - series.mean()
    forecast = forecast_series(net_revenue, season_length=MONTHS, horizon=6)
    assert not any(c.model.endswith(",M)") for c in forecast.candidates)
    assert forecast.accuracy.mape is not None
    assert forecast.accuracy.mase is not None
    assert forecast.accuracy.mase < 1
