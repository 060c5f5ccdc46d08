"""The lead pipeline: how many leads reach each stage, how long they stay, how many win.

Stages are given in order, the won stage last; a lead that skips a stage
(qualified straight to won) has passed through it. Time in a stage runs
from entering it to entering any later stage, over the leads that moved on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from saaslens.analytics.rates import Rate, proportion

CREATED = "created"
MILLISECONDS_PER_DAY = 86_400_000.0


@dataclass(frozen=True)
class PipelineStage:
    name: str
    leads: int
    from_previous: Rate
    median_days_in_stage: float | None


@dataclass(frozen=True)
class PipelineSummary:
    leads: int
    stages: list[PipelineStage]
    win_rate: Rate
    closed_win_rate: Rate


def stage_times(entries: pd.DataFrame, stages: tuple[str, ...]) -> pd.DataFrame:
    """One row per lead: `created` and the first entry to each stage (NaN if never)."""
    created = entries.groupby("lead_id")["created"].first().astype(float)
    entered = entries.dropna(subset=["stage"]).pivot_table(
        index="lead_id", columns="stage", values="entered", aggfunc="min"
    )
    times = entered.reindex(index=created.index, columns=list(stages)).astype(float)
    times.insert(0, CREATED, created)
    return times


def pipeline_summary(
    entries: pd.DataFrame, ordered: tuple[str, ...], lost: str
) -> PipelineSummary:
    times = stage_times(entries, (*ordered, lost))
    path = [CREATED, *ordered]
    values = times[path].to_numpy()
    # A lead has reached stage k when it entered k or any later stage.
    reached = np.flip(np.logical_or.accumulate(np.flip(~np.isnan(values), axis=1), axis=1), axis=1)
    later = np.flip(np.fmin.accumulate(np.flip(values, axis=1), axis=1), axis=1)
    total = len(times)
    stages = []
    before = total
    for index, name in enumerate(path):
        count = int(reached[:, index].sum())
        median = None
        if index + 1 < len(path):
            stay = later[:, index + 1] - values[:, index]
            stay = stay[~np.isnan(stay)]
            median = float(np.median(stay)) / MILLISECONDS_PER_DAY if len(stay) else None
        rate = proportion(count, before, "reached this stage / reached the stage before")
        stages.append(PipelineStage(name, count, rate, median))
        before = count
    won = int(reached[:, -1].sum())
    closed = won + int((times[lost].notna() & ~reached[:, -1]).sum())
    return PipelineSummary(
        total,
        stages,
        proportion(won, total, "won / leads created"),
        proportion(won, closed, "won / leads won or lost"),
    )
