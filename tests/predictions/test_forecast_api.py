"""Forecasts through GraphQL equal forecast_series on the metricSeries the API returns."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from saaslens.analytics.forecasting import forecast_series
from saaslens.data.demo import Scenario
from tests.api import Api
from tests.predictions.pipeline import Sessions, write_business

SCENARIO = Scenario(customers=150, seed=5, end=date(2025, 1, 1), months=40, events_per_user=0)
RANGE = {"start": "2022-01-01", "end": "2024-12-31"}
SERIES = """query($range: DateRangeInput!) { metricSeries(metric: MRR, range: $range) {
  series { points { start value } } } }"""
FORECAST = """query($range: DateRangeInput!) {
  forecast(metric: MRR, range: $range, horizon: 6, levels: [0.8, 0.95]) {
    model seasonLength
    points { start value intervals { level lower upper } }
    accuracy { model mape mase coverage { level share } }
    baseline { model mase } } }"""


async def test_forecast_matches_forecast_series_on_the_same_series(
    api: Api, sessions: Sessions
) -> None:
    await write_business(sessions, SCENARIO)
    (series,) = (await api.data(SERIES, {"range": RANGE}))["metricSeries"]["series"]
    points = series["points"]
    history = pd.Series(
        [point["value"] for point in points],
        index=pd.PeriodIndex([point["start"] for point in points], freq="M"),
    )
    expected = forecast_series(history, 12, 6, (0.8, 0.95))

    forecast = (await api.data(FORECAST, {"range": RANGE}))["forecast"]

    assert forecast["model"] == expected.model
    assert forecast["seasonLength"] == 12
    assert [p["start"] for p in forecast["points"]] == [
        str(step.period.start_time.date())  # type: ignore[attr-defined]
        for step in expected.steps
    ]
    assert [p["value"] for p in forecast["points"]] == pytest.approx(
        [step.point for step in expected.steps]
    )
    bounds = [
        value
        for point in forecast["points"]
        for interval in point["intervals"]
        for value in (interval["level"], interval["lower"], interval["upper"])
    ]
    assert bounds == pytest.approx(
        [v for step in expected.steps for i in step.intervals for v in (i.level, i.lower, i.upper)]
    )
    assert forecast["accuracy"]["mase"] == pytest.approx(expected.accuracy.mase)
    assert forecast["accuracy"]["mape"] == pytest.approx(expected.accuracy.mape)
    assert {c["level"]: c["share"] for c in forecast["accuracy"]["coverage"]} == pytest.approx(
        dict(expected.accuracy.coverage)
    )
    assert forecast["baseline"]["mase"] == pytest.approx(expected.baseline.mase)
