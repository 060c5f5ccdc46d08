"""The BG/NBD model of how often customers buy and when they silently leave.

While alive, a customer buys as a Poisson process with rate lambda, and
lambda varies across customers as a gamma distribution with shape r and
rate alpha. After each repeat purchase the customer leaves for good with
probability p, and p varies across customers as a beta distribution (a, b).
Nobody observes the leaving; the model infers it from the silence since the
last purchase (Fader, Hardie and Lee, 2005).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats
from scipy.special import betaln, expit, gammaln, hyp2f1, roots_legendre

from saaslens.analytics.lifetime_value.estimation import MaximumLikelihood, Vector, maximise
from saaslens.errors import InvalidInput

PARAMETERS = ("r", "alpha", "a", "b")
MIN_REPEAT_CUSTOMERS = 30
# Gauss-Legendre nodes over the quantiles of the drop-out probability's posterior;
# 64 agree with adaptive quadrature to about one part in a million.
QUADRATURE_NODES = 64


@dataclass(frozen=True)
class Histories:
    """Customers' recency and age, with their purchase counts stored once per distinct value.

    The likelihood's gamma and beta functions depend on a customer only
    through the count, which takes few distinct values; evaluating them per
    count rather than per customer makes a fit several times faster.
    """

    counts: Vector
    position: NDArray[np.intp]
    recency: Vector
    age: Vector

    @classmethod
    def of(cls, frequency: Vector, recency: Vector, age: Vector) -> Histories:
        counts, position = np.unique(frequency, return_inverse=True)
        return cls(counts.astype(float), position, recency, age)


def log_likelihood(params: Vector, frequency: Vector, recency: Vector, age: Vector) -> Vector:
    """Each customer's log-likelihood under parameters (r, alpha, a, b)."""
    return histories_log_likelihood(params, Histories.of(frequency, recency, age))


def histories_log_likelihood(params: Vector, histories: Histories) -> Vector:
    """Each customer's log-likelihood, for histories prepared once for many evaluations."""
    r, alpha, a, b = params
    x, at = histories.counts, histories.position
    shared = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    alive = betaln(a, b + x) - betaln(a, b)
    # Only customers with repeat purchases can have left; the others get -inf.
    left = np.where(x > 0, betaln(a + 1, b + np.maximum(x, 1) - 1) - betaln(a, b), -np.inf)
    shape = (r + x)[at]
    still_alive = alive[at] - shape * np.log(alpha + histories.age)
    gone = left[at] - shape * np.log(alpha + histories.recency)
    return np.asarray(shared[at] + np.logaddexp(still_alive, gone), dtype=float)


@dataclass(frozen=True)
class PurchaseModel:
    """A fitted BG/NBD model; times are in the unit of the summary it was fitted on."""

    fit: MaximumLikelihood

    @property
    def r(self) -> float:
        return self.fit.estimates[0].value

    @property
    def alpha(self) -> float:
        return self.fit.estimates[1].value

    @property
    def a(self) -> float:
        return self.fit.estimates[2].value

    @property
    def b(self) -> float:
        return self.fit.estimates[3].value

    def probability_alive(self, frequency: Vector, recency: Vector, age: Vector) -> Vector:
        """The probability that each customer has not left by the end of observation."""
        x = np.asarray(frequency, dtype=float)
        safe_b = np.where(x > 0, self.b + x - 1, 1.0)
        log_odds_left = (
            np.log(self.a)
            - np.log(safe_b)
            + (self.r + x) * (np.log(self.alpha + age) - np.log(self.alpha + recency))
        )
        return np.where(x > 0, expit(-log_odds_left), 1.0)

    def expected_purchases(
        self, horizon: float | Vector, frequency: Vector, recency: Vector, age: Vector
    ) -> Vector:
        """Each customer's expected purchases in the `horizon` after observation ends."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        x = np.asarray(frequency, dtype=float)
        ahead = alpha + age + horizon
        # The textbook form multiplies ((alpha + age) / ahead) ** (r + x) by
        # 2F1(r + x, b + x; a + b + x - 1; z), which underflow and overflow
        # for frequent buyers over long horizons. Euler's transformation of
        # 2F1 cancels the power of r + x and leaves a tame 2F1.
        remaining = 1 - ((alpha + age) / ahead) ** (a - 1) * hyp2f1(
            a + b - 1 - r, a - 1, a + b + x - 1, horizon / ahead
        )
        while_alive = np.asarray((a + b + x - 1) / (a - 1) * remaining, dtype=float)
        # scipy's 2F1 gives up (NaN) once r runs into the thousands, where a fit
        # lands when customers buy like clockwork (monthly billing): the gamma
        # of rates has collapsed to one rate. Those entries are integrated.
        failed = ~np.isfinite(while_alive)
        if failed.any():
            shape = while_alive.shape
            while_alive = while_alive.copy()
            while_alive[failed] = self._purchases_while_alive(
                np.broadcast_to(horizon, shape)[failed],
                np.broadcast_to(x, shape)[failed],
                np.broadcast_to(age, shape)[failed],
            )
        alive = self.probability_alive(x, recency, age)
        return np.asarray(while_alive * alive, dtype=float)

    def _purchases_while_alive(self, horizon: Vector, x: Vector, age: Vector) -> Vector:
        """Expected purchases in `horizon` of customers alive at `age`, by quadrature.

        Given the drop-out probability p, a customer buying at rate lambda makes
        (1 - exp(-lambda p t)) / p purchases in t on average; the posterior
        gamma of lambda averages the exponential in closed form, and the
        posterior beta(a, b + x) of p is integrated over its quantiles.
        """
        nodes, weights = roots_legendre(QUADRATURE_NODES)
        result = np.empty_like(horizon)
        for count in np.unique(x):
            at = x == count
            p = stats.beta.ppf((1 + nodes) / 2, self.a, self.b + count)[:, np.newaxis]
            lengthened = np.log1p(p * horizon[at] / (self.alpha + age[at]))
            purchases = -np.expm1(-(self.r + count) * lengthened) / p
            result[at] = weights @ purchases / 2
        return result

    def expected_purchases_of_new(self, horizon: float) -> float:
        """Expected purchases in `horizon` of a customer who just made a first purchase."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        share = (alpha / (alpha + horizon)) ** r
        z = horizon / (alpha + horizon)
        return float((a + b - 1) / (a - 1) * (1 - share * hyp2f1(r, b, a + b - 1, z)))


def fit_purchases(summary: pd.DataFrame) -> PurchaseModel:
    """Fit BG/NBD by maximum likelihood to a checked purchase summary."""
    repeaters = int((summary["frequency"] > 0).sum())
    if repeaters < MIN_REPEAT_CUSTOMERS:
        raise InvalidInput(
            f"fitting purchase frequency needs at least {MIN_REPEAT_CUSTOMERS} customers "
            f"with repeat purchases; there are {repeaters}",
            needed=MIN_REPEAT_CUSTOMERS,
            found=repeaters,
        )
    x = summary["frequency"].to_numpy(dtype=float)
    age = summary["age"].to_numpy(dtype=float)
    histories = Histories.of(x, summary["recency"].to_numpy(dtype=float), age)

    def mean_negative(log_params: Vector) -> float:
        return -float(np.mean(histories_log_likelihood(np.exp(log_params), histories)))

    # A unit-shape gamma whose mean is the observed purchase rate, and a
    # drop-out probability near a quarter, sit close to typical optima.
    rate = max(float(x.mean()), 0.1) / max(float(age.mean()), 1e-3)
    start = (1.0, 1.0 / rate, 1.0, 3.0)
    return PurchaseModel(maximise(mean_negative, start, PARAMETERS, len(x)))
