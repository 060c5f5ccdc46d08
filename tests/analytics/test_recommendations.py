"""Findings from plain numbers: directions, thresholds and ranking, checked with statsmodels
and scipy."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from saaslens.analytics.lead_scoring import ScoredLead
from saaslens.analytics.rates import proportion
from saaslens.analytics.recommendations import (
    GOOD_NEWS,
    Counts,
    Kind,
    churn_change,
    customers_at_risk,
    growth_change,
    hot_leads,
    rank,
    weaker_cohorts,
)
from saaslens.analytics.retention import CohortRetention, RetentionCurve
from saaslens.errors import InvalidInput

DECEMBER = date(2024, 12, 1)


def test_falling_churn_is_good_news_without_an_automation() -> None:
    finding = churn_change(Counts(2, 400), Counts(90, 2400), DECEMBER, 6, 0.05)

    z, p = proportions_ztest([2, 90], [400, 2400])
    assert finding is not None
    assert finding.evidence.statistic == pytest.approx(z)
    assert finding.priority == pytest.approx(GOOD_NEWS * (1 - p))
    assert finding.automation is None
    assert "fell to 0.5% in December 2024" in finding.reading


def test_churn_within_chance_is_no_finding() -> None:
    _, p = proportions_ztest([12, 60], [400, 2400])
    assert p > 0.05

    assert churn_change(Counts(12, 400), Counts(60, 2400), DECEMBER, 6, 0.05) is None


def test_a_stricter_alpha_drops_a_borderline_change() -> None:
    _, p = proportions_ztest([20, 60], [400, 2400])
    assert 0.001 < p < 0.05

    assert churn_change(Counts(20, 400), Counts(60, 2400), DECEMBER, 6, 0.05) is not None
    assert churn_change(Counts(20, 400), Counts(60, 2400), DECEMBER, 6, 0.001) is None


def test_rising_new_business_is_good_news() -> None:
    months = pd.date_range("2024-06-01", periods=7, freq="MS")
    values = pd.Series([100.0, 130, 150, 190, 200, 260, 270], index=months)

    finding = growth_change(values, 0.05)

    fit = stats.linregress(np.arange(7), values.to_numpy())
    assert finding is not None
    assert finding.evidence.statistic == pytest.approx(fit.slope)
    assert finding.priority == pytest.approx(GOOD_NEWS * (1 - fit.pvalue))
    assert "grown" in finding.reading


def _curve(kept: list[tuple[int, int]]) -> RetentionCurve:
    """Cohorts 0.. with (retained at offset 1, members); the last is not observed yet."""
    rows = [
        CohortRetention(
            cohort, members, [proportion(members, members, "f"), proportion(k, members, "f")]
        )
        for cohort, (k, members) in enumerate(kept)
    ]
    rows.append(CohortRetention(len(kept), 50, [proportion(50, 50, "f"), None]))
    return RetentionCurve(rows, [])


def test_a_cohort_retaining_better_is_no_finding() -> None:
    curve = _curve([(30, 50)] * 6 + [(48, 50)])
    starts = {cohort: date(2024, cohort + 1, 1) for cohort in range(8)}

    assert weaker_cohorts(curve, starts, 1, 3, 0.05) == []


def test_too_few_cohorts_to_compare_are_refused() -> None:
    curve = _curve([(30, 50)] * 3)
    starts = {cohort: date(2024, cohort + 1, 1) for cohort in range(4)}

    with pytest.raises(InvalidInput, match="the range has 3 such cohorts"):
        weaker_cohorts(curve, starts, 1, 3, 0.05)


def test_customers_at_risk_need_all_three_signs() -> None:
    customers = pd.DataFrame(
        {
            "revenue": [900, 800, 700, 600],
            "mrr": [100, 0, 100, 100],
            "engagement_trend": [-1.0, -1.0, 0.0, -1.0],
            "probability_alive": [0.2, 0.2, 0.2, 0.9],
            "lifetime_value": [10.0, 10.0, 10.0, 10.0],
        },
        index=["paying", "gone", "steady", "alive"],
    )

    finding = customers_at_risk(customers, 0.5, 8, 10)

    assert finding is not None
    assert [subject.id for subject in finding.subjects] == ["paying"]
    assert customers_at_risk(customers.drop(index="paying"), 0.5, 8, 10) is None


def test_hot_leads_are_strictly_above_the_line_and_ties_go_by_id() -> None:
    scored = [ScoredLead(lead, p, []) for lead, p in [("b", 0.8), ("a", 0.8), ("c", 0.5)]]

    finding = hot_leads(scored, 0.5, 3, 10)

    assert finding is not None
    assert [subject.id for subject in finding.subjects] == ["a", "b"]
    assert finding.evidence.sample_sizes == (2, 3)


def test_ranking_puts_bad_news_before_good() -> None:
    good = churn_change(Counts(2, 400), Counts(90, 2400), DECEMBER, 6, 0.05)
    months = pd.date_range("2024-06-01", periods=7, freq="MS")
    bad = growth_change(pd.Series([270.0, 260, 200, 190, 150, 130, 100], index=months), 0.05)

    ranked = rank([good, None, bad])

    assert [finding.kind for finding in ranked] == [Kind.GROWTH_CHANGE, Kind.CHURN_CHANGE]
