"""Running a statement and receiving its (small, aggregated) rows as a frame."""

from __future__ import annotations

from typing import Any, TypeAlias

import pandas as pd
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

Statement: TypeAlias = Select[*tuple[Any, ...]]


async def fetch_frame(
    executor: AsyncSession | AsyncConnection, statement: Statement
) -> pd.DataFrame:
    result = await executor.execute(statement)
    # Plain tuples: pandas reads SQLAlchemy's Row objects more than ten times slower.
    return pd.DataFrame([tuple(row) for row in result], columns=list(result.keys()))
