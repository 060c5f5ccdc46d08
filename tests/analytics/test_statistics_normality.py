from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from saaslens.analytics.statistics.normality import (
    anderson_darling,
    dagostino_pearson,
    normality,
    shapiro_wilk,
)
from saaslens.errors import InvalidInput

NORMAL = np.random.default_rng(21).normal(50, 5, 60)
SKEWED = np.random.default_rng(21).exponential(10, 60)


@pytest.mark.parametrize("values", [NORMAL, SKEWED], ids=["normal", "skewed"])
def test_shapiro_and_dagostino_equal_scipy(values: np.ndarray) -> None:
    shapiro, dagostino = stats.shapiro(values), stats.normaltest(values)

    assert (shapiro_wilk(values).statistic, shapiro_wilk(values).p_value) == pytest.approx(
        (shapiro.statistic, shapiro.pvalue)
    )
    result = dagostino_pearson(values)
    assert (result.statistic, result.p_value) == pytest.approx(
        (dagostino.statistic, dagostino.pvalue)
    )


@pytest.mark.parametrize("values", [NORMAL, SKEWED[:15]], ids=["normal", "short-skewed"])
def test_anderson_darling_equals_scipy_with_stephens_critical_values(values: np.ndarray) -> None:
    interpolated = stats.anderson(values, "norm", method="interpolate")
    with warnings.catch_warnings():
        # The table form is deprecated in scipy but still the reference for critical values.
        warnings.simplefilter("ignore", FutureWarning)
        table = stats.anderson(values, "norm")

    result = anderson_darling(values)

    assert (result.statistic, result.p_value) == pytest.approx(
        (interpolated.statistic, interpolated.pvalue)
    )
    assert [c.significance_percent for c in result.critical_values] == list(
        table.significance_level
    )
    assert [c.value for c in result.critical_values] == pytest.approx(
        list(table.critical_values), abs=5e-4
    )


def test_readings_reject_normality_for_a_skewed_sample() -> None:
    result = normality(SKEWED)

    assert result.shapiro_wilk.reading.startswith("Shapiro-Wilk W = ")
    assert result.shapiro_wilk.reading.endswith("p < 0.001: the values are unlikely to be normal.")
    assert result.reading == (
        "Normality is rejected by Shapiro-Wilk, D'Agostino-Pearson, Anderson-Darling "
        "at the 5% level."
    )


def test_readings_accept_normality_for_a_normal_sample() -> None:
    result = normality(NORMAL)

    p = result.shapiro_wilk.p_value
    assert result.shapiro_wilk.reading.endswith(f"p = {p:.2g}: no evidence against normality.")
    assert result.reading == "No test rejects normality at the 5% level over 60 values."


def test_dagostino_is_left_out_below_its_minimum() -> None:
    result = normality(NORMAL[:12])

    assert result.dagostino_pearson is None
    with pytest.raises(InvalidInput, match="D'Agostino-Pearson test needs at least 20 values"):
        dagostino_pearson(NORMAL[:12])


def test_too_short_or_constant_samples_are_refused() -> None:
    with pytest.raises(InvalidInput, match="Shapiro-Wilk test needs at least 3 values; got 2"):
        shapiro_wilk([1.0, 2.0])
    with pytest.raises(InvalidInput, match="needs values that vary"):
        anderson_darling([4.0] * 10)
