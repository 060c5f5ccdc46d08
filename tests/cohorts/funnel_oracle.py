"""Funnels walked member by member in plain Python over the book's events."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from tests.metrics.book import Book
from tests.metrics.oracle import local_dates


def expected_funnel(
    book: Book,
    steps: tuple[str, ...],
    first: date,
    last: date,
    window_days: int = 14,
    strict: bool = False,
    unit: str = "customer",
    group_by: str | None = None,
) -> dict[str, list[list[datetime]]]:
    """group -> per entrant, the moments it reached each step it reached, in order."""
    events = pd.DataFrame(book.events)
    events["moment"] = pd.to_datetime(events["occurred_at"], utc=True)
    events["date"] = local_dates(events["occurred_at"], book.zone)
    events = events[events["name"].isin(steps)]
    keys = ["customer_id", "user_id"] if unit == "user" else ["customer_id"]
    groups = {row["id"]: row.get(group_by) or "" for row in book.customers} if group_by else {}
    result: dict[str, list[list[datetime]]] = {}
    for key, mine in events.groupby(keys):
        mine = mine.sort_values("moment")
        entries = mine[
            (mine["name"] == steps[0])
            & (mine["date"] >= pd.Timestamp(first))
            & (mine["date"] <= pd.Timestamp(last))
        ]
        if entries.empty:
            continue
        reached = [entries["moment"].iloc[0]]
        deadline = reached[0] + timedelta(days=window_days)
        for step in steps[1:]:
            moments = mine["moment"]
            candidates = moments[
                (mine["name"] == step) & (moments >= reached[-1]) & (moments <= deadline)
            ]
            found = candidates.min() if len(candidates) else None
            if found is not None and strict:
                between = moments[(moments > reached[-1]) & (moments < found)]
                found = None if len(between) else found
            if found is None:
                break
            reached.append(found)
        customer = key[0] if isinstance(key, tuple) else key
        result.setdefault(groups.get(customer, ""), []).append(reached)
    return result
