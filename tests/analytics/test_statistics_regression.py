from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from saaslens.analytics.statistics.regression import (
    linear_regression,
    logistic_regression,
    table,
)
from saaslens.errors import InvalidInput

RNG = np.random.default_rng(41)
CUSTOMERS = pd.DataFrame(
    {"seats": RNG.poisson(8, 120).astype(float), "tenure": RNG.gamma(3, 4, 120)}
)
CUSTOMERS["mrr"] = 20 * CUSTOMERS.seats + 2 * CUSTOMERS.tenure + RNG.normal(0, 25, 120)
ODDS = -2 + 0.25 * CUSTOMERS.seats - 0.02 * CUSTOMERS.tenure
CUSTOMERS["churned"] = (RNG.uniform(size=120) < 1 / (1 + np.exp(-ODDS))).astype(int)


def test_linear_regression_equals_statsmodels_and_least_squares() -> None:
    design = sm.add_constant(CUSTOMERS[["seats", "tenure"]])
    fit = sm.OLS(CUSTOMERS.mrr, design).fit()
    solution, *_ = np.linalg.lstsq(design.to_numpy(), CUSTOMERS.mrr.to_numpy(), rcond=None)

    result = linear_regression(CUSTOMERS, "mrr", ["seats", "tenure"])

    assert [c.name for c in result.coefficients] == ["intercept", "seats", "tenure"]
    assert [c.estimate for c in result.coefficients] == pytest.approx(list(solution))
    assert [c.standard_error for c in result.coefficients] == pytest.approx(list(fit.bse))
    assert [c.p_value for c in result.coefficients] == pytest.approx(list(fit.pvalues))
    bounds = fit.conf_int().to_numpy()
    intervals = [(c.interval.low, c.interval.high) for c in result.coefficients]
    assert np.ravel(intervals) == pytest.approx(bounds.ravel())
    assert (result.r_squared, result.adjusted_r_squared) == pytest.approx(
        (fit.rsquared, fit.rsquared_adj)
    )
    assert result.n == 120
    assert result.reading.startswith("Each unit of seats changes the target by 19.49 (p < 0.001)")
    assert result.reading.endswith(f"R² = {fit.rsquared:.2f} over 120 rows.")


def test_logistic_regression_equals_statsmodels_logit() -> None:
    design = sm.add_constant(CUSTOMERS[["seats", "tenure"]])
    fit = sm.Logit(CUSTOMERS.churned, design).fit(disp=0)

    result = logistic_regression(CUSTOMERS, "churned", ["seats", "tenure"])

    assert [c.estimate for c in result.coefficients] == pytest.approx(list(fit.params))
    assert [c.standard_error for c in result.coefficients] == pytest.approx(list(fit.bse))
    assert [c.p_value for c in result.coefficients] == pytest.approx(list(fit.pvalues))
    bounds = fit.conf_int(alpha=0.1).to_numpy()
    narrow = logistic_regression(CUSTOMERS, "churned", ["seats", "tenure"], level=0.9)
    intervals = [(c.interval.low, c.interval.high) for c in narrow.coefficients]
    assert np.ravel(intervals) == pytest.approx(bounds.ravel())
    assert result.pseudo_r_squared == pytest.approx(fit.prsquared)
    assert result.likelihood_ratio_p_value == pytest.approx(fit.llr_pvalue)
    seats = np.exp(fit.params["seats"])
    assert result.reading.startswith(f"Each unit of seats multiplies the odds by {seats:.3f}")


def test_perfect_separation_is_refused() -> None:
    separated = pd.DataFrame({"seats": np.arange(10.0), "churned": [0] * 5 + [1] * 5})

    with pytest.raises(InvalidInput, match="separate the target perfectly"):
        logistic_regression(separated, "churned", ["seats"])


@pytest.mark.parametrize(
    ("fit", "features", "target", "message"),
    [
        (linear_regression, ["plan"], "mrr", "no column named 'plan'"),
        (linear_regression, [], "mrr", "at least one feature"),
        (linear_regression, ["seats", "seats"], "mrr", "distinct features"),
        (logistic_regression, ["tenure"], "seats", "target of 0s and 1s"),
    ],
)
def test_bad_designs_are_refused(
    fit: Callable[[pd.DataFrame, str, list[str]], object],
    features: list[str],
    target: str,
    message: str,
) -> None:
    with pytest.raises(InvalidInput, match=message):
        fit(CUSTOMERS, target, features)


def test_collinear_and_constant_features_are_refused() -> None:
    frame = CUSTOMERS.assign(double=2 * CUSTOMERS.seats, flat=1.0)

    with pytest.raises(InvalidInput, match="not linear combinations"):
        linear_regression(frame, "mrr", ["seats", "double"])
    with pytest.raises(InvalidInput, match="cannot use 'flat': it is constant"):
        linear_regression(frame, "mrr", ["flat"])
    with pytest.raises(InvalidInput, match="at least 4 values; got 3"):
        linear_regression(CUSTOMERS.head(3), "mrr", ["seats", "tenure"])


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(InvalidInput, match="one value per row; mrr has 3, seats has 2"):
        table({"mrr": [1.0, 2.0, 3.0], "seats": [1.0, 2.0]})


def test_columns_of_equal_length_make_the_frame() -> None:
    frame = table({"mrr": [1.0, 2.0, 3.0], "seats": [4.0, 5.0, 6.0]})

    assert frame.to_dict("list") == {"mrr": [1.0, 2.0, 3.0], "seats": [4.0, 5.0, 6.0]}
