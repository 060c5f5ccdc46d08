from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from saaslens.analytics.statistics.descriptive import describe
from saaslens.errors import InvalidInput

RANDOM = np.random.default_rng(7).gamma(2.0, 50.0, size=40)
SMALL = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]


@pytest.mark.parametrize("values", [RANDOM, np.array(SMALL)], ids=["random", "small"])
def test_description_equals_numpy_and_scipy(values: np.ndarray) -> None:
    result = describe(values)

    assert result.n == values.size
    assert result.mean == pytest.approx(np.mean(values))
    assert result.median == pytest.approx(np.median(values))
    assert result.standard_deviation == pytest.approx(np.std(values, ddof=1))
    assert result.skewness == pytest.approx(stats.skew(values, bias=False))
    assert result.kurtosis == pytest.approx(stats.kurtosis(values, bias=False))
    expected = np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95])
    assert [q.value for q in result.quantiles] == pytest.approx(expected)


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_mean_interval_is_scipys_one_sample_t_interval(level: float) -> None:
    expected = stats.ttest_1samp(RANDOM, 0).confidence_interval(level)

    interval = describe(RANDOM, level).mean_interval

    assert (interval.low, interval.high) == pytest.approx((expected.low, expected.high))


@pytest.mark.parametrize("values", [RANDOM, np.array(SMALL)], ids=["random", "small"])
def test_median_interval_is_scipys_distribution_free_quantile_interval(values: np.ndarray) -> None:
    expected = stats.quantile_test(values, q=np.median(values), p=0.5).confidence_interval(0.95)

    interval = describe(values).median_interval

    assert interval is not None
    assert (interval.low, interval.high) == pytest.approx((expected.low, expected.high))
    ranks = np.flatnonzero(np.sort(values) == interval.low)[0] + 1
    exact = 1 - 2 * stats.binom.cdf(ranks - 1, values.size, 0.5)
    assert interval.level == pytest.approx(exact)
    assert interval.level >= 0.95


def test_median_interval_is_absent_when_too_few_values_reach_the_level() -> None:
    result = describe([1.0, 2.0, 3.0, 4.0, 5.0])

    assert result.median_interval is None
    assert "too few values" in result.reading


def test_reading_states_mean_and_interval() -> None:
    result = describe([10.0, 12.0, 14.0, 16.0])

    assert result.reading.startswith("Over 4 values the mean is 13.00 (95% CI")


def test_constant_sample_has_no_shape() -> None:
    result = describe([5.0] * 6)

    assert result.skewness is None
    assert result.kurtosis is None
    assert (result.mean_interval.low, result.mean_interval.high) == (5.0, 5.0)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([], "got no values: the range is empty"),
        ([1.0, 2.0, 3.0], "needs at least 4 values; got 3"),
        ([1.0, float("nan"), 3.0, 4.0], "missing or infinite values at positions 2"),
    ],
)
def test_bad_samples_are_refused_with_the_reason(values: list[float], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        describe(values)


def test_a_confidence_level_outside_zero_and_one_is_refused() -> None:
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        describe(SMALL, level=95)


def test_values_too_large_to_compute_with_are_refused() -> None:
    with pytest.raises(InvalidInput, match="takes values between -1e\\+15 and 1e\\+15"):
        describe([1.0, 2.0, 3.0, 1e300])


def test_the_result_names_its_median_interval_method() -> None:
    assert describe(RANDOM).median_interval_method.startswith("order statistics")
