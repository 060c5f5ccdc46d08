"""A rate together with what it was computed from and how sure it is."""

from __future__ import annotations

from dataclasses import dataclass

from saaslens.analytics.intervals import wilson


@dataclass(frozen=True)
class Rate:
    """`value` = numerator / denominator, with a 95% interval and the formula's name.

    `value` is None when the denominator is zero; the interval is None when
    there is no sample to estimate from.
    """

    value: float | None
    numerator: float
    denominator: float
    lower: float | None
    upper: float | None
    formula: str


def proportion(numerator: float, denominator: float, formula: str) -> Rate:
    """A count over a count, with the Wilson interval."""
    return weighted(numerator, denominator, denominator, formula)


def weighted(numerator: float, denominator: float, sample: float, formula: str) -> Rate:
    """A ratio of amounts whose uncertainty comes from `sample` units (e.g. customers).

    The Wilson interval is taken at the observed ratio with `sample` trials:
    revenue rates are driven by how many customers there are, not by how many
    cents, so the cents would overstate the certainty.
    """
    if denominator == 0:
        return Rate(None, numerator, denominator, None, None, formula)
    value = numerator / denominator
    interval = wilson(value, sample)
    lower, upper = interval if interval else (None, None)
    return Rate(value, numerator, denominator, lower, upper, formula)


def shifted(rate: Rate, offset: float, numerator: float, formula: str) -> Rate:
    """`rate` moved by a known offset (e.g. gross churn less expansion), interval too."""
    if rate.value is None:
        return Rate(None, numerator, rate.denominator, None, None, formula)
    lower = None if rate.lower is None else rate.lower + offset
    upper = None if rate.upper is None else rate.upper + offset
    return Rate(rate.value + offset, numerator, rate.denominator, lower, upper, formula)


def complement(rate: Rate, numerator: float, formula: str) -> Rate:
    """1 - rate, its interval mirrored (retention from churn)."""
    if rate.value is None:
        return Rate(None, numerator, rate.denominator, None, None, formula)
    lower = None if rate.upper is None else 1 - rate.upper
    upper = None if rate.lower is None else 1 - rate.lower
    return Rate(1 - rate.value, numerator, rate.denominator, lower, upper, formula)
