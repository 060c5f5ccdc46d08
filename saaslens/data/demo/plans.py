"""What the demo business sells: per-seat plans, one add-on, and their prices.

Prices are monthly, in minor units of each currency (cents, pence, yen), set
per currency the way a business lists them rather than converted daily. A
plan costs a platform fee plus its seats, and seats past 10, 50 and 250 come
at volume discounts. Both keep a one-seat team and a thousand-seat company
within a few hundredfold of each other, as real price books do; with a plain
price per seat they were ten thousand fold apart, a spread of spend for which
the Gamma-Gamma model has no finite mean, so lifetime values had no answer.
"""

from __future__ import annotations

import numpy as np

from saaslens.data.demo.markets import CURRENCIES
from saaslens.data.demo.timeline import Floats, Ints

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
# monthly platform fee of starter, growth, scale; the add-on has none
PLATFORM_FEES = {
    "USD": (14900, 39900, 129900, 0),
    "EUR": (13900, 36900, 119900, 0),
    "GBP": (11900, 31900, 102900, 0),
    "JPY": (22000, 59000, 195000, 0),
}
PLATFORM_FEE = np.array([PLATFORM_FEES[currency] for currency in CURRENCIES], dtype=np.int64)
# Seats above each bound pay this share of the list price per seat.
TIER_BOUNDS = np.array([0, 10, 50, 250])
TIER_SHARES = np.array([1.0, 0.6, 0.35, 0.2])

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


def priced_seats(quantities: Ints) -> Floats:
    """Seats counted at the share of the list price their volume tier pays."""
    upper = np.append(TIER_BOUNDS[1:], np.iinfo(np.int64).max)
    within = np.clip(quantities[:, np.newaxis] - TIER_BOUNDS, 0, upper - TIER_BOUNDS)
    seats: Floats = within @ TIER_SHARES
    return seats


def mrr(plans: Ints, quantities: Ints, currencies: Ints) -> Ints:
    """Monthly recurring revenue in minor units of each subscription's currency."""
    seats = np.where(plans == ADDON, 1.0, priced_seats(quantities))
    seat_prices = np.round(PRICE[currencies, plans] * seats).astype(np.int64)
    total: Ints = PLATFORM_FEE[currencies, plans] + seat_prices
    return total
