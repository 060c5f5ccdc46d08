"""Lifetime value models checked against data simulated from the models themselves.

Every likelihood, expectation and probability is recomputed here a second
way: the BG/NBD likelihood with explicit gamma and beta functions rather
than their logarithms, the Gamma-Gamma likelihood as a beta-prime density of
the summed spend and as a numerical integral over the customer's rate, and
the expectations as numerical integrals over a customer's rate and drop-out
probability, and a new customer's expectation against a fresh simulation.
Last, fits and predictions are compared with the `lifetimes` package.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from numpy.typing import NDArray
from scipy import integrate, stats
from scipy.special import beta, gamma, hyp2f1, roots_genlaguerre, roots_jacobi

from saaslens.analytics.lifetime_value import (
    CustomerValuation,
    Estimate,
    PurchaseModel,
    SpendModel,
    fit_purchases,
    fit_spend,
    purchase_summary,
    value_customers,
)
from saaslens.analytics.lifetime_value.bgnbd import log_likelihood as bgnbd_log_likelihood
from saaslens.analytics.lifetime_value.estimation import MaximumLikelihood, maximise
from saaslens.analytics.lifetime_value.gamma_gamma import (
    log_likelihood as gamma_gamma_log_likelihood,
)
from saaslens.errors import InvalidInput

Grid = NDArray[np.float64]
AliveValue = Callable[[Grid, Grid], Grid]
TRUE_PURCHASES = {"r": 0.8, "alpha": 6.0, "a": 0.9, "b": 3.5}
TRUE_SPEND = {"p": 4.0, "q": 5.0, "v": 40.0}
CUSTOMERS = 8000


def simulate_purchases(customers: int, seed: int) -> pd.DataFrame:
    """Purchase summaries drawn from BG/NBD with TRUE_PURCHASES, ages of 20 to 80 weeks."""
    rng = np.random.default_rng(seed)
    rates = rng.gamma(TRUE_PURCHASES["r"], 1 / TRUE_PURCHASES["alpha"], customers)
    leaving = rng.beta(TRUE_PURCHASES["a"], TRUE_PURCHASES["b"], customers)
    ages = rng.uniform(20, 80, customers)
    draws = zip(rates, leaving, ages, strict=True)
    rows = [_one_history(rng, rate, p, age) for rate, p, age in draws]
    frame = pd.DataFrame(rows, columns=["frequency", "recency", "age"])
    frame.index.name = "customer_id"
    return frame


def _one_history(
    rng: np.random.Generator, rate: float, p: float, age: float
) -> tuple[int, float, float]:
    # The first purchase is at time 0; a customer may leave only after a repeat.
    moment, count, last = 0.0, 0, 0.0
    while True:
        moment += rng.exponential(1 / rate)
        if moment > age:
            return count, last, age
        count, last = count + 1, moment
        if rng.random() < p:
            return count, last, age


def with_spend(summary: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Add mean repeat spend drawn from Gamma-Gamma with TRUE_SPEND."""
    rng = np.random.default_rng(seed)
    rates = rng.gamma(TRUE_SPEND["q"], 1 / TRUE_SPEND["v"], len(summary))
    counts = summary["frequency"].to_numpy()
    totals = rng.gamma(np.maximum(counts, 1) * TRUE_SPEND["p"], 1 / rates)
    return summary.assign(monetary_value=np.where(counts > 0, totals / np.maximum(counts, 1), 0))


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return with_spend(simulate_purchases(CUSTOMERS, seed=7), seed=8)


@pytest.fixture(scope="module")
def purchases(customers: pd.DataFrame) -> PurchaseModel:
    return fit_purchases(customers)


@pytest.fixture(scope="module")
def spend(customers: pd.DataFrame) -> SpendModel:
    return fit_spend(customers)


def assert_recovered(estimates: tuple[Estimate, ...], truth: dict[str, float]) -> None:
    for estimate in estimates:
        assert estimate.standard_error is not None, estimate.name
        distance = abs(estimate.value - truth[estimate.name]) / estimate.standard_error
        assert distance < 3, (estimate, truth[estimate.name])


def test_purchase_model_recovers_its_parameters(purchases: PurchaseModel) -> None:
    assert [e.name for e in purchases.fit.estimates] == list(TRUE_PURCHASES)
    assert_recovered(purchases.fit.estimates, TRUE_PURCHASES)


def test_spend_model_recovers_its_parameters(spend: SpendModel) -> None:
    assert [e.name for e in spend.fit.estimates] == list(TRUE_SPEND)
    assert_recovered(spend.fit.estimates, TRUE_SPEND)


def direct_bgnbd_likelihood(
    r: float, alpha: float, a: float, b: float, x: float, t_x: float, age: float
) -> float:
    # Small enough counts and times keep every power and gamma function finite here.
    rate_part = gamma(r + x) * alpha**r / gamma(r)
    alive = beta(a, b + x) / beta(a, b) / (alpha + age) ** (r + x)
    left = beta(a + 1, b + x - 1) / beta(a, b) / (alpha + t_x) ** (r + x) if x > 0 else 0.0
    return float(rate_part * (alive + left))


def test_purchase_log_likelihood_matches_the_direct_formula(
    customers: pd.DataFrame, purchases: PurchaseModel
) -> None:
    values = purchases.fit.values
    direct = sum(
        np.log(direct_bgnbd_likelihood(*values, row.frequency, row.recency, row.age))
        for row in customers.itertuples()
    )
    assert purchases.fit.log_likelihood == pytest.approx(direct, rel=1e-9)
    assert purchases.fit.observations == len(customers)


def test_purchase_optimum_is_a_maximum(customers: pd.DataFrame, purchases: PurchaseModel) -> None:
    x, t_x, age = (customers[c].to_numpy(dtype=float) for c in ("frequency", "recency", "age"))
    best = bgnbd_log_likelihood(purchases.fit.values, x, t_x, age).sum()
    for index in range(4):
        for factor in (0.98, 1.02):
            moved = purchases.fit.values.copy()
            moved[index] *= factor
            assert bgnbd_log_likelihood(moved, x, t_x, age).sum() < best


def test_spend_log_likelihood_matches_the_beta_prime_density(
    customers: pd.DataFrame, spend: SpendModel
) -> None:
    repeat = customers[customers["frequency"] > 0]
    x = repeat["frequency"].to_numpy(dtype=float)
    mean = repeat["monetary_value"].to_numpy()
    p, q, v = spend.fit.values
    # The summed spend x * mean is beta-prime (p x, q) with scale v; mean = sum / x.
    direct = np.sum(stats.betaprime.logpdf(x * mean, p * x, q, scale=v) + np.log(x))
    assert spend.fit.log_likelihood == pytest.approx(direct, rel=1e-9)
    assert spend.fit.observations == len(repeat)


def test_spend_likelihood_matches_an_integral_over_customer_rates(spend: SpendModel) -> None:
    p, q, v = spend.fit.values
    for x, mean in [(1, 30.0), (3, 55.0), (9, 12.5)]:

        def joint(rate: float, x: int = x, mean: float = mean) -> float:
            given_rate = stats.gamma.pdf(mean, p * x, scale=1 / (rate * x))
            return float(given_rate * stats.gamma.pdf(rate, q, scale=1 / v))

        integral, _ = integrate.quad(joint, 0, np.inf, limit=200)
        model = gamma_gamma_log_likelihood(spend.fit.values, np.array([x]), np.array([mean]))
        assert model[0] == pytest.approx(np.log(integral), rel=1e-7)


def posterior_mean(
    model: PurchaseModel, x: int, t_x: float, age: float, alive_value: AliveValue
) -> float:
    """The posterior mean of a value that is zero for a customer who has left.

    Gauss quadrature integrates over the gamma prior of the rate (generalised
    Laguerre nodes) and the beta prior of p (Jacobi nodes); the priors'
    normalising constants cancel in the ratio.
    """
    u, rate_weights = roots_genlaguerre(120, model.r - 1)
    t, p_weights = roots_jacobi(120, model.b - 1, model.a - 1)
    rate, p = np.meshgrid(u / model.alpha, (1 + t) / 2, indexing="ij")
    weights = np.outer(rate_weights, p_weights)
    alive = (1 - p) ** x * rate**x * np.exp(-rate * age)
    left = p * (1 - p) ** (x - 1) * rate**x * np.exp(-rate * t_x) if x > 0 else 0.0
    return float(np.sum(weights * alive * alive_value(rate, p)) / np.sum(weights * (alive + left)))


HISTORIES = [(0, 0.0, 30.0), (2, 10.0, 40.0), (5, 38.0, 40.0), (4, 5.0, 60.0)]


@pytest.mark.parametrize(("x", "t_x", "age"), HISTORIES)
def test_probability_alive_matches_the_posterior_integral(
    purchases: PurchaseModel, x: int, t_x: float, age: float
) -> None:
    alive = posterior_mean(purchases, x, t_x, age, lambda rate, p: np.ones_like(rate))
    model = purchases.probability_alive(np.array([x]), np.array([t_x]), np.array([age]))
    assert model[0] == pytest.approx(alive, rel=1e-8)


@pytest.mark.parametrize(("x", "t_x", "age"), HISTORIES)
def test_expected_purchases_match_the_posterior_integral(
    purchases: PurchaseModel, x: int, t_x: float, age: float
) -> None:
    horizon = 26.0

    def purchases_while_alive(rate: Grid, p: Grid) -> Grid:
        # An alive customer's expected purchases within the horizon, leaving or not.
        return (1 - np.exp(-rate * p * horizon)) / p

    expected = posterior_mean(purchases, x, t_x, age, purchases_while_alive)
    model = purchases.expected_purchases(horizon, np.array([x]), np.array([t_x]), np.array([age]))
    assert model[0] == pytest.approx(expected, rel=1e-8)


def test_a_new_customer_expects_what_the_simulation_shows(purchases: PurchaseModel) -> None:
    fresh = simulate_purchases(4000, seed=11)
    observed = fresh["frequency"].to_numpy()
    ages = fresh["age"].to_numpy()
    model = np.array([purchases.expected_purchases_of_new(age) for age in ages])
    assert model.mean() == pytest.approx(observed.mean(), rel=0.1)
    zero = purchases.expected_purchases(40.0, np.array([0]), np.array([0.0]), np.array([0.0]))
    assert zero[0] == pytest.approx(purchases.expected_purchases_of_new(40.0), rel=1e-10)


def test_expected_spend_shrinks_towards_the_population_mean(spend: SpendModel) -> None:
    p, q, v = spend.p, spend.q, spend.v
    population = p * v / (q - 1)
    x = np.array([0, 1, 4, 20])
    mean = np.array([0.0, 200.0, 200.0, 200.0])
    expected = spend.expected_spend(x, mean)
    weights = p * x / (p * x + q - 1)
    assert expected == pytest.approx((1 - weights) * population + weights * mean, rel=1e-12)
    assert expected[0] == pytest.approx(population)
    assert np.all(np.diff(expected) > 0)


@pytest.fixture(scope="module")
def valuation(customers: pd.DataFrame) -> CustomerValuation:
    return value_customers(customers, horizon_months=6, monthly_discount=0.02, unit_days=7)


def test_lifetime_value_sums_discounted_monthly_purchases_times_spend(
    valuation: CustomerValuation,
) -> None:
    sample = valuation.customers.iloc[:50]
    model = valuation.purchases
    for row in sample.itertuples():
        args = (np.array([row.frequency]), np.array([row.recency]), np.array([row.age]))
        ends = [month * 365.25 / 12 / 7 for month in range(7)]
        cumulative = [0.0] + [model.expected_purchases(t, *args)[0] for t in ends[1:]]
        value = sum(
            (cumulative[m] - cumulative[m - 1]) * row.expected_spend / 1.02**m for m in range(1, 7)
        )
        assert row.lifetime_value == pytest.approx(value, rel=1e-9)
        assert row.expected_purchases == pytest.approx(cumulative[-1], rel=1e-12)


def test_valuation_reports_both_models_and_no_warning_when_independent(
    valuation: CustomerValuation,
) -> None:
    assert valuation.warnings == ()
    assert abs(valuation.spend.frequency_spend_correlation) < 0.3
    customers = valuation.customers
    assert customers["probability_alive"].between(0, 1).all()
    assert (customers["lifetime_value"] >= 0).all()
    assert customers.index.name == "customer_id"


def test_spend_that_grows_with_frequency_is_warned_about(customers: pd.DataFrame) -> None:
    skewed = customers.assign(
        monetary_value=customers["monetary_value"] * (1 + customers["frequency"]) ** 2
    )
    spend = fit_spend(skewed)
    assert spend.frequency_spend_correlation > 0.3
    assert "correlated" in spend.warnings[0]


def test_too_few_repeat_customers_are_refused_with_the_number_needed(
    customers: pd.DataFrame,
) -> None:
    few = pd.concat(
        [
            customers[customers["frequency"] == 0].iloc[:100],
            customers[customers["frequency"] > 0].iloc[:12],
        ]
    )
    with pytest.raises(InvalidInput, match="at least 30 customers") as raised:
        value_customers(few)
    assert raised.value.details == {"needed": 30, "found": 12}


def test_summary_counts_purchase_days_and_means_repeat_spend() -> None:
    purchases = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "c", "c"],
            "occurred_at": pd.to_datetime(
                [
                    "2026-01-01 09:00",
                    "2026-01-01 17:00",
                    "2026-01-15 10:00",
                    "2026-02-12 10:00",
                    "2026-02-01 08:00",
                    "2026-01-08 00:00",
                    "2026-03-05 00:00",
                ],
                utc=True,
            ),
            "amount": [10, 5, 30, 50, 99, 20, 60],
        }
    )
    summary = purchase_summary(purchases, datetime(2026, 3, 12), unit_days=7)
    expected = pd.DataFrame(
        {
            "frequency": [2, 0, 1],
            "recency": [6.0, 0.0, 8.0],
            "age": [10.0, 39 / 7, 9.0],
            "monetary_value": [40.0, 0.0, 60.0],
        },
        index=pd.Index(["a", "b", "c"], name="customer_id"),
    )
    pd.testing.assert_frame_equal(summary, expected)


def test_summary_refuses_purchases_after_the_end_of_observation() -> None:
    purchases = pd.DataFrame(
        {"customer_id": ["a"], "occurred_at": [datetime(2026, 4, 1)], "amount": [5]}
    )
    with pytest.raises(InvalidInput, match="after the end"):
        purchase_summary(purchases, datetime(2026, 3, 1))


def test_summary_with_recency_beyond_age_is_refused(customers: pd.DataFrame) -> None:
    broken = customers.assign(recency=customers["age"] + 1)
    with pytest.raises(InvalidInput, match="recency"):
        value_customers(broken)


def test_fits_and_predictions_agree_with_the_lifetimes_package(
    customers: pd.DataFrame, purchases: PurchaseModel, spend: SpendModel
) -> None:
    # The package sets a pandas option deprecated since pandas 3 when imported.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter, GammaGammaFitter

    x, t_x, age = (customers[c] for c in ("frequency", "recency", "age"))
    theirs = BetaGeoFitter().fit(x, t_x, age)
    for estimate in purchases.fit.estimates:
        assert estimate.value == pytest.approx(theirs.params_[estimate.name], rel=1e-3)
        error = theirs.standard_errors_[estimate.name]
        assert estimate.standard_error == pytest.approx(error, rel=1e-2)
    sample = customers.iloc[:200]
    args = [sample[c].to_numpy(dtype=float) for c in ("frequency", "recency", "age")]
    expected = theirs.conditional_expected_number_of_purchases_up_to_time(26, *args)
    assert purchases.expected_purchases(26.0, *args) == pytest.approx(expected, rel=1e-3)
    alive = theirs.conditional_probability_alive(*args)
    assert purchases.probability_alive(*args) == pytest.approx(alive, rel=1e-3)

    repeat = customers[customers["frequency"] > 0]
    # Its BFGS stops on precision loss with the gradient near 1e-7, just above
    # its default tolerance, under recent SciPy; a looser one lets it finish.
    their_spend = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"], tol=1e-6)
    for estimate in spend.fit.estimates:
        assert estimate.value == pytest.approx(their_spend.params_[estimate.name], rel=1e-3)
        error = their_spend.standard_errors_[estimate.name]
        assert estimate.standard_error == pytest.approx(error, rel=1e-2)


def test_a_kink_that_stops_the_gradient_search_is_finished_by_the_simplex() -> None:
    # L-BFGS-B fails its line search at the kink; the simplex still lands on it.
    def kinked(log_params: NDArray[np.float64]) -> float:
        return float(3 * abs(log_params[0] - 1) + (log_params[1] + 2) ** 2)

    fit = maximise(kinked, [1.0, 1.0], ["x", "y"], observations=10)
    assert fit.values == pytest.approx([np.e, np.exp(-2)], rel=1e-6)
    assert fit.log_likelihood == pytest.approx(0, abs=1e-9)


def test_a_likelihood_that_is_nowhere_finite_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not finite"):
        maximise(lambda log_params: float("inf"), [1.0], ["x"], observations=10)


def test_frequent_buyers_over_long_horizons_keep_finite_expectations(
    purchases: PurchaseModel,
) -> None:
    x, t_x, age = np.array([300.0, 1000.0]), np.array([99.9, 100.0]), np.array([100.0, 100.0])
    horizons = [1.0, 52.0, 520.0, 5200.0]
    expected = np.array([purchases.expected_purchases(h, x, t_x, age) for h in horizons])
    assert np.isfinite(expected).all()
    assert np.all(np.diff(expected, axis=0) > 0)
    # Over one period almost nobody leaves: the posterior mean rate (r + x) / (alpha + age).
    rate = (purchases.r + x) / (purchases.alpha + age)
    assert expected[0] == pytest.approx(rate * purchases.probability_alive(x, t_x, age), rel=0.02)


def test_clockwork_buyers_keep_finite_expectations_where_2f1_fails() -> None:
    """Customers who all buy at one steady rate (monthly billing) send r and alpha into
    the thousands, where scipy's 2F1 answers NaN. The expectation is then checked against
    adaptive quadrature over the drop-out probability's posterior beta, with the gamma of
    rates averaged in closed form, and the probability alive written out directly."""
    r, alpha, a, b = 11776.6, 58246.6, 0.6708, 29.7639
    estimates = tuple(
        Estimate(name, value, None)
        for name, value in zip(("r", "alpha", "a", "b"), (r, alpha, a, b), strict=True)
    )
    model = PurchaseModel(MaximumLikelihood(estimates, 0.0, 500))
    x, t_x, age = (
        np.array([1.0, 5.0, 11.0]),
        np.array([4.0, 21.0, 47.0]),
        np.array([5.0, 22.0, 50.0]),
    )

    for horizon in (4.35, 52.2):
        z = horizon / (alpha + age + horizon)
        assert np.isnan(hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)).all()
        expected = model.expected_purchases(horizon, x, t_x, age)
        for count, last, seen, found in zip(x, t_x, age, expected, strict=True):

            def while_alive(
                p: float, count: float = count, seen: float = seen, horizon: float = horizon
            ) -> float:
                kept = (alpha + seen) / (alpha + seen + p * horizon)
                return float((1 - kept ** (r + count)) / p * stats.beta.pdf(p, a, b + count))

            integral, _ = integrate.quad(while_alive, 0, 1, limit=200, points=[1e-3, 0.1])
            odds_left = a / (b + count - 1) * ((alpha + seen) / (alpha + last)) ** (r + count)
            assert found == pytest.approx(integral / (1 + odds_left), rel=1e-5)
