"""Trained prediction models, kept so scoring uses the latest and history stays visible."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from saaslens.data.models.base import AutoId, Base


class LeadModel(Base):
    __tablename__ = "lead_models"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    version: Mapped[int] = mapped_column(unique=True, comment="counts trainings from 1")
    trained_at: Mapped[datetime]
    data_version: Mapped[int] = mapped_column(comment="the store's data version it learnt from")
    algorithm: Mapped[str] = mapped_column(String(64))
    scores: Mapped[dict[str, Any]]
    model: Mapped[bytes] = mapped_column(LargeBinary, comment="the pickled scorer")
    trained_by: Mapped[str | None] = mapped_column(String(64))
