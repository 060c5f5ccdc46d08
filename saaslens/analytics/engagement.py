"""Active users per day and per period, from span counts (see data.queries.engagement).

Definitions (PostHog's): DAU counts distinct users with an event that day;
WAU and MAU count distinct users with an event in the 7 and 30 days ending
that day. Stickiness is DAU / MAU. Over a period longer than a day, DAU is
the mean of its days, WAU and MAU are their values on the period's last day,
and stickiness is the sum of its days' DAU over the sum of their MAU.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from saaslens.analytics.rates import Rate, proportion

STICKINESS = "DAU / MAU (users active that day / in the 30 days ending that day)"


@dataclass(frozen=True)
class ActiveUsers:
    period: int
    dau: float
    wau: int
    mau: int
    stickiness: Rate


def daily_active_users(spans: pd.DataFrame, first_day: int, last_day: int) -> pd.DataFrame:
    """DAU, WAU and MAU for each day `first_day`..`last_day`.

    `spans` has columns window, day, users: window 1 rows count users active
    on the day; window w rows count users whose w-day span ends that day. It
    must reach back 29 days before `first_day`.
    """
    days = pd.RangeIndex(int(spans["day"].min()) if len(spans) else first_day, last_day + 1)
    wide = spans.pivot_table(
        index="day", columns="window", values="users", aggfunc="sum", fill_value=0
    ).reindex(index=days, columns=[1, 7, 30], fill_value=0)
    starts = wide[1].astype("int64")
    table = pd.DataFrame(
        {
            "dau": starts,
            "wau": (starts - wide[7]).cumsum().astype("int64"),
            "mau": (starts - wide[30]).cumsum().astype("int64"),
        },
        index=days,
    )
    return table.reindex(pd.RangeIndex(first_day, last_day + 1), fill_value=0)


def active_users_by_period(
    daily: pd.DataFrame, period_of_day: Callable[[int], int]
) -> list[ActiveUsers]:
    """Each period's DAU (mean), WAU and MAU (last day) and stickiness (sums)."""
    periods: dict[int, list[tuple[int, int, int]]] = {}
    for day, dau, wau, mau in daily[["dau", "wau", "mau"]].itertuples():
        periods.setdefault(period_of_day(int(day)), []).append((int(dau), int(wau), int(mau)))
    return [_active_users(period, days) for period, days in periods.items()]


def _active_users(period: int, days: list[tuple[int, int, int]]) -> ActiveUsers:
    total_dau = sum(dau for dau, _, _ in days)
    total_mau = sum(mau for _, _, mau in days)
    return ActiveUsers(
        period=period,
        dau=total_dau / len(days),
        wau=days[-1][1],
        mau=days[-1][2],
        stickiness=proportion(total_dau, total_mau, STICKINESS),
    )


def stickiness_distribution(frame: pd.DataFrame) -> dict[int, list[tuple[int, int]]]:
    """Per period, (active days, users) pairs in increasing active days."""
    result: dict[int, list[tuple[int, int]]] = {}
    ordered = frame.sort_values(["period", "active_days"])
    for period, days, users in ordered[["period", "active_days", "users"]].itertuples(index=False):
        result.setdefault(int(period), []).append((int(days), int(users)))
    return result
