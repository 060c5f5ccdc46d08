"""The store's data version and the time zone its buckets were written in."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.data.models import StoreState
from saaslens.errors import InvalidInput


async def data_version(session: AsyncSession) -> int:
    """The counter every ingestion bumps; caches key their results on it."""
    version = await session.scalar(select(StoreState.data_version).where(StoreState.id == 1))
    return version or 0


async def bump_data_version(session: AsyncSession, zone: str) -> int:
    """Advance the version inside the caller's transaction and return the new one.

    The first ingestion records the reporting time zone; a later one under a
    different zone is refused, because its buckets would not line up.
    """
    statement = (
        select(StoreState.data_version, StoreState.reporting_time_zone)
        .where(StoreState.id == 1)
        .with_for_update()
    )
    state = (await session.execute(statement)).one_or_none()
    if state is None:
        raise LookupError("store_state is empty; run `saaslens db upgrade`")
    if state.reporting_time_zone not in (None, zone):
        raise InvalidInput(
            f"the store's buckets are in {state.reporting_time_zone}, but "
            f"SAASLENS_REPORTING_TIME_ZONE is {zone}; set it back or start a new store"
        )
    # The row is locked until the caller commits, so no other bump comes between.
    version: int = state.data_version + 1
    await session.execute(
        update(StoreState)
        .where(StoreState.id == 1)
        .values(data_version=version, reporting_time_zone=zone)
        .execution_options(synchronize_session=False)
    )
    return version
