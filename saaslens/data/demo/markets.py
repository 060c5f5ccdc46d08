"""Where the demo business sells: countries, their currencies and clocks."""

from __future__ import annotations

import numpy as np

from saaslens.data.demo.timeline import HOUR, Ints

CURRENCIES = ("USD", "EUR", "GBP", "JPY")

# country: (share of customers, currency, UTC offset in hours of its business day)
COUNTRIES: dict[str, tuple[float, str, int]] = {
    "US": (0.36, "USD", -6),
    "CA": (0.05, "USD", -5),
    "GB": (0.13, "GBP", 0),
    "DE": (0.10, "EUR", 1),
    "FR": (0.07, "EUR", 1),
    "NL": (0.04, "EUR", 1),
    "ES": (0.04, "EUR", 1),
    "IE": (0.02, "EUR", 0),
    "JP": (0.08, "JPY", 9),
    "AU": (0.04, "USD", 10),
    "IN": (0.04, "USD", 5),
    "BR": (0.03, "USD", -3),
}

CODES = np.array(list(COUNTRIES))
SHARES = np.array([share for share, _, _ in COUNTRIES.values()])
CURRENCY_OF = np.array([CURRENCIES.index(currency) for _, currency, _ in COUNTRIES.values()])
UTC_OFFSET = np.array([offset * HOUR for _, _, offset in COUNTRIES.values()], dtype=np.int64)

INDUSTRIES = np.array(
    [
        "software",
        "ecommerce",
        "financial_services",
        "healthcare",
        "education",
        "media",
        "manufacturing",
        "professional_services",
    ]
)
INDUSTRY_SHARES = np.array([0.26, 0.16, 0.12, 0.1, 0.08, 0.08, 0.08, 0.12])


def countries(rng: np.random.Generator, count: int) -> Ints:
    """Indexes into CODES, drawn by each country's share."""
    return rng.choice(len(CODES), size=count, p=SHARES / SHARES.sum())


def industries(rng: np.random.Generator, count: int) -> Ints:
    return rng.choice(len(INDUSTRIES), size=count, p=INDUSTRY_SHARES)
