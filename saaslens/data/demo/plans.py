"""What the demo business sells: per-seat plans, one add-on, and their prices.

Prices are monthly, in minor units of each currency (cents, pence, yen), set
per currency the way a business lists them rather than converted daily.
"""

from __future__ import annotations

import numpy as np

from saaslens.data.demo.markets import CURRENCIES
from saaslens.data.demo.timeline import Ints

PLANS = np.array(["starter", "growth", "scale", "insights_addon"])
STARTER, GROWTH, SCALE, ADDON = range(4)

# price per seat and month of starter, growth, scale; the add-on's flat price
PRICES = {
    "USD": (1200, 2900, 5900, 9900),
    "EUR": (1100, 2700, 5500, 9200),
    "GBP": (1000, 2300, 4700, 7900),
    "JPY": (1800, 4400, 8900, 15000),
}
PRICE = np.array([PRICES[currency] for currency in CURRENCIES], dtype=np.int64)

SEGMENTS = np.array(["smb", "mid-market", "enterprise"])
SMB, MID_MARKET, ENTERPRISE = range(3)

# The plan each segment starts on: small teams begin small.
PLAN_MIX = np.array(
    [
        [0.62, 0.33, 0.05],
        [0.22, 0.55, 0.23],
        [0.05, 0.35, 0.60],
    ]
)


def first_plans(rng: np.random.Generator, segments: Ints) -> Ints:
    """A starting plan for each customer, drawn from its segment's mix."""
    cumulative = PLAN_MIX.cumsum(axis=1)[segments]
    draws = rng.random(len(segments))[:, None]
    plans: Ints = (draws > cumulative).sum(axis=1).clip(max=SCALE)
    return plans


def mrr(plans: Ints, quantities: Ints, currencies: Ints) -> Ints:
    """Monthly recurring revenue in minor units of each subscription's currency."""
    return PRICE[currencies, plans] * np.where(plans == ADDON, 1, quantities)
