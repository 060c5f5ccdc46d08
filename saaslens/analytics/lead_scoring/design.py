"""Which columns of the lead feature frame a model reads, and in what form."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

CATEGORICAL = ("source", "campaign", "country", "industry", "furthest_stage")
NUMERIC = ("company_size", "days_in_pipeline", "stage_changes")
MISSING = "(none)"


@dataclass(frozen=True)
class Design:
    categorical: tuple[str, ...]
    numeric: tuple[str, ...]

    @classmethod
    def of(cls, frame: pd.DataFrame) -> Design:
        """The base columns, plus each flattened attribute as numeric or categorical."""
        attributes = sorted(column for column in frame.columns if column.startswith("attr_"))
        numeric = [c for c in attributes if pd.api.types.is_numeric_dtype(frame[c])]
        categorical = [c for c in attributes if c not in numeric]
        return cls(CATEGORICAL + tuple(categorical), NUMERIC + tuple(numeric))

    @property
    def columns(self) -> list[str]:
        return [*self.categorical, *self.numeric]

    def matrix(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The model's input: categories as text, numbers as floats (NaN when missing).

        Company size spans four orders of magnitude, so it enters on a log scale.
        """
        data: dict[str, pd.Series] = {}
        for column in self.categorical:
            values = frame[column] if column in frame else pd.Series(index=frame.index)
            data[column] = values.astype(object).where(values.notna(), MISSING).astype(str)
        for column in self.numeric:
            values = frame[column] if column in frame else pd.Series(index=frame.index)
            data[column] = pd.to_numeric(values, errors="coerce").astype("float64")
        data["company_size"] = np.log1p(data["company_size"])
        return pd.DataFrame(data, index=frame.index)
