"""Funnel conversion from each entrant's step times (milliseconds, NaN if not reached)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from saaslens.analytics.rates import Rate, proportion


@dataclass(frozen=True)
class FunnelStep:
    name: str
    members: int
    from_previous: Rate
    overall: Rate
    median_seconds_from_previous: float | None


def funnel_steps(names: tuple[str, ...], times: pd.DataFrame) -> list[FunnelStep]:
    """Per step: members reaching it, conversion from the step before and from entry.

    `times` holds one row per entrant and one column per step, `step_1`
    onwards; the median time is over the members who reached the step.
    """
    entered = int(times["step_1"].notna().sum())
    steps = []
    before = entered
    for number, name in enumerate(names, start=1):
        reached = times[f"step_{number}"]
        members = int(reached.notna().sum())
        median = None
        if number > 1 and members:
            waits = (reached - times[f"step_{number - 1}"]).dropna() / 1000.0
            median = float(waits.median())
        steps.append(
            FunnelStep(
                name,
                members,
                proportion(members, before, "reached this step / reached the step before"),
                proportion(members, entered, "reached this step / entered the funnel"),
                median,
            )
        )
        before = members
    return steps
