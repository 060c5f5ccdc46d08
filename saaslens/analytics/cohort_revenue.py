"""Net MRR retention per cohort from the cohort's MRR and paying changes per period."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from saaslens.analytics.rates import Rate, proportion, weighted


@dataclass(frozen=True)
class CohortRevenue:
    cohort: int
    customers: int
    starting_mrr: int
    mrr: list[int | None]
    net_retention: list[Rate | None]
    paying_retention: list[Rate | None]


def cohort_revenue(
    changes: pd.DataFrame, cohorts: range, last_period: int, periods: int
) -> list[CohortRevenue]:
    """Each cohort's MRR at the end of the `periods` periods from its own, against the first.

    `changes` holds one group's rows: cohort, period, and the changes in the
    cohort's MRR and in how many of its customers pay, in that period.
    """
    rows = []
    for cohort in cohorts:
        mine = changes[changes["cohort"] == cohort].set_index("period").sort_index()
        mrr = mine["mrr"].astype("int64").cumsum() if len(mine) else pd.Series(dtype="int64")
        paying = mine["paying"].astype("int64").cumsum() if len(mine) else mrr
        start = int(mrr.get(cohort, 0))
        size = int(paying.get(cohort, 0))
        amounts: list[int | None] = []
        net: list[Rate | None] = []
        still: list[Rate | None] = []
        for offset in range(periods):
            period = cohort + offset
            if period > last_period:
                amounts.append(None)
                net.append(None)
                still.append(None)
                continue
            known = mrr[mrr.index <= period]
            amount = int(known.iloc[-1]) if len(known) else 0
            counted = paying[paying.index <= period]
            payers = int(counted.iloc[-1]) if len(counted) else 0
            amounts.append(amount)
            net.append(weighted(amount, start, size, "cohort MRR now / cohort MRR at start"))
            still.append(proportion(payers, size, "cohort customers paying / cohort customers"))
        rows.append(CohortRevenue(cohort, size, start, amounts, net, still))
    return rows
