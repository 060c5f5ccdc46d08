"""Findings worth acting on, each with the evidence behind it and a suggested action.

Every finding carries a priority in [0, 1] by which the list is ranked: the
weight of its kind times the strength of its evidence. Weights put bad news
first (a rise in churn 1.0, falling new-business MRR 0.9, a cohort retaining
worse 0.8, valuable customers at risk 0.7, hot leads 0.6) and good news
(churn falling, new MRR rising) last at 0.3. Strength is 1 - p for a test,
the mean of 1 - P(alive) over the customers named, and the mean probability
over the leads named.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from saaslens.analytics.intervals import wilson
from saaslens.analytics.lead_scoring import ScoredLead
from saaslens.analytics.retention import RetentionCurve
from saaslens.analytics.statistics._readings import number, p_value, percent
from saaslens.analytics.statistics.comparison import PROPORTIONS_METHOD, two_proportions
from saaslens.analytics.statistics.intervals import Interval
from saaslens.analytics.statistics.trend import linear_trend
from saaslens.errors import InvalidInput

GOOD_NEWS = 0.3
# A slope of events per week counts as falling below this, clear of the rounding
# noise that can leave a flat pattern a hair under zero.
FALLING = -1e-9
# The most rows the at-risk export template takes.
EXPORT_LIMIT = 100_000


class Kind(StrEnum):
    CHURN_CHANGE = "churn_change"
    GROWTH_CHANGE = "growth_change"
    WEAKER_COHORT = "weaker_cohort"
    CUSTOMERS_AT_RISK = "customers_at_risk"
    HOT_LEADS = "hot_leads"


WEIGHTS = {
    Kind.CHURN_CHANGE: 1.0,
    Kind.GROWTH_CHANGE: 0.9,
    Kind.WEAKER_COHORT: 0.8,
    Kind.CUSTOMERS_AT_RISK: 0.7,
    Kind.HOT_LEADS: 0.6,
}


@dataclass(frozen=True)
class Measure:
    name: str
    value: float | None

    def __post_init__(self) -> None:
        # A model can leave a number undefined (NaN); it is shown as unknown.
        if self.value is not None and not math.isfinite(self.value):
            object.__setattr__(self, "value", None)


@dataclass(frozen=True)
class Subject:
    """A customer or lead a finding names, with the numbers that put it there."""

    id: str
    measures: tuple[Measure, ...]


@dataclass(frozen=True)
class Evidence:
    test: str
    statistic_name: str | None = None
    statistic: float | None = None
    p_value: float | None = None
    alpha: float | None = None
    sample_sizes: tuple[int, ...] = ()
    interval: Interval | None = None
    measures: tuple[Measure, ...] = ()


@dataclass(frozen=True)
class Automation:
    """A shipped template that acts on a finding and the parameters to give it."""

    template: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True)
class Finding:
    kind: Kind
    priority: float
    reading: str
    action: str
    evidence: Evidence
    subjects: tuple[Subject, ...] = ()
    automation: Automation | None = None


@dataclass(frozen=True)
class Counts:
    """Members who did something out of members who could."""

    successes: int
    trials: int


def month_name(start: date) -> str:
    return f"{start:%B %Y}"


def counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def churn_change(
    latest: Counts, baseline: Counts, month: date, periods: int, alpha: float
) -> Finding | None:
    """The latest month's customer churn against the pooled months before it (two-proportion
    z); None unless the difference is significant at `alpha`."""
    test = two_proportions(
        (latest.successes, baseline.successes), (latest.trials, baseline.trials), 1 - alpha
    )
    if test.p_value >= alpha:
        return None
    rose = test.difference > 0
    moved = "rose" if rose else "fell"
    reading = (
        f"Customer churn {moved} to {percent(test.rate_first)} in {month_name(month)} from "
        f"{percent(test.rate_second)} over the {periods} months before "
        f"(z = {test.z:.2f}, {p_value(test.p_value)})."
    )
    evidence = Evidence(
        test=f"two-proportion z test: {PROPORTIONS_METHOD}",
        statistic_name="z",
        statistic=test.z,
        p_value=test.p_value,
        alpha=alpha,
        sample_sizes=(latest.trials, baseline.trials),
        interval=test.difference_interval,
        measures=(
            Measure("latest_rate", test.rate_first),
            Measure("baseline_rate", test.rate_second),
            Measure("latest_churned", latest.successes),
            Measure("baseline_churned", baseline.successes),
        ),
    )
    if not rose:
        return Finding(
            Kind.CHURN_CHANGE,
            GOOD_NEWS * (1 - test.p_value),
            reading,
            "Find what changed for the customers who stayed and keep doing it.",
            evidence,
        )
    alert = Automation(
        "churn_alert",
        {"threshold": round(test.rate_second, 4), "direction": "above", "min_risk": 0.5},
    )
    return Finding(
        Kind.CHURN_CHANGE,
        WEIGHTS[Kind.CHURN_CHANGE] * (1 - test.p_value),
        reading,
        "Ask this month's churned customers why they left, and reach out to the customers "
        "most at risk before their next renewal.",
        evidence,
        automation=alert,
    )


def growth_change(new_mrr: pd.Series, alpha: float) -> Finding | None:
    """The trend of new-business MRR (minor units) over the months of `new_mrr`, indexed by
    each month's first day and ending with the latest; None unless the least-squares slope
    differs from zero at `alpha`."""
    trend = linear_trend(new_mrr, 1 - alpha)
    if trend.p_value >= alpha:
        return None
    falling = trend.slope < 0
    last = month_name(pd.Timestamp(new_mrr.index[-1]).date())
    reading = (
        f"New-business MRR has {'fallen' if falling else 'grown'} by "
        f"{number(abs(trend.slope))} minor units a month over the {trend.n} months to {last} "
        f"({trend.slope_interval}, {p_value(trend.p_value)})."
    )
    evidence = Evidence(
        test="least-squares linear trend, slope per month (t test)",
        statistic_name="slope",
        statistic=trend.slope,
        p_value=trend.p_value,
        alpha=alpha,
        sample_sizes=(trend.n,),
        interval=trend.slope_interval,
        measures=(
            Measure("first_month", float(new_mrr.iloc[0])),
            Measure("latest_month", float(new_mrr.iloc[-1])),
            Measure("r_squared", trend.r_squared),
        ),
    )
    if not falling:
        return Finding(
            Kind.GROWTH_CHANGE,
            GOOD_NEWS * (1 - trend.p_value),
            reading,
            "Find which channels and plans bring the new business and invest in them.",
            evidence,
        )
    digest = Automation(
        "weekly_kpi_digest",
        {"title": "New business", "metrics": ["new_business_mrr", "trial_to_paid"]},
    )
    return Finding(
        Kind.GROWTH_CHANGE,
        WEIGHTS[Kind.GROWTH_CHANGE] * (1 - trend.p_value),
        reading,
        "Review acquisition — lead volume, trial conversion and pricing — and watch new MRR "
        "every week until it recovers.",
        evidence,
        automation=digest,
    )


def weaker_cohorts(
    curve: RetentionCurve,
    starts: Mapping[int, date],
    offset: int,
    recent: int,
    alpha: float,
) -> list[Finding]:
    """Each of the `recent` latest cohorts observed at `offset` whose retention there is
    significantly below the pooled retention of the earlier cohorts (two-proportion z)."""
    observed = [
        (row.cohort, Counts(int(rate.numerator), row.members))
        for row in curve.cohorts
        if row.members > 0 and (rate := row.retained[offset]) is not None
    ]
    if len(observed) <= recent:
        raise InvalidInput(
            f"comparing the latest {recent} cohorts at period {offset} needs an earlier cohort "
            f"observed that long; the range has {len(observed)} such cohorts"
        )
    earlier = observed[:-recent]
    baseline = Counts(
        sum(counts.successes for _, counts in earlier),
        sum(counts.trials for _, counts in earlier),
    )
    findings = []
    for cohort, counts in observed[-recent:]:
        finding = _weaker_cohort(starts[cohort], counts, baseline, len(earlier), offset, alpha)
        if finding is not None:
            findings.append(finding)
    return findings


def _weaker_cohort(
    start: date, counts: Counts, baseline: Counts, cohorts: int, offset: int, alpha: float
) -> Finding | None:
    test = two_proportions(
        (counts.successes, baseline.successes), (counts.trials, baseline.trials), 1 - alpha
    )
    if test.p_value >= alpha or test.difference >= 0:
        return None
    mine = wilson(test.rate_first, counts.trials) or (0.0, 1.0)
    theirs = wilson(test.rate_second, baseline.trials) or (0.0, 1.0)
    reading = (
        f"The {month_name(start)} cohort kept {percent(test.rate_first)} of its "
        f"{counts.trials} customers in month {offset}, against {percent(test.rate_second)} "
        f"for the {cohorts} cohorts before it (z = {test.z:.2f}, {p_value(test.p_value)})."
    )
    evidence = Evidence(
        test=f"two-proportion z test: {PROPORTIONS_METHOD}; Wilson intervals of each rate",
        statistic_name="z",
        statistic=test.z,
        p_value=test.p_value,
        alpha=alpha,
        sample_sizes=(counts.trials, baseline.trials),
        interval=test.difference_interval,
        measures=(
            Measure("cohort_retention", test.rate_first),
            Measure("cohort_retention_low", mine[0]),
            Measure("cohort_retention_high", mine[1]),
            Measure("earlier_retention", test.rate_second),
            Measure("earlier_retention_low", theirs[0]),
            Measure("earlier_retention_high", theirs[1]),
        ),
    )
    return Finding(
        Kind.WEAKER_COHORT,
        WEIGHTS[Kind.WEAKER_COHORT] * (1 - test.p_value),
        reading,
        f"Look at what the {month_name(start)} cohort met in its first months — onboarding, "
        "plans, the channel it came from — against the cohorts before it.",
        evidence,
    )


def customers_at_risk(
    customers: pd.DataFrame, alive_below: float, weeks: int, limit: int
) -> Finding | None:
    """Paying customers whose weekly events trend down and whose BG/NBD probability of being
    alive is below `alive_below`, the highest net revenue to date first.

    `customers` is indexed by customer id with columns revenue, mrr, engagement_trend,
    probability_alive and lifetime_value.
    """
    risky = customers[
        (customers["mrr"] > 0)
        & (customers["engagement_trend"] < FALLING)
        & (customers["probability_alive"] < alive_below)
    ]
    if risky.empty:
        return None
    ordered = risky.rename_axis("id").reset_index()
    ordered = ordered.sort_values(["revenue", "id"], ascending=[False, True]).head(limit)
    subjects = tuple(_customer(row) for row in ordered.itertuples(index=False))
    strength = float(np.mean(1 - ordered["probability_alive"]))
    mrr = int(risky["mrr"].sum())
    reading = (
        f"Customers at risk: {len(risky)} paying, with {number(mrr)} minor units of MRR, "
        "each using the product less week by week and with a probability below "
        f"{percent(alive_below)} of still being an active buyer."
    )
    evidence = Evidence(
        test=f"BG/NBD probability of being alive below {alive_below:g} and a negative "
        f"least-squares slope of events per week over {weeks} weeks",
        sample_sizes=(len(risky), len(customers)),
        measures=(
            Measure("customers", len(risky)),
            Measure("mrr", mrr),
            Measure("mean_probability_alive", float(risky["probability_alive"].mean())),
        ),
    )
    limit = min(len(risky), EXPORT_LIMIT)
    export = Automation("at_risk_export", {"min_risk": round(1 - alive_below, 4), "limit": limit})
    return Finding(
        Kind.CUSTOMERS_AT_RISK,
        WEIGHTS[Kind.CUSTOMERS_AT_RISK] * strength,
        reading,
        "Have their account owners call them this week, most valuable first.",
        evidence,
        subjects,
        export,
    )


def _customer(row: Any) -> Subject:
    columns = ("revenue", "mrr", "probability_alive", "engagement_trend", "lifetime_value")
    return Subject(
        str(row.id), tuple(Measure(name, float(getattr(row, name))) for name in columns)
    )


def hot_leads(
    scored: Sequence[ScoredLead], above: float, model_version: int, limit: int
) -> Finding | None:
    """Open leads the latest model gives a probability above `above`, most likely first."""
    hot = [lead for lead in scored if lead.probability > above]
    if not hot:
        return None
    named = sorted(hot, key=lambda lead: (-lead.probability, lead.lead_id))[:limit]
    subjects = tuple(
        Subject(lead.lead_id, (Measure("probability", lead.probability),)) for lead in named
    )
    reading = (
        f"Lead model version {model_version} gives {counted(len(hot), 'open lead')} a "
        f"probability above {percent(above)} of being won."
    )
    evidence = Evidence(
        test=f"calibrated probabilities of lead model version {model_version}",
        sample_sizes=(len(hot), len(scored)),
        measures=(
            Measure("leads", len(hot)),
            Measure("mean_probability", float(np.mean([lead.probability for lead in hot]))),
        ),
    )
    return Finding(
        Kind.HOT_LEADS,
        WEIGHTS[Kind.HOT_LEADS] * float(np.mean([lead.probability for lead in named])),
        reading,
        "Hand them to sales now, most likely first.",
        evidence,
        subjects,
        Automation("lead_handoff", {"min_score": above, "owner": "sales"}),
    )


def rank(findings: Iterable[Finding | None]) -> list[Finding]:
    """The findings highest priority first; ties keep the order the kinds are listed in."""
    order = list(Kind)
    found = [finding for finding in findings if finding is not None]
    return sorted(found, key=lambda f: (-f.priority, order.index(f.kind)))
