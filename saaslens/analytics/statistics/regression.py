"""Linear (OLS) and logistic (Logit) regression of a target on features.

Both add an intercept named "intercept". Intervals are Wald intervals
(t for OLS, normal for Logit), as statsmodels reports them. The logistic
pseudo R² is McFadden's, 1 - log L / log L0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import PerfectSeparationError

from saaslens.analytics.statistics._readings import number, p_value, significant
from saaslens.analytics.statistics._samples import sample
from saaslens.analytics.statistics.intervals import Interval, confidence
from saaslens.errors import InvalidInput

INTERCEPT = "intercept"


@dataclass(frozen=True)
class Coefficient:
    name: str
    estimate: float
    standard_error: float
    interval: Interval
    p_value: float


@dataclass(frozen=True)
class LinearRegression:
    coefficients: tuple[Coefficient, ...]
    r_squared: float
    adjusted_r_squared: float
    f_p_value: float
    n: int
    reading: str


@dataclass(frozen=True)
class LogisticRegression:
    coefficients: tuple[Coefficient, ...]
    pseudo_r_squared: float
    log_likelihood: float
    likelihood_ratio_p_value: float
    n: int
    reading: str


def table(columns: Mapping[str, Sequence[float]]) -> pd.DataFrame:
    """Named columns of equal length as a frame to regress on."""
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {length}" for name, length in lengths.items())
        raise InvalidInput(f"every column needs one value per row; {described}")
    return pd.DataFrame({name: list(values) for name, values in columns.items()}, dtype=float)


def linear_regression(
    frame: pd.DataFrame, target: str, features: Sequence[str], level: float = 0.95
) -> LinearRegression:
    """Ordinary least squares of the target on the features plus an intercept."""
    y, x = _design(frame, target, features, "a linear regression")
    fit = sm.OLS(y, x).fit()
    coefficients = _coefficients(fit, confidence(level))
    reading = _reading(
        coefficients, "changes the target by", f"R² = {fit.rsquared:.2f}", len(y), exp=False
    )
    return LinearRegression(
        coefficients=coefficients,
        r_squared=float(fit.rsquared),
        adjusted_r_squared=float(fit.rsquared_adj),
        f_p_value=float(fit.f_pvalue),
        n=len(y),
        reading=reading,
    )


def logistic_regression(
    frame: pd.DataFrame, target: str, features: Sequence[str], level: float = 0.95
) -> LogisticRegression:
    """Logistic regression of a 0/1 target on the features plus an intercept."""
    y, x = _design(frame, target, features, "a logistic regression")
    if not y.isin([0, 1]).all() or y.nunique() < 2:
        raise InvalidInput("a logistic regression needs a target of 0s and 1s, with both present")
    model = sm.Logit(y, x)
    # Refuse separated data instead of reporting infinite coefficients.
    model.raise_on_perfect_prediction = True
    try:
        fit = model.fit(disp=0, warn_convergence=False)
    except (PerfectSeparationError, np.linalg.LinAlgError) as error:
        raise InvalidInput(
            "a logistic regression cannot be fitted: the features separate the target "
            "perfectly, so the coefficients would be infinite"
        ) from error
    if not fit.mle_retvals["converged"]:
        raise InvalidInput("a logistic regression did not converge; the data may be separated")
    coefficients = _coefficients(fit, confidence(level))
    pseudo = f"McFadden's pseudo R² = {fit.prsquared:.2f}"
    return LogisticRegression(
        coefficients=coefficients,
        pseudo_r_squared=float(fit.prsquared),
        log_likelihood=float(fit.llf),
        likelihood_ratio_p_value=float(fit.llr_pvalue),
        n=len(y),
        reading=_reading(coefficients, "multiplies the odds by", pseudo, len(y), exp=True),
    )


def _design(
    frame: pd.DataFrame, target: str, features: Sequence[str], purpose: str
) -> tuple[pd.Series, pd.DataFrame]:
    if not features:
        raise InvalidInput(f"{purpose} needs at least one feature")
    if INTERCEPT in features or len(set(features)) < len(features):
        raise InvalidInput(f"{purpose} needs distinct features, none named {INTERCEPT!r}")
    missing = [name for name in (target, *features) if name not in frame.columns]
    if missing:
        raise InvalidInput(f"{purpose} has no column named {missing[0]!r}")
    minimum = len(features) + 2
    columns = {
        name: sample(frame[name], minimum=minimum, purpose=f"{purpose} ({name})")
        for name in (target, *features)
    }
    for name in features:
        if np.ptp(columns[name]) == 0:
            raise InvalidInput(f"{purpose} cannot use {name!r}: it is constant")
    x = sm.add_constant(pd.DataFrame({name: columns[name] for name in features}), prepend=True)
    x = x.rename(columns={"const": INTERCEPT})
    if np.linalg.matrix_rank(x.to_numpy()) < x.shape[1]:
        raise InvalidInput(f"{purpose} needs features that are not linear combinations of others")
    return pd.Series(columns[target], name=target), x


# statsmodels ships no type information for its fitted results.
def _coefficients(fit: Any, level: float) -> tuple[Coefficient, ...]:
    bounds = fit.conf_int(alpha=1 - level)
    return tuple(
        Coefficient(
            name=str(name),
            estimate=float(estimate),
            standard_error=float(fit.bse[name]),
            interval=Interval(float(bounds.loc[name, 0]), float(bounds.loc[name, 1]), level),
            p_value=float(fit.pvalues[name]),
        )
        for name, estimate in fit.params.items()
    )


def _reading(
    coefficients: tuple[Coefficient, ...], effect: str, fit: str, n: int, *, exp: bool
) -> str:
    features = [c for c in coefficients if c.name != INTERCEPT]
    strongest = min(features, key=lambda c: c.p_value)
    size = float(np.exp(strongest.estimate)) if exp else strongest.estimate
    if not significant(strongest.p_value):
        return (
            f"No feature has a significant effect (smallest {p_value(strongest.p_value)}, "
            f"for {strongest.name}); {fit} over {n} rows."
        )
    return (
        f"Each unit of {strongest.name} {effect} {number(size)} "
        f"({p_value(strongest.p_value)}); {fit} over {n} rows."
    )
