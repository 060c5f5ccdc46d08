"""How a period is named in results: the text a person reads and sorts by."""

from __future__ import annotations

import pandas as pd


def label(period: object) -> str:
    """ISO-8601 for dates (without a midnight time), else the period's own text."""
    if isinstance(period, pd.Timestamp) and period == period.normalize():
        return period.date().isoformat()
    isoformat = getattr(period, "isoformat", None)
    return str(isoformat()) if callable(isoformat) else str(period)
