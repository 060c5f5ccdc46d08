"""Types for recommendations: ranked findings with evidence, actions and automations."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from saaslens.analytics import recommendations as analysis
from saaslens.schema.types.statistics import Interval, interval_from
from saaslens.services.recommendations import Recommendations as RecommendationsResult


@strawberry.enum(description="What a finding is about.")
class FindingKind(Enum):
    CHURN_CHANGE = "churn_change"
    GROWTH_CHANGE = "growth_change"
    WEAKER_COHORT = "weaker_cohort"
    CUSTOMERS_AT_RISK = "customers_at_risk"
    HOT_LEADS = "hot_leads"


@strawberry.type(description="A named number; rates are fractions, money minor units.")
class Measure:
    name: str
    value: float | None


@strawberry.type(description="A customer or lead a finding names and the numbers behind it.")
class FindingSubject:
    id: str
    measures: list[Measure]


@strawberry.type(
    description="The test behind a finding: its statistic, p-value and the alpha it was "
    "judged at, the sample sizes (the compared group first), the confidence interval of the "
    "difference or slope, and further numbers. Findings without a test leave those null."
)
class FindingEvidence:
    test: str
    statistic_name: str | None
    statistic: float | None
    p_value: float | None
    alpha: float | None
    sample_sizes: list[int]
    interval: Interval | None
    measures: list[Measure]


@strawberry.type(description="A shipped automation template that acts on the finding.")
class SuggestedAutomation:
    template: str
    parameters: JSON = strawberry.field(
        description="Parameters for instantiateTemplate; they satisfy the template's schema."
    )


@strawberry.type
class Finding:
    kind: FindingKind
    priority: float = strawberry.field(
        description="Between 0 and 1: the kind's weight times the strength of its evidence."
    )
    reading: str
    action: str
    evidence: FindingEvidence
    subjects: list[FindingSubject]
    automation: SuggestedAutomation | None


@strawberry.type
class Recommendations:
    month: date = strawberry.field(description="The first day of the latest complete month.")
    findings: list[Finding] = strawberry.field(description="Highest priority first.")
    notes: list[str] = strawberry.field(
        description="Kinds of finding that could not be judged, and why."
    )


def _measures(measures: tuple[analysis.Measure, ...]) -> list[Measure]:
    return [Measure(name=m.name, value=m.value) for m in measures]


def _finding(finding: analysis.Finding) -> Finding:
    evidence = finding.evidence
    automation = finding.automation
    return Finding(
        kind=FindingKind(finding.kind.value),
        priority=finding.priority,
        reading=finding.reading,
        action=finding.action,
        evidence=FindingEvidence(
            test=evidence.test,
            statistic_name=evidence.statistic_name,
            statistic=evidence.statistic,
            p_value=evidence.p_value,
            alpha=evidence.alpha,
            sample_sizes=list(evidence.sample_sizes),
            interval=None if evidence.interval is None else interval_from(evidence.interval),
            measures=_measures(evidence.measures),
        ),
        subjects=[
            FindingSubject(id=subject.id, measures=_measures(subject.measures))
            for subject in finding.subjects
        ],
        automation=None
        if automation is None
        else SuggestedAutomation(
            template=automation.template, parameters=JSON(dict(automation.parameters))
        ),
    )


def recommendations_from(result: RecommendationsResult) -> Recommendations:
    return Recommendations(
        month=result.month,
        findings=[_finding(finding) for finding in result.findings],
        notes=list(result.notes),
    )
