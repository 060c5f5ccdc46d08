"""The Wilson interval against statsmodels' implementation."""

from __future__ import annotations

import pytest
from statsmodels.stats.proportion import proportion_confint

from saaslens.analytics.intervals import wilson


@pytest.mark.parametrize(("successes", "n"), [(0, 1), (1, 1), (3, 10), (97, 100), (5, 2000)])
def test_wilson_matches_statsmodels(successes: int, n: int) -> None:
    expected = proportion_confint(successes, n, alpha=0.05, method="wilson")

    assert wilson(successes / n, n) == pytest.approx(expected)


def test_wilson_has_no_interval_without_a_sample_or_outside_zero_to_one() -> None:
    assert wilson(0.0, 0) is None
    assert wilson(1.2, 10) is None
