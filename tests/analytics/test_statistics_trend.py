from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from saaslens.analytics.statistics.trend import linear_trend, robust_trend
from saaslens.errors import InvalidInput

MONTHS = pd.period_range("2022-01", periods=30, freq="M")
GROWING = pd.Series(
    200 + 4.0 * np.arange(30) + np.random.default_rng(5).normal(0, 12, 30), index=MONTHS
)


def _mann_kendall(y: list[float]) -> tuple[float, float, float]:
    """A second, loop-by-loop Mann-Kendall to compare with."""
    n = len(y)
    s = sum(np.sign(y[j] - y[i]) for i in range(n) for j in range(i + 1, n))
    counts = pd.Series(y).value_counts()
    ties = sum(t * (t - 1) * (2 * t + 5) for t in counts)
    variance = (n * (n - 1) * (2 * n + 5) - ties) / 18
    z = (s - 1) / np.sqrt(variance) if s > 0 else (s + 1) / np.sqrt(variance) if s < 0 else 0
    return float(s), float(variance), float(2 * stats.norm.sf(abs(z)))


def test_linear_trend_equals_statsmodels_ols() -> None:
    positions = sm.add_constant(np.arange(30.0))
    fit = sm.OLS(GROWING.to_numpy(), positions).fit()

    result = linear_trend(GROWING)

    assert result.slope == pytest.approx(fit.params[1])
    assert result.intercept == pytest.approx(fit.params[0])
    assert result.r_squared == pytest.approx(fit.rsquared)
    assert result.p_value == pytest.approx(fit.pvalues[1])
    band = fit.conf_int(alpha=0.05)[1]
    assert (result.slope_interval.low, result.slope_interval.high) == pytest.approx(tuple(band))


def test_linear_trend_orders_by_period_not_by_position() -> None:
    shuffled = GROWING.sample(frac=1.0, random_state=3)

    assert linear_trend(shuffled).slope == pytest.approx(linear_trend(GROWING).slope)


def test_linear_reading_states_direction_and_p_value() -> None:
    assert linear_trend(GROWING).reading.startswith("The slope is positive: 3.867 per period")
    falling = linear_trend(-GROWING)
    assert falling.reading.startswith("The slope is negative")
    assert "p < 0.001" in falling.reading


def test_linear_reading_says_when_the_slope_is_not_significant() -> None:
    flat = pd.Series([5.0, 7.0, 4.0, 6.0, 5.0], index=MONTHS[:5])
    expected = stats.linregress(np.arange(5.0), flat.to_numpy())

    result = linear_trend(flat)

    assert result.reading.startswith("No significant linear trend")
    assert f"p = {expected.pvalue:.2g}" in result.reading


def test_robust_trend_equals_a_second_mann_kendall_and_scipy_theil_sen() -> None:
    s, variance, p = _mann_kendall(list(GROWING))
    slope, intercept, low, high = stats.theilslopes(GROWING.to_numpy(), np.arange(30.0))

    result = robust_trend(GROWING)

    assert (result.mann_kendall_s, result.variance, result.p_value) == pytest.approx(
        (s, variance, p)
    )
    assert (result.theil_sen_slope, result.theil_sen_intercept) == pytest.approx(
        (slope, intercept)
    )
    assert (result.slope_interval.low, result.slope_interval.high) == pytest.approx((low, high))
    assert result.reading.startswith("A significant upward trend (Mann-Kendall S = ")


def test_mann_kendall_corrects_its_variance_for_ties() -> None:
    tied = pd.Series([3.0, 3.0, 4.0, 2.0, 5.0, 5.0, 5.0, 6.0, 4.0, 7.0], index=MONTHS[:10])
    s, variance, p = _mann_kendall(list(tied))
    # Without ties in time, scipy's asymptotic tau-b test divides by the same variance.
    tau = stats.kendalltau(np.arange(10), tied, method="asymptotic")

    result = robust_trend(tied)

    assert variance < 10 * 9 * 25 / 18
    assert (result.mann_kendall_s, result.variance, result.p_value) == pytest.approx(
        (s, variance, p)
    )
    plain_z = s / np.sqrt(variance)
    assert 2 * stats.norm.sf(plain_z) == pytest.approx(tau.pvalue)


def test_a_short_series_is_refused_with_the_minimum() -> None:
    with pytest.raises(InvalidInput, match="Mann-Kendall test needs at least 8 values; got 7"):
        robust_trend(GROWING.iloc[:7])
    with pytest.raises(InvalidInput, match="linear trend needs at least 3 values; got 2"):
        linear_trend(GROWING.iloc[:2])


def test_a_repeated_period_is_refused() -> None:
    repeated = pd.concat([GROWING.iloc[:5], GROWING.iloc[4:10]])

    with pytest.raises(InvalidInput, match="got period 2022-05 more than once"):
        linear_trend(repeated)


def test_a_flat_series_has_no_linear_trend_to_test() -> None:
    with pytest.raises(InvalidInput, match="linear trend needs values that vary; all 6 values"):
        linear_trend(pd.Series(5.0, index=MONTHS[:6]))


def test_a_steadily_rising_series_by_hand() -> None:
    rising = pd.Series(np.arange(1.0, 9.0), index=MONTHS[:8])

    result = robust_trend(rising)

    # All 28 pairs rise; Var(S) = 8 * 7 * 21 / 18; z = (28 - 1) / sqrt(Var(S)).
    assert result.mann_kendall_s == 28
    assert result.variance == pytest.approx(8 * 7 * 21 / 18)
    assert result.z == pytest.approx(27 / np.sqrt(8 * 7 * 21 / 18))
    assert result.tau == 1.0
    assert (result.theil_sen_slope, result.theil_sen_intercept) == (1.0, 1.0)
