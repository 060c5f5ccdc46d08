"""The lifecycle every analysis shares: validate, build, execute, shape, cache."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Generic, TypeVar

import pandas as pd
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from saaslens.data.queries.frames import Statement, fetch_frame
from saaslens.data.queries.periods import DateRange, Granularity
from saaslens.data.queries.segments import NO_VALUE, Breakdown, Segment
from saaslens.data.state import data_version
from saaslens.services.cache import cache_for

R = TypeVar("R")


@dataclass(frozen=True)
class Scope:
    """What every analysis is asked for: a range, a granularity, a segment, a breakdown."""

    range: DateRange
    granularity: Granularity
    segment: Segment = field(default_factory=Segment)
    breakdown: Breakdown | None = None


def group_value(group: str) -> str | None:
    """The breakdown value shown to users: None for customers without one."""
    return None if group == NO_VALUE else group


class Runner(ABC, Generic[R]):
    """One kind of analysis. Subclasses build statements and shape their frames."""

    kind: ClassVar[str]

    @abstractmethod
    def key(self) -> Hashable:
        """Everything the result depends on besides the data."""

    def validate(self) -> None:
        """Refuse arguments that cannot be answered; raise InvalidInput."""

    async def check(self, session: AsyncSession) -> None:
        """Refuse arguments that only the store can judge; raise InvalidInput."""

    @abstractmethod
    def build(self) -> Mapping[str, Statement]:
        """The statements to run, by name."""

    @abstractmethod
    def shape(self, frames: Mapping[str, pd.DataFrame]) -> R:
        """The result, from each statement's rows."""

    async def run(self, session: AsyncSession) -> R:
        """The result, from the cache or computed once however many ask at a time.

        Only `session`'s engine is used. The version and the checks are read
        on a session of their own, closed before the statements take their
        connections: a request holding one connection while it waits for
        more starves the pool when many requests compute at once.
        """
        self.validate()
        engine: AsyncEngine = session.bind  # type: ignore[assignment]
        cache = cache_for(engine)
        async with AsyncSession(engine) as reading:
            key = (self.kind, self.key(), await data_version(reading))
            cached = cache.get(key)
            if cached is None:
                await self.check(reading)
        if cached is not None:
            return cached  # type: ignore[return-value]
        return await cache.once(key, lambda: self._compute(engine))  # type: ignore[return-value]

    async def _compute(self, engine: AsyncEngine) -> R:
        statements = self.build()
        # Independent statements run on their own connections at once; both
        # stores work on them in parallel, outside the event loop's thread.
        fetched = await asyncio.gather(
            *(_fetch(engine, statement) for statement in statements.values())
        )
        return self.shape(dict(zip(statements, fetched, strict=True)))


async def _fetch(engine: AsyncEngine, statement: Statement) -> pd.DataFrame:
    async with engine.connect() as connection:
        return await fetch_frame(connection, statement)
