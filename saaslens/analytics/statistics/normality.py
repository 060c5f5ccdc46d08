"""Whether a sample could come from a normal distribution.

Anderson-Darling's critical values are D'Agostino and Stephens' for a normal
whose mean and variance are estimated from the sample (0.561, 0.631, 0.752,
0.873 and 1.035 at 15%, 10%, 5%, 2.5% and 1%), divided by
1 + 0.75/n + 2.25/n^2; its p-value is scipy's interpolation in that table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from saaslens.analytics.statistics._readings import p_value, significant
from saaslens.analytics.statistics._samples import Numbers, Values, sample, varying
from saaslens.errors import InvalidInput

SHAPIRO_MINIMUM = 3
# scipy's p-value for W is only accurate up to 5000 values.
SHAPIRO_MAXIMUM = 5000
# The kurtosis half of D'Agostino-Pearson is only valid from 20 values.
DAGOSTINO_MINIMUM = 20
ANDERSON_MINIMUM = 8
STEPHENS_SIGNIFICANCE = (15.0, 10.0, 5.0, 2.5, 1.0)
STEPHENS_NORMAL = np.array([0.561, 0.631, 0.752, 0.873, 1.035])


@dataclass(frozen=True)
class NormalityTest:
    name: str
    statistic: float
    p_value: float
    n: int
    reading: str


@dataclass(frozen=True)
class CriticalValue:
    significance_percent: float
    value: float


@dataclass(frozen=True)
class AndersonDarling:
    statistic: float
    p_value: float
    critical_values: tuple[CriticalValue, ...]
    n: int
    reading: str


@dataclass(frozen=True)
class Normality:
    shapiro_wilk: NormalityTest
    dagostino_pearson: NormalityTest | None
    anderson_darling: AndersonDarling
    reading: str


def shapiro_wilk(values: Numbers) -> NormalityTest:
    array = _checked(values, SHAPIRO_MINIMUM, "the Shapiro-Wilk test")
    if array.size > SHAPIRO_MAXIMUM:
        raise InvalidInput(
            f"the Shapiro-Wilk test takes at most {SHAPIRO_MAXIMUM} values; got {array.size}"
        )
    result = stats.shapiro(array)
    return _test("Shapiro-Wilk", "W", float(result.statistic), float(result.pvalue), array.size)


def dagostino_pearson(values: Numbers) -> NormalityTest:
    array = _checked(values, DAGOSTINO_MINIMUM, "the D'Agostino-Pearson test")
    result = stats.normaltest(array)
    name = "D'Agostino-Pearson"
    return _test(name, "K²", float(result.statistic), float(result.pvalue), array.size)


def anderson_darling(values: Numbers) -> AndersonDarling:
    array = _checked(values, ANDERSON_MINIMUM, "the Anderson-Darling test")
    result = stats.anderson(array, "norm", method="interpolate")
    n = array.size
    critical = STEPHENS_NORMAL / (1 + 0.75 / n + 2.25 / n**2)
    statistic, p = float(result.statistic), float(result.pvalue)
    at_five = float(critical[STEPHENS_SIGNIFICANCE.index(5.0)])
    verdict = "above" if statistic > at_five else "below"
    reading = (
        f"Anderson-Darling A² = {statistic:.3f} is {verdict} the 5% critical value "
        f"{at_five:.3f} ({p_value(p)}): " + _verdict(p)
    )
    values_at = tuple(
        CriticalValue(level, float(value))
        for level, value in zip(STEPHENS_SIGNIFICANCE, critical, strict=True)
    )
    return AndersonDarling(statistic, p, values_at, n, reading)


def normality(values: Numbers) -> Normality:
    """All three tests; D'Agostino-Pearson only from 20 values on."""
    array = _checked(values, ANDERSON_MINIMUM, "testing normality")
    shapiro = shapiro_wilk(array)
    dagostino = dagostino_pearson(array) if array.size >= DAGOSTINO_MINIMUM else None
    anderson = anderson_darling(array)
    rejected = [test.name for test in (shapiro, dagostino) if test and significant(test.p_value)]
    if significant(anderson.p_value):
        rejected.append("Anderson-Darling")
    reading = (
        f"Normality is rejected by {', '.join(rejected)} at the 5% level."
        if rejected
        else f"No test rejects normality at the 5% level over {array.size} values."
    )
    return Normality(shapiro, dagostino, anderson, reading)


def _checked(values: Numbers, minimum: int, purpose: str) -> Values:
    return varying(sample(values, minimum=minimum, purpose=purpose), purpose=purpose)


def _verdict(p: float) -> str:
    if significant(p):
        return "the values are unlikely to be normal."
    return "no evidence against normality."


def _test(name: str, symbol: str, statistic: float, p: float, n: int) -> NormalityTest:
    reading = f"{name} {symbol} = {statistic:.3f}, {p_value(p)}: " + _verdict(p)
    return NormalityTest(name, statistic, p, n, reading)
