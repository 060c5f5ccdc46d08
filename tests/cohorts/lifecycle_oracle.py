"""Lifecycle statuses recomputed in pandas from each member's set of active periods."""

from __future__ import annotations

from datetime import date

import pandas as pd

from tests.metrics.book import Book
from tests.metrics.oracle import local_dates, periods_of


def expected_lifecycle(
    book: Book,
    granularity: str,
    first: date,
    last: date,
    unit: str = "customer",
    names: set[str] | None = None,
    group_by: str | None = None,
) -> dict[tuple[str, pd.Period], tuple[int, int, int, int]]:
    """(group, period) -> (new, returning, resurrecting, -dormant)."""
    events = pd.DataFrame(book.events)
    events["date"] = local_dates(events["occurred_at"], book.zone)
    events = events[events["date"] <= pd.Timestamp(last)]
    if names:
        events = events[events["name"].isin(names)]
    events["period"] = periods_of(events["date"], granularity)
    events["member"] = (
        events["customer_id"] + "/" + events["user_id"]
        if unit == "user"
        else events["customer_id"]
    )
    groups = {row["id"]: row.get(group_by) or "" for row in book.customers} if group_by else {}
    events["grp"] = events["customer_id"].map(lambda customer: groups.get(customer, ""))
    low, high = periods_of(pd.DatetimeIndex([first, last]), granularity)
    result = {}
    for group, mine in events.groupby("grp"):
        active = mine.groupby("member")["period"].agg(set)
        first_period = mine.groupby("member")["period"].min()
        period = low
        while period <= high:
            now = {m for m, periods in active.items() if period in periods}
            before = {m for m, periods in active.items() if period - 1 in periods}
            new = {m for m in now if first_period[m] == period}
            returning = now & before
            result[(str(group), period)] = (
                len(new),
                len(returning),
                len(now - new - returning),
                -len(before - now),
            )
            period += 1
    return result
