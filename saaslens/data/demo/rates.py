"""Daily exchange rates: a smooth random walk for every currency and day.

Each currency's value in US dollars drifts by a small daily step that is
pulled back towards its starting level, so the walk wanders for months
without running away; rates into another base currency are ratios of those.
"""

from __future__ import annotations

import numpy as np

from saaslens.data.demo.markets import CURRENCIES
from saaslens.data.demo.tables import Table
from saaslens.data.demo.timeline import Floats, Timeline

# US dollars one unit bought when the span starts, and the daily volatility.
DOLLAR_VALUE = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "JPY": 0.0068}
DAILY_VOLATILITY = {"USD": 0.0, "EUR": 0.0035, "GBP": 0.004, "JPY": 0.0045}
# The share of the distance to the starting level closed each day.
PULL = 0.01
SIGNIFICANT_DIGITS = 6


def dollar_values(rng: np.random.Generator, timeline: Timeline) -> Floats:
    """Dollar value of one unit of each currency (columns) on each day (rows)."""
    level = np.log([DOLLAR_VALUE[c] for c in CURRENCIES])
    volatility = np.array([DAILY_VOLATILITY[c] for c in CURRENCIES])
    steps = rng.normal(size=(len(timeline.days), len(CURRENCIES))) * volatility
    walk = np.empty_like(steps)
    current = level.copy()
    for day, step in enumerate(steps):
        current = current + PULL * (level - current) + step
        walk[day] = current
    return np.exp(walk)  # type: ignore[no-any-return]


def exchange_rates(rng: np.random.Generator, timeline: Timeline, base: str) -> Table:
    """One rate per day and non-base currency: base units one unit bought."""
    values = dollar_values(rng, timeline)
    rates = values / values[:, [CURRENCIES.index(base)]]
    foreign = [i for i, currency in enumerate(CURRENCIES) if currency != base]
    days = timeline.days.astype("datetime64[D]")
    return Table(
        {
            "day": np.repeat(days, len(foreign)),
            "currency": np.tile(np.array(CURRENCIES)[foreign], len(days)),
            "rate": _significant(rates[:, foreign].ravel()),
        }
    )


def _significant(values: Floats) -> Floats:
    """Rates as a bank quotes them, to a few significant digits."""
    decimals = SIGNIFICANT_DIGITS - 1 - np.floor(np.log10(values)).astype(np.int64)
    scale = 10.0 ** decimals.astype(np.float64)
    return np.round(values * scale) / scale
