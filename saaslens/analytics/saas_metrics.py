"""SaaS metrics per period, derived from a movement table (see movements.py).

Definitions (all money in minor units of the base currency):

- ARR = 12 x MRR at the period's end.
- ARPA = MRR / paying customers at the period's end.
- ASP = new-business MRR / customers won as new business in the period.
- Gross MRR churn = (churned + contraction MRR) / MRR at the period's start.
- Net MRR churn = (churned + contraction - expansion MRR) / MRR at the start;
  negative when the starting customers grew. Reactivated and new MRR come
  from customers who paid nothing at the start, so neither counts.
- NRR = 1 - net MRR churn; GRR = 1 - gross MRR churn.
- Quick ratio = (new + expansion + reactivation) / (contraction + churned).
- LTV = ARPA / the mean customer churn rate of the 6 preceding periods
  (those that began with paying customers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from saaslens.analytics.movements import PeriodMovements
from saaslens.analytics.rates import Rate, complement, proportion, shifted, weighted

LTV_PERIODS = 6


class ChurnFormula(StrEnum):
    """How customer churn is measured over a period.

    PERIOD_START: customers who churned in the period (MRR > 0 at the end of
    the previous period, 0 at the end of this one) over the paying customers
    at the period's start.

    DAILY_SUM: the sum, over the period's days, of that day's churned customers
    over the paying customers at the start of that day. A customer who churns,
    returns and churns again inside one period counts twice, and customers won
    during the period enlarge the later days' bases. The numerator is the sum
    of daily churned customers; the denominator is the base that would give
    the same rate (numerator / rate), or the mean daily base when none churned.
    """

    PERIOD_START = "period_start"
    DAILY_SUM = "daily_sum"


@dataclass(frozen=True)
class Amount:
    """A money value that may be undefined, saying why."""

    value: float | None
    reason: str | None = None


@dataclass(frozen=True)
class SaasPeriod:
    period: int
    mrr: int
    arr: int
    paying_customers: int
    new_customers: int
    churned_customers: int
    customer_churn: Rate
    gross_mrr_churn: Rate
    net_mrr_churn: Rate
    nrr: Rate
    grr: Rate
    arpa: Amount
    asp: Amount
    ltv: Amount
    quick_ratio: Amount


def customer_churn(periods: list[PeriodMovements]) -> dict[int, Rate]:
    """Churned customers over paying customers at each period's start."""
    formula = "churned customers / paying customers at the period's start"
    return {
        row.period: proportion(row.churn_customers, row.paying_start, formula) for row in periods
    }


def daily_customer_churn(
    days: list[PeriodMovements], period_of_day: Callable[[int], int]
) -> dict[int, Rate]:
    """The DAILY_SUM churn of each period, from the movements of its days."""
    formula = "sum over the period's days of churned / paying customers at the day's start"
    by_period: dict[int, list[PeriodMovements]] = {}
    for day in days:
        by_period.setdefault(period_of_day(day.period), []).append(day)
    return {period: _summed_churn(members, formula) for period, members in by_period.items()}


def _summed_churn(days: list[PeriodMovements], formula: str) -> Rate:
    churned = sum(day.churn_customers for day in days)
    rate = sum(day.churn_customers / day.paying_start for day in days if day.paying_start)
    base = churned / rate if rate > 0 else sum(day.paying_start for day in days) / len(days)
    return weighted(churned, base, base, formula)


def saas_periods(
    periods: list[PeriodMovements], churn: dict[int, Rate], first: int
) -> list[SaasPeriod]:
    """Metrics of the periods from `first` on; earlier ones only feed LTV."""
    return [_period(row, churn) for row in periods if row.period >= first]


def _period(row: PeriodMovements, churn: dict[int, Rate]) -> SaasPeriod:
    period = row.period
    gross = weighted(
        int(row.churn + row.contraction),
        int(row.mrr_start),
        int(row.paying_start),
        "(churned + contraction MRR) / MRR at the period's start",
    )
    expansion = int(row.expansion)
    expansion_share = expansion / row.mrr_start if row.mrr_start else 0.0
    net = shifted(
        gross,
        -expansion_share,
        int(row.churn + row.contraction - expansion),
        "(churned + contraction - expansion MRR) / MRR at the period's start",
    )
    return SaasPeriod(
        period=period,
        mrr=int(row.mrr),
        arr=12 * int(row.mrr),
        paying_customers=int(row.paying),
        new_customers=int(row.new_business_customers),
        churned_customers=int(row.churn_customers),
        customer_churn=churn[period],
        gross_mrr_churn=gross,
        net_mrr_churn=net,
        nrr=complement(
            net,
            int(row.mrr_start - row.churn - row.contraction + expansion),
            "(MRR at start - churned - contraction + expansion MRR) / MRR at start",
        ),
        grr=complement(
            gross,
            int(row.mrr_start - row.churn - row.contraction),
            "(MRR at start - churned - contraction MRR) / MRR at start",
        ),
        arpa=_ratio(row.mrr, row.paying, "no paying customers at the period's end"),
        asp=_ratio(
            row.new_business,
            row.new_business_customers,
            "no new customers in the period",
        ),
        ltv=lifetime_value(period, row, churn),
        quick_ratio=_ratio(
            row.new_business + row.expansion + row.reactivation,
            row.contraction + row.churn,
            "no contraction or churn in the period",
        ),
    )


def lifetime_value(period: int, row: PeriodMovements, churn: dict[int, Rate]) -> Amount:
    """ARPA over the mean customer churn rate of the 6 periods before `period`.

    Periods that began without paying customers have no churn rate and are
    left out of the mean rather than counted as zero.
    """
    if row.paying == 0:
        return Amount(None, "no paying customers at the period's end")
    trailing = [churn.get(period - back) for back in range(1, LTV_PERIODS + 1)]
    known = [rate.value for rate in trailing if rate is not None and rate.value is not None]
    if not known:
        return Amount(None, f"no paying customers in the {LTV_PERIODS} periods before")
    mean = sum(known) / len(known)
    if mean == 0:
        return Amount(None, f"no customer churned in the {LTV_PERIODS} periods before")
    return Amount(row.mrr / row.paying / mean)


def _ratio(numerator: float, denominator: float, reason: str) -> Amount:
    if denominator == 0:
        return Amount(None, reason)
    return Amount(float(numerator) / float(denominator))
