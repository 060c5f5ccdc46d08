"""State of the store itself."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from saaslens.data.models.base import Base


class StoreState(Base):
    """A single row: the data version every ingestion bumps, and the bucket zone.

    `reporting_time_zone` records the zone the `day` and `month` buckets were
    written in, so a changed setting is noticed instead of mixing zones.
    """

    __tablename__ = "store_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    data_version: Mapped[int] = mapped_column(default=0)
    reporting_time_zone: Mapped[str | None] = mapped_column(String(64))
