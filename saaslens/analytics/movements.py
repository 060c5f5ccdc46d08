"""MRR, paying customers and movement totals per period, from aggregated movements.

The input has one row per period and movement kind (customers, signed MRR
amount), where period `first - 1` sums everything before the range. Running
sums of the amounts give MRR at each period end; of new and reactivated less
churned customers, the number of paying customers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

MOVEMENTS = ("new_business", "expansion", "contraction", "churn", "reactivation")
GAINS = ("new_business", "expansion", "reactivation")
LOSSES = ("contraction", "churn")


@dataclass(frozen=True)
class PeriodMovements:
    """One period: MRR and paying customers at start and end, and each movement's
    amount (positive, minor units) and number of customers."""

    period: int
    mrr_start: int
    mrr: int
    paying_start: int
    paying: int
    new_business: int
    expansion: int
    contraction: int
    churn: int
    reactivation: int
    new_business_customers: int
    expansion_customers: int
    contraction_customers: int
    churn_customers: int
    reactivation_customers: int

    def amount(self, movement: str) -> int:
        return int(getattr(self, movement))

    def customers(self, movement: str) -> int:
        return int(getattr(self, f"{movement}_customers"))


def movement_periods(totals: pd.DataFrame, first: int, last: int) -> list[PeriodMovements]:
    """The periods `first`..`last` of `totals` (columns period, movement, customers, amount)."""
    records: list[dict[str, Any]] = (
        movement_table(totals, first, last).reset_index().to_dict("records")  # type: ignore[assignment]
    )
    return [PeriodMovements(**{key: int(value) for key, value in row.items()}) for row in records]


def movement_table(totals: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    """Per period `first`..`last`: MRR and paying customers at start and end, and
    each movement's amount (positive, minor units) and customer count.

    `totals` has columns period, movement, customers, amount.
    """
    periods = pd.RangeIndex(first - 1, last + 1, name="period")
    amounts = _pivot(totals, "amount", periods)
    counts = _pivot(totals, "customers", periods)
    table = pd.DataFrame(index=periods)
    table["mrr"] = amounts.sum(axis=1).cumsum()
    table["paying"] = (counts["new_business"] + counts["reactivation"] - counts["churn"]).cumsum()
    table["mrr_start"] = table["mrr"].shift(1, fill_value=0)
    table["paying_start"] = table["paying"].shift(1, fill_value=0)
    for movement in MOVEMENTS:
        table[movement] = amounts[movement].abs()
        table[f"{movement}_customers"] = counts[movement]
    return table.iloc[1:]


def _pivot(totals: pd.DataFrame, column: str, periods: pd.RangeIndex) -> pd.DataFrame:
    wide = totals.pivot_table(
        index="period", columns="movement", values=column, aggfunc="sum", fill_value=0
    )
    wide = wide.reindex(index=periods, columns=list(MOVEMENTS), fill_value=0)
    return wide.fillna(0).astype("int64")
