"""Retention tables from cohort sizes and per-offset counts.

A cell whose period lies after the end of the range has not been observed
yet: it is None, not zero, and the mean curve at that offset leaves its
cohort out rather than counting it as lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from saaslens.analytics.rates import Rate, proportion


@dataclass(frozen=True)
class CohortRetention:
    cohort: int
    members: int
    retained: list[Rate | None]


@dataclass(frozen=True)
class RetentionCurve:
    cohorts: list[CohortRetention]
    mean: list[Rate | None]


def counts_on(rows: pd.DataFrame) -> dict[tuple[int, int], int]:
    """(cohort, offset) -> members active in exactly that offset."""
    return {
        (int(cohort), int(offset)): int(members)
        for cohort, offset, members in rows[["cohort", "offset", "members"]].itertuples(
            index=False
        )
    }


def counts_on_or_after(rows: pd.DataFrame, periods: int) -> dict[tuple[int, int], int]:
    """(cohort, offset) -> members whose last active offset is that one or later."""
    counts: dict[tuple[int, int], int] = {}
    by_cohort: dict[int, dict[int, int]] = {}
    for cohort, last, members in rows[["cohort", "last_offset", "members"]].itertuples(
        index=False
    ):
        by_cohort.setdefault(int(cohort), {})[int(last)] = int(members)
    for cohort, by_last in by_cohort.items():
        later = sum(members for last, members in by_last.items() if last >= periods)
        for offset in range(periods - 1, -1, -1):
            later += by_last.get(offset, 0)
            counts[(cohort, offset)] = later
    return counts


def retention_curve(
    cohorts: range,
    last_period: int,
    periods: int,
    sizes: Mapping[int, int],
    counts: Mapping[tuple[int, int], int],
) -> RetentionCurve:
    """Each cohort's retention over `periods` offsets and their member-weighted mean."""
    rows = []
    for cohort in cohorts:
        members = sizes.get(cohort, 0)
        cells: list[Rate | None] = [
            proportion(counts.get((cohort, offset), 0), members, "retained / cohort members")
            if cohort + offset <= last_period
            else None
            for offset in range(periods)
        ]
        rows.append(CohortRetention(cohort, members, cells))
    mean: list[Rate | None] = []
    for offset in range(periods):
        observed = [row for row in rows if row.retained[offset] is not None]
        if not observed:
            mean.append(None)
            continue
        retained = sum(counts.get((row.cohort, offset), 0) for row in observed)
        members = sum(row.members for row in observed)
        mean.append(proportion(retained, members, "retained / members of observed cohorts"))
    return RetentionCurve(rows, mean)
