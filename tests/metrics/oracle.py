"""A second, deliberately naive computation of every metric, in plain pandas.

It shares no code with saaslens's analytics or queries: it expands each
subscription into one MRR value per local calendar day, sums per customer,
and reads every metric off those daily values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

FREQUENCIES = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}
MOVEMENTS = ("new_business", "expansion", "contraction", "churn", "reactivation")


def local_dates(moments: pd.Series, zone: str) -> pd.Series:
    return (
        pd.to_datetime(moments, utc=True).dt.tz_convert(zone).dt.tz_localize(None).dt.normalize()
    )


def periods_of(dates: pd.Series | pd.DatetimeIndex, granularity: str) -> pd.PeriodIndex:
    return pd.PeriodIndex(pd.DatetimeIndex(dates).to_period(FREQUENCIES[granularity]))


def wilson(successes: float, n: float) -> tuple[float, float]:
    lower, upper = proportion_confint(successes, n, alpha=0.05, method="wilson")
    return float(lower), float(upper)


@dataclass
class Oracle:
    zone: str
    customers: pd.DataFrame
    changes: pd.DataFrame
    payments: pd.DataFrame
    events: pd.DataFrame

    @classmethod
    def of(cls, book: Any) -> Oracle:
        def frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
            return pd.DataFrame(rows, columns=columns)

        return cls(
            book.zone,
            frame(book.customers, ["id", "country", "segment", "attributes"]),
            frame(
                book.changes,
                ["id", "subscription_id", "customer_id", "plan", "status", "mrr", "effective_at"],
            ),
            frame(book.payments, ["customer_id", "kind", "amount", "occurred_at"]),
            frame(book.events, ["customer_id", "user_id", "name", "occurred_at"]),
        )

    def customers_where(self, **where: Any) -> set[str]:
        chosen = self.customers
        for column in ("country", "segment"):
            if where.get(column) is not None:
                chosen = chosen[chosen[column] == where[column]]
        for key, value in where.get("attributes", {}).items():
            chosen = chosen[[str(doc.get(key)) == value for doc in chosen["attributes"]]]
        return set(chosen["id"])

    # -- MRR ---------------------------------------------------------------

    def daily_mrr(self, last: date, customers: set[str], plan: str | None = None) -> pd.DataFrame:
        """Customer MRR at the end of each local day up to `last` (rows: days)."""
        changes = self.changes[self.changes["customer_id"].isin(customers)].copy()
        days = pd.date_range(date(2023, 1, 1), last, freq="D")
        if changes.empty:
            return pd.DataFrame(index=days)
        changes["date"] = local_dates(changes["effective_at"], self.zone)
        paying = changes["status"].isin(["active", "past_due"])
        if plan is not None:
            paying &= changes["plan"] == plan
        changes["value"] = np.where(paying, changes["mrr"], 0)
        changes = changes.sort_values(["effective_at", "id"])
        last_of_day = changes.groupby(["subscription_id", "date"]).tail(1)
        per_subscription = (
            last_of_day.pivot(index="date", columns="subscription_id", values="value")
            .reindex(days)
            .ffill()
            .fillna(0)
        )
        owner = changes.drop_duplicates("subscription_id").set_index("subscription_id")
        return per_subscription.T.groupby(owner["customer_id"]).sum().T

    def movements(
        self,
        first: date,
        last: date,
        granularity: str,
        customers: set[str],
        plan: str | None = None,
    ) -> pd.DataFrame:
        """One row per period in [first, last]: MRR, paying customers and movements."""
        daily = self.daily_mrr(last, customers, plan)
        periods = periods_of(daily.index, granularity)
        at_end = daily.groupby(periods).last()
        first_paid = {
            customer: periods_of(pd.DatetimeIndex([values[values > 0].index[0]]), granularity)[0]
            for customer, values in daily.items()
            if (values > 0).any()
        }
        wanted = pd.period_range(first, last, freq=FREQUENCIES[granularity])
        rows = []
        for period in wanted:
            before = at_end.loc[period - 1] if period - 1 in at_end.index else at_end.iloc[0] * 0
            after = at_end.loc[period]
            row: dict[str, Any] = {
                "period": period,
                "mrr": int(after.sum()),
                "paying": int((after > 0).sum()),
                "mrr_start": int(before.sum()),
                "paying_start": int((before > 0).sum()),
            }
            for movement in MOVEMENTS:
                row[movement] = 0
                row[f"{movement}_customers"] = 0
            for customer in after.index:
                old, new = before[customer], after[customer]
                if old == new:
                    continue
                if old == 0:
                    kind = "new_business" if first_paid[customer] == period else "reactivation"
                elif new == 0:
                    kind = "churn"
                else:
                    kind = "expansion" if new > old else "contraction"
                row[kind] += abs(int(new - old))
                row[f"{kind}_customers"] += 1
            rows.append(row)
        return pd.DataFrame(rows).set_index("period")

    def daily_churn_sum(
        self, first: date, last: date, granularity: str, customers: set[str]
    ) -> pd.Series:
        """Sum over each period's days of churned / paying customers at the day's start."""
        days = self.movements(first, last, "day", customers)
        rate = days["churn_customers"] / days["paying_start"].replace(0, np.nan)
        return rate.fillna(0).groupby(periods_of(days.index.to_timestamp(), granularity)).sum()

    # -- revenue and trials ------------------------------------------------

    def net_revenue(self, granularity: str, customers: set[str]) -> pd.Series:
        payments = self.payments[self.payments["customer_id"].isin(customers)]
        signed = np.where(payments["kind"] == "charge", payments["amount"], -payments["amount"])
        dates = local_dates(payments["occurred_at"], self.zone)
        return pd.Series(signed, index=periods_of(dates, granularity)).groupby(level=0).sum()

    def trials(self, granularity: str, customers: set[str], last: date) -> pd.DataFrame:
        changes = self.changes[self.changes["customer_id"].isin(customers)].copy()
        changes = changes[local_dates(changes["effective_at"], self.zone) <= pd.Timestamp(last)]
        rows = []
        for _, history in changes.groupby("subscription_id"):
            trial = history[history["status"] == "trialing"]
            if trial.empty:
                continue
            started = trial["effective_at"].min()
            paid = history[history["status"].isin(["active", "past_due"]) & (history["mrr"] > 0)]
            rows.append(
                {
                    "period": periods_of(
                        local_dates(pd.Series([started]), self.zone), granularity
                    )[0],
                    "converted": bool((paid["effective_at"] > started).any()),
                }
            )
        frame = pd.DataFrame(rows, columns=["period", "converted"])
        return frame.groupby("period")["converted"].agg(["count", "sum"])

    # -- engagement ----------------------------------------------------------

    def active_users(self, first: date, last: date, names: set[str] | None = None) -> pd.DataFrame:
        events = self.events.copy()
        if names:
            events = events[events["name"].isin(names)]
        events["date"] = local_dates(events["occurred_at"], self.zone)
        rows = [
            {
                "day": day,
                "dau": _distinct_users(events, day, 1),
                "wau": _distinct_users(events, day, 7),
                "mau": _distinct_users(events, day, 30),
            }
            for day in pd.date_range(first, last, freq="D")
        ]
        return pd.DataFrame(rows).set_index("day")

    def active_day_counts(self, granularity: str) -> dict[pd.Period, dict[int, int]]:
        events = self.events.copy()
        events["date"] = local_dates(events["occurred_at"], self.zone)
        events["period"] = periods_of(events["date"], granularity)
        days = events.groupby(["period", "user_id"])["date"].nunique()
        return {
            period: dict(counts.value_counts().sort_index().items())
            for period, counts in days.groupby(level=0)
        }

    def active_accounts(self, granularity: str) -> pd.Series:
        events = self.events.copy()
        events["period"] = periods_of(local_dates(events["occurred_at"], self.zone), granularity)
        return events.groupby("period")["customer_id"].nunique()


def _distinct_users(events: pd.DataFrame, day: pd.Timestamp, days: int) -> int:
    """Users with an event in the `days` days ending on `day`."""
    start = day - timedelta(days=days - 1)
    mask = (events["date"] >= start) & (events["date"] <= day)
    return int(events.loc[mask, "user_id"].nunique())
