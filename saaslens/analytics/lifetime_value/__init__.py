"""Customer lifetime value: BG/NBD for purchases, Gamma-Gamma for spend."""

from saaslens.analytics.lifetime_value.bgnbd import PurchaseModel, fit_purchases
from saaslens.analytics.lifetime_value.estimation import Estimate, MaximumLikelihood
from saaslens.analytics.lifetime_value.gamma_gamma import SpendModel, fit_spend
from saaslens.analytics.lifetime_value.summary import checked_summary, purchase_summary
from saaslens.analytics.lifetime_value.valuation import CustomerValuation, value_customers

__all__ = [
    "CustomerValuation",
    "Estimate",
    "MaximumLikelihood",
    "PurchaseModel",
    "SpendModel",
    "checked_summary",
    "fit_purchases",
    "fit_spend",
    "purchase_summary",
    "value_customers",
]
