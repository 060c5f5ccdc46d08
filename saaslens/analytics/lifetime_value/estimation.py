"""Maximum likelihood for models whose parameters are all positive.

The optimiser works on the logarithms of the parameters, which keeps them
positive without bounds and makes the likelihood surface rounder. Standard
errors come from the inverse of the numerical Hessian of the negative
log-likelihood on that log scale, carried to the natural scale by the delta
method (the standard error of exp(u) is exp(u) times that of u).

Models hand in the mean negative log-likelihood per customer: its size does
not grow with the number of customers, so the optimiser's default
tolerances and finite-difference steps suit every data set size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from statsmodels.tools.numdiff import approx_hess3
from threadpoolctl import threadpool_limits

from saaslens.errors import InvalidInput

Vector = NDArray[np.float64]
NegativeLogLikelihood = Callable[[Vector], float]


@dataclass(frozen=True)
class Estimate:
    name: str
    value: float
    standard_error: float | None


@dataclass(frozen=True)
class MaximumLikelihood:
    estimates: tuple[Estimate, ...]
    log_likelihood: float
    observations: int

    @property
    def values(self) -> Vector:
        return np.array([estimate.value for estimate in self.estimates])


def maximise(
    mean_negative_log_likelihood: NegativeLogLikelihood,
    start: Sequence[float],
    names: Sequence[str],
    observations: int,
) -> MaximumLikelihood:
    """Fit positive parameters from `start` (natural scale) and estimate their errors."""
    # The optimiser's matrices are a few parameters wide; threaded BLAS only
    # adds hand-off costs, which dominate on a busy machine.
    with threadpool_limits(limits=1, user_api="blas"):
        optimum = _optimum(mean_negative_log_likelihood, np.log(np.asarray(start, dtype=float)))
        errors = _log_scale_errors(mean_negative_log_likelihood, optimum, observations)
    values = np.exp(optimum)
    estimates = tuple(
        Estimate(name, float(value), None if error is None else float(value * error))
        for name, value, error in zip(names, values, errors, strict=True)
    )
    log_likelihood = -mean_negative_log_likelihood(optimum) * observations
    return MaximumLikelihood(estimates, log_likelihood, observations)


def _optimum(negative_log_likelihood: NegativeLogLikelihood, start: Vector) -> Vector:
    if not np.isfinite(negative_log_likelihood(start)):
        raise InvalidInput("the model cannot be fitted: its likelihood is not finite")
    result = minimize(negative_log_likelihood, start, method="L-BFGS-B")
    # L-BFGS-B can stop on a kink or a flat ridge when its line search runs
    # out of precision; the simplex method uses no gradients and finishes.
    if not result.success:
        result = minimize(
            negative_log_likelihood,
            result.x,
            method="Nelder-Mead",
            options={"maxiter": 4000, "xatol": 1e-7, "fatol": 1e-9},
        )
    return np.asarray(result.x, dtype=float)


def _log_scale_errors(
    mean_negative_log_likelihood: NegativeLogLikelihood, optimum: Vector, observations: int
) -> list[float | None]:
    hessian = approx_hess3(optimum, mean_negative_log_likelihood) * observations
    try:
        covariance = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return [None] * len(optimum)
    variances = np.diag(covariance)
    return [float(np.sqrt(v)) if np.isfinite(v) and v > 0 else None for v in variances]
