from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.tsa.seasonal import STL

from saaslens.analytics.statistics.outliers import (
    iqr_outliers,
    residual_outliers,
    robust_z_outliers,
)
from saaslens.errors import InvalidInput

DAYS = pd.date_range("2024-03-01", periods=12, freq="D")
SIGNUPS = pd.Series([20, 22, 19, 21, 80, 23, 20, 18, 22, 21, 2, 20], index=DAYS, dtype=float)


def test_iqr_flags_values_beyond_tukeys_fences_with_the_fence() -> None:
    q1, q3 = np.percentile(SIGNUPS, [25, 75])
    high, low = q3 + 1.5 * (q3 - q1), q1 - 1.5 * (q3 - q1)

    result = iqr_outliers(SIGNUPS)

    assert [(flag.period, flag.value) for flag in result.flags] == [
        ("2024-03-05", 80.0),
        ("2024-03-11", 2.0),
    ]
    above, below = result.flags
    assert (high, low) == (25.375, 16.375)
    assert above.reason == "above Q3 + 1.5 IQR = 25.38"
    assert below.reason == "below Q1 - 1.5 IQR = 16.38"
    assert (above.score, below.score) == pytest.approx((80 - high, low - 2))
    assert result.reading.startswith("2 of 12 values are outliers by IQR")


def test_robust_z_equals_the_modified_z_score_from_scipys_mad() -> None:
    mad = stats.median_abs_deviation(SIGNUPS)
    scores = 0.6745 * (SIGNUPS - SIGNUPS.median()) / mad

    result = robust_z_outliers(SIGNUPS)

    expected = scores[scores.abs() > 3.5]
    assert [flag.score for flag in result.flags] == pytest.approx(list(expected))
    assert [flag.value for flag in result.flags] == list(SIGNUPS[expected.index])
    assert "(|z| > 3.5)" in result.flags[0].reason


def test_no_outliers_are_reported_as_such() -> None:
    calm = SIGNUPS.drop(SIGNUPS.index[[4, 10]])

    result = iqr_outliers(calm)

    assert result.flags == ()
    assert result.reading == "No outliers among 10 values by IQR (Tukey fences, k = 1.5)."


def test_residual_outlier_uses_statsmodels_stl_residual_when_long_enough() -> None:
    months = pd.period_range("2021-01", periods=48, freq="M")
    rng = np.random.default_rng(4)
    season = 10 * np.sin(2 * np.pi * np.arange(48) / 12)
    mrr = pd.Series(1000 + 5 * np.arange(48) + season + rng.normal(0, 3, 48), index=months)
    mrr.iloc[30] += 60
    residual = STL(mrr.to_numpy(), period=12).fit().resid
    mad = stats.median_abs_deviation(residual)
    scores = 0.6745 * (residual - np.median(residual)) / mad

    result = residual_outliers(mrr, season=12)

    assert [flag.period for flag in result.flags] == [
        str(months[i]) for i in np.flatnonzero(np.abs(scores) > 3.5)
    ]
    assert "2023-07" in [flag.period for flag in result.flags]
    flagged = next(flag for flag in result.flags if flag.period == "2023-07")
    assert flagged.score == pytest.approx(scores[30])
    assert "STL trend and season of 12 periods" in flagged.reason


def test_residual_outliers_fall_back_to_the_linear_trend_on_a_short_series() -> None:
    months = pd.period_range("2024-01", periods=12, freq="M")
    mrr = pd.Series(100 + 10 * np.arange(12.0), index=months)
    mrr.iloc[[2, 5, 8]] += [1.0, -1.0, 0.5]
    mrr.iloc[6] += 50
    fit = stats.linregress(np.arange(12.0), mrr.to_numpy())
    residual = mrr.to_numpy() - (fit.intercept + fit.slope * np.arange(12.0))

    result = residual_outliers(mrr, season=12)

    assert "fewer than 3 seasons of 12 periods" in result.method
    assert [flag.period for flag in result.flags] == ["2024-07"]
    assert mrr.iloc[6] - residual[6] == pytest.approx(164.29, abs=0.01)
    assert result.flags[0].reason.startswith("210.0 is 45.71 from the expected 164.3 given")


def test_robust_z_is_refused_when_the_mad_is_zero() -> None:
    mostly_flat = pd.Series([5.0, 5.0, 5.0, 5.0, 9.0], index=DAYS[:5])

    with pytest.raises(InvalidInput, match="median absolute deviation is 0"):
        robust_z_outliers(mostly_flat)


def test_a_short_series_is_refused_with_the_minimum() -> None:
    with pytest.raises(InvalidInput, match="needs at least 4 values; got 3"):
        iqr_outliers(SIGNUPS.iloc[:3])


def test_a_perfectly_linear_series_has_no_residual_spread() -> None:
    line = pd.Series(np.arange(10.0), index=DAYS[:10])

    with pytest.raises(InvalidInput, match="at least half of the residuals equal their median"):
        residual_outliers(line)


def test_a_non_positive_threshold_is_refused() -> None:
    with pytest.raises(InvalidInput, match="threshold must be positive; got 0"):
        robust_z_outliers(SIGNUPS, threshold=0)
