from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_effectsize,
    proportions_ztest,
)
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from saaslens.analytics.statistics.comparison import (
    chi_square,
    mann_whitney,
    two_proportions,
    welch_t,
)
from saaslens.errors import InvalidInput

RNG = np.random.default_rng(31)
BEFORE = RNG.normal(120, 20, 25)
AFTER = RNG.normal(150, 30, 31)


def test_welch_equals_statsmodels_with_cohens_d_and_hedges_g() -> None:
    means = CompareMeans(DescrStatsW(BEFORE), DescrStatsW(AFTER))
    t, p, df = means.ttest_ind(usevar="unequal")
    low, high = means.tconfint_diff(usevar="unequal")
    pooled = np.sqrt((24 * BEFORE.var(ddof=1) + 30 * AFTER.var(ddof=1)) / 54)
    d = (BEFORE.mean() - AFTER.mean()) / pooled

    result = welch_t(BEFORE, AFTER)

    assert (result.t, result.p_value, result.degrees_of_freedom) == pytest.approx((t, p, df))
    assert (result.difference_interval.low, result.difference_interval.high) == pytest.approx(
        (low, high)
    )
    assert result.cohens_d == pytest.approx(d)
    assert result.hedges_g == pytest.approx(d * (1 - 3 / (4 * 56 - 9)))
    assert p < 0.001
    assert result.reading == (
        f"The first sample's mean is significantly lower (Welch's t = {t:.2f}, p < 0.001)."
    )


def test_welch_reading_reports_no_difference() -> None:
    result = welch_t([10.0, 12.0, 11.0, 13.0], [11.0, 12.0, 10.0, 12.5])

    assert result.reading.startswith(
        "No significant difference between the two samples (Welch's t = "
    )


def test_mann_whitney_equals_scipy_with_rank_biserial() -> None:
    expected = stats.mannwhitneyu(BEFORE, AFTER, alternative="two-sided")

    result = mann_whitney(BEFORE, AFTER)

    assert (result.u, result.p_value) == pytest.approx((expected.statistic, expected.pvalue))
    assert result.rank_biserial == pytest.approx(2 * expected.statistic / (25 * 31) - 1)
    assert result.rank_biserial < 0
    assert "significantly lower" in result.reading


def test_two_proportions_equal_statsmodels() -> None:
    z, p = proportions_ztest([48, 30], [400, 380])
    low, high = confint_proportions_2indep(48, 400, 30, 380, method="wald", compare="diff")

    result = two_proportions((48, 30), (400, 380))

    assert (result.z, result.p_value) == pytest.approx((z, p))
    assert (result.difference_interval.low, result.difference_interval.high) == pytest.approx(
        (low, high)
    )
    assert result.cohens_h == pytest.approx(proportion_effectsize(48 / 400, 30 / 380))
    assert result.reading.startswith(
        "No significant difference between the two samples (12% against 7.89%"
    )


def test_chi_square_equals_scipy_with_cramers_v() -> None:
    table = [[30, 10, 12], [18, 25, 20]]
    expected = stats.chi2_contingency(table, correction=False)

    result = chi_square(table)

    assert (result.statistic, result.p_value) == pytest.approx(
        (expected.statistic, expected.pvalue)
    )
    assert result.degrees_of_freedom == expected.dof
    assert result.cramers_v == pytest.approx(stats.contingency.association(table, method="cramer"))
    assert result.reading.startswith("The rows and columns are associated (chi² = ")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: welch_t([1.0], [2.0, 3.0]), "first sample\\) needs at least 2 values; got 1"),
        (lambda: welch_t([2.0, 2.0], [3.0, 3.0]), "needs values that vary"),
        (lambda: mann_whitney([1.0, 2.0], [3.0, 4.0, 5.0]), "needs at least 3 values; got 2"),
        (lambda: two_proportions((5, 3), (4, 10)), "got 5 of 4"),
        (lambda: two_proportions((0, 0), (10, 10)), "some successes and some failures"),
        (lambda: chi_square([[1, 2, 3]]), "at least 2 rows and 2 columns"),
        (lambda: chi_square([[1, 0], [2, 0]]), "every row and column"),
        (lambda: chi_square([[], [1, 2]]), "same number of columns in every row"),
        (lambda: chi_square([[1, 2, 3], [4, 5]]), "same number of columns in every row"),
    ],
)
def test_bad_comparisons_are_refused(call: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        call()  # type: ignore[operator]


def test_two_rates_by_hand() -> None:
    # 30/100 against 20/100: pooled 0.25, so z = 0.1 / sqrt(0.25 * 0.75 * 0.02).
    result = two_proportions((30, 20), (100, 100))

    assert result.difference == pytest.approx(0.1)
    assert result.z == pytest.approx(0.1 / np.sqrt(0.25 * 0.75 * 0.02))
    half = stats.norm.ppf(0.975) * np.sqrt(0.3 * 0.7 / 100 + 0.2 * 0.8 / 100)
    assert result.difference_interval.low == pytest.approx(0.1 - half)
    assert result.reading == (
        "No significant difference between the two samples "
        f"(30% against 20%, z = {result.z:.2f}, p = {result.p_value:.2g})."
    )


def test_a_clearly_higher_rate_reads_as_higher() -> None:
    result = two_proportions((60, 20), (100, 100))

    assert result.reading.startswith("The first sample's rate is significantly higher")
    assert "p < 0.001" in result.reading
