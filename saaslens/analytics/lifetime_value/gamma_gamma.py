"""The Gamma-Gamma model of how much customers spend per purchase.

Each purchase of a customer is gamma distributed with shape p and a rate nu
of the customer's own, and nu varies across customers as a gamma
distribution with shape q and rate v. Seen through the mean of x repeat
purchases, a customer's typical spend is shrunk from their own mean towards
the population mean, less so the more purchases they made (Fader and Hardie,
2005 and 2013). The model assumes spend does not depend on how often a
customer buys; the fit reports the correlation that would contradict it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import gammaln

from saaslens.analytics.lifetime_value.estimation import MaximumLikelihood, Vector, maximise
from saaslens.errors import InvalidInput

PARAMETERS = ("p", "q", "v")
MIN_REPEAT_CUSTOMERS = 30
# Above this absolute correlation between purchase count and mean spend the
# independence the model rests on is doubtful enough to tell the user.
CORRELATION_WARNING = 0.3


def log_likelihood(params: Vector, frequency: Vector, monetary_value: Vector) -> Vector:
    """Each repeat customer's log density of their mean spend under (p, q, v)."""
    p, q, v = params
    x, m = frequency, monetary_value
    shape = p * x
    return np.asarray(
        gammaln(shape + q)
        - gammaln(shape)
        - gammaln(q)
        + q * np.log(v)
        + (shape - 1) * np.log(m)
        + shape * np.log(x)
        - (shape + q) * np.log(v + x * m),
        dtype=float,
    )


@dataclass(frozen=True)
class SpendModel:
    """A fitted Gamma-Gamma model with the correlation check of its assumption."""

    fit: MaximumLikelihood
    frequency_spend_correlation: float

    @property
    def p(self) -> float:
        return self.fit.estimates[0].value

    @property
    def q(self) -> float:
        return self.fit.estimates[1].value

    @property
    def v(self) -> float:
        return self.fit.estimates[2].value

    @property
    def warnings(self) -> tuple[str, ...]:
        if abs(self.frequency_spend_correlation) <= CORRELATION_WARNING:
            return ()
        return (
            "purchase count and mean spend are correlated "
            f"({self.frequency_spend_correlation:.2f}); the spend model assumes they are "
            "independent, so expected spend is less reliable",
        )

    def expected_spend(self, frequency: Vector, monetary_value: Vector) -> Vector:
        """Each customer's expected spend per future purchase."""
        x = np.asarray(frequency, dtype=float)
        m = np.where(x > 0, monetary_value, 0.0)
        return np.asarray((self.v + x * m) * self.p / (self.p * x + self.q - 1), dtype=float)


def fit_spend(summary: pd.DataFrame) -> SpendModel:
    """Fit Gamma-Gamma by maximum likelihood on the customers with paid repeat purchases."""
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    if len(repeat) < MIN_REPEAT_CUSTOMERS:
        raise InvalidInput(
            f"fitting spend needs at least {MIN_REPEAT_CUSTOMERS} customers with paid "
            f"repeat purchases; there are {len(repeat)}",
            needed=MIN_REPEAT_CUSTOMERS,
            found=len(repeat),
        )
    x = repeat["frequency"].to_numpy(dtype=float)
    m = repeat["monetary_value"].to_numpy(dtype=float)

    def mean_negative(log_params: Vector) -> float:
        return -float(np.mean(log_likelihood(np.exp(log_params), x, m)))

    fit = maximise(mean_negative, _start(m), PARAMETERS, len(x))
    if fit.estimates[1].value <= 1:
        raise InvalidInput(
            "spend is too dispersed across customers for an expected value "
            f"(q = {fit.estimates[1].value:.2f}, which must exceed 1)"
        )
    return SpendModel(fit, _correlation(x, m))


def _start(monetary_value: Vector) -> tuple[float, float, float]:
    # Moment-like guesses: a few purchases' worth of shape, and a v that puts
    # the population mean spend p * v / (q - 1) at the observed mean.
    p, q = 2.0, 3.0
    return p, q, float(np.mean(monetary_value)) * (q - 1) / p


def _correlation(frequency: Vector, monetary_value: Vector) -> float:
    if np.ptp(frequency) == 0 or np.ptp(monetary_value) == 0:
        return 0.0
    return float(np.corrcoef(frequency, monetary_value)[0, 1])
