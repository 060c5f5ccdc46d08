"""Statistics over real HTTP: results a person can read, and refusals they can act on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saaslens.auth.roles import Role
from tests.api import Api, add_person
from tests.metrics.scenario import hand_made

MONTHS = [f"2024-{month:02d}" for month in range(1, 13)]
MRR = [100.0, 104.0, 103.0, 110.0, 115.0, 113.0, 121.0, 126.0, 124.0, 131.0, 138.0, 136.0]

DESCRIBE = """
query ($data: SeriesInput!) {
  descriptiveStatistics(data: $data) {
    n mean median standardDeviation skewness
    meanInterval { low high level }
    medianInterval { low high level }
    reading
  }
}
"""

CORRELATION = """
query ($first: SeriesInput!, $second: SeriesInput!) {
  correlation(first: $first, second: $second) {
    method coefficient pValue n interval { low high } reading
  }
}
"""

TREND = """
query ($data: SeriesInput!) {
  linearTrend(data: $data) { slope pValue rSquared slopeInterval { low high } reading }
}
"""

ROBUST_TREND = "query ($data: SeriesInput!) { robustTrend(data: $data) { pValue reading } }"

MOVING_AVERAGE = """
query ($data: SeriesInput!) {
  movingAverage(data: $data, kind: SIMPLE, window: 3) { points { period value } reading }
}
"""

OUTLIERS = """
query ($data: SeriesInput!) {
  outliers(data: $data, method: IQR) { flags { period value reason } reading }
}
"""

REGRESSION = """
query ($target: FeatureInput!, $features: [FeatureInput!]!) {
  linearRegression(target: $target, features: $features) {
    coefficients { name estimate pValue } rSquared reading
  }
}
"""


def _points(values: list[float], periods: list[str] = MONTHS) -> dict[str, object]:
    return {"points": [{"period": p, "value": v} for p, v in zip(periods, values, strict=True)]}


def _error(body: dict[str, object]) -> dict[str, object]:
    errors = body["errors"]
    assert isinstance(errors, list)
    assert len(errors) == 1
    error: dict[str, object] = errors[0]
    return error


async def test_descriptive_statistics_of_points_equal_scipy(api: Api) -> None:
    data = await api.data(DESCRIBE, {"data": _points(MRR)})

    result = data["descriptiveStatistics"]
    assert result["n"] == 12
    assert result["mean"] == pytest.approx(np.mean(MRR))
    assert result["standardDeviation"] == pytest.approx(np.std(MRR, ddof=1))
    assert result["skewness"] == pytest.approx(stats.skew(MRR, bias=False))
    band = stats.ttest_1samp(MRR, 0).confidence_interval()
    assert (result["meanInterval"]["low"], result["meanInterval"]["high"]) == pytest.approx(
        (band.low, band.high)
    )
    assert result["medianInterval"]["level"] >= 0.95
    assert result["reading"].startswith("Over 12 values the mean is 118.4 (95% CI")


async def test_linear_trend_of_points_equals_statsmodels(api: Api) -> None:
    fit = sm.OLS(MRR, sm.add_constant(np.arange(12.0))).fit()

    result = (await api.data(TREND, {"data": _points(MRR)}))["linearTrend"]

    assert result["slope"] == pytest.approx(fit.params[1])
    assert result["pValue"] == pytest.approx(fit.pvalues[1])
    assert result["rSquared"] == pytest.approx(fit.rsquared)
    assert result["reading"].startswith("The slope is positive: 3.528 per period")
    assert "p < 0.001" in result["reading"]


async def test_correlation_joins_points_on_common_periods(api: Api) -> None:
    customers = [40.0, 41.0, 43.0, 42.0, 45.0, 47.0, 46.0, 50.0, 49.0, 52.0]
    later = MONTHS[2:]
    expected = stats.pearsonr(MRR[2:], customers)

    result = await api.data(
        CORRELATION, {"first": _points(MRR), "second": _points(customers, later)}
    )

    pearson, spearman, kendall = result["correlation"]
    assert [pearson["method"], spearman["method"], kendall["method"]] == [
        "PEARSON",
        "SPEARMAN",
        "KENDALL",
    ]
    assert pearson["n"] == 10
    assert pearson["coefficient"] == pytest.approx(expected.statistic)
    assert pearson["pValue"] == pytest.approx(expected.pvalue)
    assert pearson["reading"].startswith("A strong positive Pearson correlation")


async def test_moving_average_leaves_unfilled_windows_null(api: Api) -> None:
    result = (await api.data(MOVING_AVERAGE, {"data": {"values": MRR[:5]}}))["movingAverage"]

    assert result["points"] == [
        {"period": "1", "value": None},
        {"period": "2", "value": None},
        {"period": "3", "value": pytest.approx(np.mean(MRR[:3]))},
        {"period": "4", "value": pytest.approx(np.mean(MRR[1:4]))},
        {"period": "5", "value": pytest.approx(np.mean(MRR[2:5]))},
    ]


async def test_outliers_come_with_their_reason(api: Api) -> None:
    spiked = [*MRR[:6], 400.0, *MRR[7:]]

    result = (await api.data(OUTLIERS, {"data": _points(spiked)}))["outliers"]

    assert [(flag["period"], flag["value"]) for flag in result["flags"]] == [("2024-07", 400.0)]
    assert result["flags"][0]["reason"].startswith("above Q3 + 1.5 IQR = ")


async def test_a_series_too_short_for_the_test_is_bad_user_input(api: Api) -> None:
    body = await api.post_graphql(ROBUST_TREND, {"data": {"values": MRR[:5]}})

    error = _error(body)
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert error["message"] == "the Mann-Kendall test needs at least 8 values; got 5"
    assert body["data"] is None


async def test_a_constant_series_cannot_be_correlated(api: Api) -> None:
    flat = {"values": [7.0] * 12}

    body = await api.post_graphql(CORRELATION, {"first": {"values": MRR}, "second": flat})

    error = _error(body)
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert error["message"] == (
        "a Pearson correlation (second series) needs values that vary; all 12 values equal 7"
    )


async def test_a_repeated_period_is_bad_user_input(api: Api) -> None:
    repeated = _points([1.0, 2.0, 3.0], ["2024-01", "2024-02", "2024-01"])
    body = await api.post_graphql(TREND, {"data": repeated})

    error = _error(body)
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert error["message"] == "a linear trend got period 2024-01 more than once"


async def test_an_empty_series_is_bad_user_input(api: Api) -> None:
    body = await api.post_graphql(DESCRIBE, {"data": {"points": []}})

    assert _error(body)["message"] == "describing a sample got no values: the range is empty"


async def test_points_and_values_together_are_refused(api: Api) -> None:
    body = await api.post_graphql(DESCRIBE, {"data": {**_points(MRR), "values": MRR}})

    assert _error(body)["extensions"] == {"code": "BAD_USER_INPUT"}


async def test_regression_equals_statsmodels_and_refuses_mismatched_columns(api: Api) -> None:
    seats = [3.0, 5.0, 2.0, 8.0, 6.0, 4.0, 9.0, 7.0]
    mrr = [31.0, 48.0, 22.0, 83.0, 57.0, 41.0, 95.0, 69.0]
    fit = sm.OLS(mrr, sm.add_constant(seats)).fit()
    target = {"name": "mrr", "values": mrr}

    result = await api.data(
        REGRESSION, {"target": target, "features": [{"name": "seats", "values": seats}]}
    )
    body = await api.post_graphql(
        REGRESSION, {"target": target, "features": [{"name": "seats", "values": seats[:5]}]}
    )

    coefficients = result["linearRegression"]["coefficients"]
    assert [c["estimate"] for c in coefficients] == pytest.approx(list(fit.params))
    assert result["linearRegression"]["rSquared"] == pytest.approx(fit.rsquared)
    error = _error(body)
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert error["message"] == "every column needs one value per row; mrr has 8, seats has 5"


async def test_the_guides_trend_example_reads_as_documented(api: Api) -> None:
    guide = (Path(__file__).parents[2] / "docs" / "statistics.md").read_text()
    first_half = _points(MRR[:6], MONTHS[:6])

    result = (await api.data(TREND, {"data": first_half}))["linearTrend"]

    documented = " ".join(guide.split('reads "')[1].split('."')[0].split())
    assert result["reading"] == documented + "."


async def test_bare_values_of_different_lengths_cannot_be_paired(api: Api) -> None:
    body = await api.post_graphql(
        CORRELATION, {"first": {"values": MRR}, "second": {"values": MRR[:10]}}
    )

    error = _error(body)
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert error["message"] == (
        "paired values need the same length; got 12 and 10 (give points to join by period)"
    )


async def test_a_viewer_may_ask_and_a_stranger_may_not(anonymous: Api) -> None:
    viewer = await add_person(anonymous.settings, "viewer@example.com", Role.VIEWER)

    seen = await anonymous.as_bearer(viewer.token).data(TREND, {"data": {"values": MRR}})
    refused = await anonymous.post_graphql(TREND, {"data": {"values": MRR}})

    assert seen["linearTrend"]["reading"].startswith("The slope is positive")
    assert _error(refused)["extensions"] == {"code": "UNAUTHENTICATED"}


METRIC_SERIES = """
query ($metric: MetricName!) {
  metricSeries(metric: $metric, range: {start: "2024-01-01", end: "2024-06-30"}) {
    series { points { start value } }
  }
}
"""

METRIC_DESCRIBE = """
query ($metric: MetricName!) {
  descriptiveStatistics(
    data: {metric: {metric: $metric, range: {start: "2024-01-01", end: "2024-06-30"}}}
  ) { n mean standardDeviation reading }
}
"""

METRIC_CORRELATION = """
query ($points: [PointInput!]!) {
  correlation(
    first: {metric: {metric: MRR, range: {start: "2024-01-01", end: "2024-06-30"}}}
    second: {points: $points}
  ) { method n coefficient }
}
"""


async def test_a_metric_series_from_the_store_is_described(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await hand_made().write(sessions)
    (series,) = (await api.data(METRIC_SERIES, {"metric": "MRR"}))["metricSeries"]["series"]
    mrr = [point["value"] for point in series["points"]]

    result = (await api.data(METRIC_DESCRIBE, {"metric": "MRR"}))["descriptiveStatistics"]

    assert len(mrr) == result["n"] == 6
    assert result["mean"] == pytest.approx(np.mean(mrr))
    assert result["standardDeviation"] == pytest.approx(np.std(mrr, ddof=1))


async def test_a_metric_series_joins_points_named_by_the_periods_first_day(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await hand_made().write(sessions)
    (series,) = (await api.data(METRIC_SERIES, {"metric": "MRR"}))["metricSeries"]["series"]
    mrr = [point["value"] for point in series["points"]]
    seats = [4.0, 6.0, 5.0, 9.0, 8.0]
    starts = [point["start"] for point in series["points"]][1:]

    result = await api.data(METRIC_CORRELATION, {"points": _points(seats, starts)["points"]})

    pearson = result["correlation"][0]
    assert pearson["n"] == 5
    assert pearson["coefficient"] == pytest.approx(stats.pearsonr(mrr[1:], seats).statistic)


async def test_a_metric_undefined_in_some_periods_is_bad_user_input(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await hand_made().write(sessions)
    (series,) = (await api.data(METRIC_SERIES, {"metric": "NRR"}))["metricSeries"]["series"]
    undefined = [point["start"] for point in series["points"] if point["value"] is None]

    body = await api.post_graphql(METRIC_DESCRIBE, {"metric": "NRR"})

    assert undefined
    error = _error(body)
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert error["message"].startswith(f"NRR has no value in {len(undefined)} period(s)")
    assert undefined[0] in error["message"]
