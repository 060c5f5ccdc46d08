"""Retention recomputed naively in pandas: member by member, period by period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from tests.metrics.book import Book
from tests.metrics.oracle import local_dates, periods_of

Cell = tuple[str, pd.Period, int]


@dataclass(frozen=True)
class Expected:
    sizes: dict[tuple[str, pd.Period], int]
    retained: dict[Cell, int]


def expected_retention(
    book: Book,
    granularity: str,
    first: date,
    last: date,
    periods: int,
    start: str = "signup",
    unit: str = "customer",
    recurring: bool = False,
    on_or_after: bool = False,
    start_events: set[str] | None = None,
    return_events: set[str] | None = None,
    group_by: str | None = None,
) -> Expected:
    members = ["customer_id"] + (["user_id"] if unit == "user" else [])
    events = pd.DataFrame(book.events)
    events["date"] = local_dates(events["occurred_at"], book.zone)
    events["period"] = periods_of(events["date"], granularity)
    last_date = pd.Timestamp(last)
    if start == "signup":
        customers = pd.DataFrame(book.customers).rename(columns={"id": "customer_id"})
        customers["date"] = local_dates(customers["created_at"], book.zone)
        starts = customers
    elif start == "first_payment":
        starts = pd.DataFrame(book.payments)
        starts = starts[(starts["kind"] == "charge") & (starts["amount"] > 0)].copy()
        starts["date"] = local_dates(starts["occurred_at"], book.zone)
    else:
        named = events["name"].isin(start_events) if start_events else events["name"].notna()
        starts = events[named]
    starts = starts[starts["date"] <= last_date].copy()
    starts["period"] = periods_of(starts["date"], granularity)
    if recurring:
        cohorts = starts[[*members, "period"]].drop_duplicates()
    else:
        cohorts = starts.groupby(members)["period"].min().reset_index()
    low, high = periods_of(pd.DatetimeIndex([first, last]), granularity)
    cohorts = cohorts[(cohorts["period"] >= low) & (cohorts["period"] <= high)]
    groups = _groups(book, group_by)
    active = events[
        (events["date"] >= pd.Timestamp(low.start_time)) & (events["date"] <= last_date)
    ]
    if return_events is not None:
        active = active[active["name"].isin(return_events)]
    sizes: dict[tuple[str, pd.Period], int] = {}
    retained: dict[Cell, int] = {}
    for _, member in cohorts.iterrows():
        group = groups.get(member["customer_id"], "")
        cohort = member["period"]
        sizes[(group, cohort)] = sizes.get((group, cohort), 0) + 1
        mine = active
        for column in members:
            mine = mine[mine[column] == member[column]]
        offsets = {(p - cohort).n for p in mine["period"] if p >= cohort}
        for offset in range(periods):
            hit = max(offsets, default=-1) >= offset if on_or_after else offset in offsets
            if hit:
                key = (group, cohort, offset)
                retained[key] = retained.get(key, 0) + 1
    return Expected(sizes, retained)


def _groups(book: Book, group_by: str | None) -> dict[str, str]:
    if group_by is None:
        return {}
    return {row["id"]: row.get(group_by) or "" for row in book.customers}
