"""Discounted customer lifetime value from the purchase and spend models.

A customer's value over a horizon of whole months is the sum, month by
month, of the purchases expected in that month times the spend expected per
purchase, each month discounted to today at a monthly rate as if its
revenue arrived at the month's end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from saaslens.analytics.lifetime_value.bgnbd import PurchaseModel, fit_purchases
from saaslens.analytics.lifetime_value.gamma_gamma import SpendModel, fit_spend
from saaslens.analytics.lifetime_value.summary import checked_summary
from saaslens.errors import InvalidInput

MONTH_DAYS = 365.25 / 12


@dataclass(frozen=True)
class CustomerValuation:
    """Both fitted models and, per customer, what they predict over the horizon."""

    purchases: PurchaseModel
    spend: SpendModel
    customers: pd.DataFrame
    horizon_months: int
    monthly_discount: float

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.spend.warnings


def value_customers(
    summary: pd.DataFrame,
    horizon_months: int = 12,
    monthly_discount: float = 0.01,
    unit_days: float = 7.0,
) -> CustomerValuation:
    """Fit both models to a purchase summary and value every customer in it.

    `unit_days` is the length of the summary's time unit, so that months can
    be expressed in it.
    """
    _check_terms(horizon_months, monthly_discount, unit_days)
    frame = checked_summary(summary)
    purchases = fit_purchases(frame)
    spend = fit_spend(frame)
    customers = frame.assign(
        **predictions(purchases, spend, frame, horizon_months, monthly_discount, unit_days)
    )
    return CustomerValuation(purchases, spend, customers, horizon_months, monthly_discount)


def predictions(
    purchases: PurchaseModel,
    spend: SpendModel,
    summary: pd.DataFrame,
    horizon_months: int,
    monthly_discount: float,
    unit_days: float,
) -> dict[str, np.ndarray]:
    """Per customer: probability alive, expected purchases and spend, and discounted value."""
    x = summary["frequency"].to_numpy(dtype=float)
    recency = summary["recency"].to_numpy(dtype=float)
    age = summary["age"].to_numpy(dtype=float)
    months = np.arange(1, horizon_months + 1)
    ends = (months * (MONTH_DAYS / unit_days)).astype(np.float64)
    cumulative = purchases.expected_purchases(
        ends[np.newaxis, :], x[:, np.newaxis], recency[:, np.newaxis], age[:, np.newaxis]
    )
    per_month = np.diff(cumulative, axis=1, prepend=0.0)
    expected_spend = spend.expected_spend(x, summary["monetary_value"].to_numpy(dtype=float))
    discount = (1 + monthly_discount) ** -months.astype(float)
    return {
        "probability_alive": purchases.probability_alive(x, recency, age),
        "expected_purchases": cumulative[:, -1],
        "expected_spend": expected_spend,
        "lifetime_value": per_month @ discount * expected_spend,
    }


def _check_terms(horizon_months: int, monthly_discount: float, unit_days: float) -> None:
    if horizon_months < 1:
        raise InvalidInput("the lifetime value horizon must be at least one month")
    if not 0 <= monthly_discount < 1:
        raise InvalidInput("the monthly discount rate must be at least 0 and below 1")
    if unit_days <= 0:
        raise InvalidInput("the time unit must be a positive number of days")
