"""Lead pipeline analysis by source or campaign."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import pandas as pd

from saaslens.analytics.pipeline import PipelineSummary, pipeline_summary
from saaslens.data.queries.frames import Statement
from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.data.queries.pipeline import LeadDimension, lead_stage_entries
from saaslens.errors import InvalidInput
from saaslens.services.runner import Runner, group_value

DEFAULT_STAGES = ("qualified", "demo", "proposal", "won")
MAX_STAGES = 20


@dataclass(frozen=True)
class PipelineQuestion:
    """Leads created in `range`; `stages` in order, the won stage last."""

    range: DateRange
    stages: tuple[str, ...] = DEFAULT_STAGES
    lost: str = "lost"
    breakdown: LeadDimension | None = None


@dataclass(frozen=True)
class PipelineSeries:
    group: str | None
    summary: PipelineSummary


class PipelineRunner(Runner[list[PipelineSeries]]):
    kind = "pipeline"

    def __init__(self, question: PipelineQuestion) -> None:
        self.question = question
        self.grid = question.range.grid(Granularity.DAY)

    def key(self) -> Hashable:
        return self.question

    def validate(self) -> None:
        stages = (*self.question.stages, self.question.lost)
        if not 1 <= len(self.question.stages) <= MAX_STAGES:
            raise InvalidInput(f"a pipeline has 1 to {MAX_STAGES} stages")
        if len(set(stages)) != len(stages):
            raise InvalidInput("each pipeline stage, and the lost stage, has its own name")

    def build(self) -> Mapping[str, Statement]:
        question = self.question
        stages = (*question.stages, question.lost)
        return {"entries": lead_stage_entries(self.grid, stages, question.breakdown)}

    def shape(self, frames: Mapping[str, pd.DataFrame]) -> list[PipelineSeries]:
        entries = frames["entries"]
        question = self.question
        groups = sorted(set(entries["grp"])) or [""]
        return [
            PipelineSeries(
                group_value(str(group)),
                pipeline_summary(entries[entries["grp"] == group], question.stages, question.lost),
            )
            for group in groups
        ]
