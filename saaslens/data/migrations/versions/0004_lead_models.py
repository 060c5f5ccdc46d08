"""lead models

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import saaslens.data.models.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lead_models",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False, comment="counts trainings from 1"),
        sa.Column(
            "trained_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "data_version",
            sa.BigInteger(),
            nullable=False,
            comment="the store's data version it learnt from",
        ),
        sa.Column("algorithm", sa.String(length=64), nullable=False),
        sa.Column(
            "scores",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("model", sa.LargeBinary(), nullable=False, comment="the pickled scorer"),
        sa.Column("trained_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_models")),
        sa.UniqueConstraint("version", name=op.f("uq_lead_models_version")),
    )


def downgrade() -> None:
    op.drop_table("lead_models")
