"""Running a statement and receiving its (small, aggregated) rows as a frame."""

from __future__ import annotations

from typing import Any, TypeAlias

import pandas as pd
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

Statement: TypeAlias = Select[*tuple[Any, ...]]


async def fetch_frame(session: AsyncSession, statement: Statement) -> pd.DataFrame:
    result = await session.execute(statement)
    return pd.DataFrame(result.all(), columns=list(result.keys()))
