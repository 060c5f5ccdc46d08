from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from saaslens.analytics.statistics.correlation import (
    CorrelationMethod,
    correlate,
    correlations,
)
from saaslens.errors import InvalidInput

MONTHS = pd.period_range("2023-01", periods=24, freq="M")
RNG = np.random.default_rng(11)
SIGNUPS = pd.Series(RNG.normal(100, 15, 24), index=MONTHS)
REVENUE = pd.Series(3 * SIGNUPS.to_numpy() + RNG.normal(0, 30, 24), index=MONTHS)
CRITICAL = stats.norm.ppf(0.975)


def _fisher(r: float, error: float) -> tuple[float, float]:
    z = np.arctanh(r)
    return float(np.tanh(z - CRITICAL * error)), float(np.tanh(z + CRITICAL * error))


def test_pearson_equals_scipy_with_its_fisher_interval() -> None:
    expected = stats.pearsonr(SIGNUPS, REVENUE)

    result = correlate(SIGNUPS, REVENUE, CorrelationMethod.PEARSON)

    assert result.coefficient == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)
    band = expected.confidence_interval(0.95)
    assert (result.interval.low, result.interval.high) == pytest.approx((band.low, band.high))
    assert result.n == 24


def test_spearman_uses_the_bonett_wright_error() -> None:
    expected = stats.spearmanr(SIGNUPS, REVENUE)
    r = expected.statistic

    result = correlate(SIGNUPS, REVENUE, CorrelationMethod.SPEARMAN)

    assert (result.coefficient, result.p_value) == pytest.approx((r, expected.pvalue))
    error = np.sqrt((1 + r**2 / 2) / 21)
    assert (result.interval.low, result.interval.high) == pytest.approx(_fisher(r, error))


def test_kendall_uses_the_fieller_error() -> None:
    expected = stats.kendalltau(SIGNUPS, REVENUE)

    result = correlate(SIGNUPS, REVENUE, CorrelationMethod.KENDALL)

    assert (result.coefficient, result.p_value) == pytest.approx(
        (expected.statistic, expected.pvalue)
    )
    error = np.sqrt(0.437 / 20)
    assert (result.interval.low, result.interval.high) == pytest.approx(
        _fisher(expected.statistic, error)
    )


def test_series_are_aligned_on_their_common_periods_only() -> None:
    early = SIGNUPS.iloc[:18]
    late = REVENUE.iloc[6:].iloc[::-1]
    expected = stats.pearsonr(SIGNUPS.iloc[6:18], REVENUE.iloc[6:18])

    result = correlate(early, late, CorrelationMethod.PEARSON)

    assert result.n == 12
    assert result.coefficient == pytest.approx(expected.statistic)


def test_reading_names_direction_and_p_value() -> None:
    falling = pd.Series(-REVENUE.to_numpy(), index=MONTHS)

    pearson = correlate(SIGNUPS, falling, CorrelationMethod.PEARSON)

    assert pearson.reading.startswith("A strong negative Pearson correlation")
    assert "p < 0.001" in pearson.reading


def test_reading_says_when_nothing_is_significant() -> None:
    noise = pd.Series(np.random.default_rng(2).normal(size=24), index=MONTHS)

    results = correlations(SIGNUPS, noise)

    assert [r.method for r in results] == list(CorrelationMethod)
    for result in results:
        assert result.p_value > 0.05
        assert result.reading.startswith(f"No significant {result.method} correlation")
        assert f"p = {result.p_value:.2g}" in result.reading


def test_a_constant_series_is_refused() -> None:
    flat = pd.Series(5.0, index=MONTHS)

    with pytest.raises(InvalidInput, match="needs values that vary; all 24 values equal 5"):
        correlate(SIGNUPS, flat, CorrelationMethod.PEARSON)


def test_too_few_common_periods_are_refused_with_the_minimum() -> None:
    with pytest.raises(InvalidInput, match="at least 5 pairs; the series share 3 periods or ids"):
        correlate(SIGNUPS.iloc[:3], REVENUE, CorrelationMethod.KENDALL)


def test_series_without_common_periods_are_refused() -> None:
    with pytest.raises(InvalidInput, match="no period or id common to both series"):
        correlate(SIGNUPS.iloc[:12], REVENUE.iloc[12:], CorrelationMethod.SPEARMAN)


def test_missing_values_are_refused() -> None:
    gappy = SIGNUPS.copy()
    gappy.iloc[3] = np.nan

    with pytest.raises(InvalidInput, match="missing or infinite values at positions 4"):
        correlate(gappy, REVENUE, CorrelationMethod.PEARSON)
