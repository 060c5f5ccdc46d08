"""let alert rules watch lead scores, which have no metric

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.alter_column(
            "metric",
            existing_type=sa.String(length=64),
            nullable=True,
            comment="none for lead scores",
        )


def downgrade() -> None:
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.alter_column(
            "metric",
            existing_type=sa.String(length=64),
            nullable=False,
            comment=None,
            existing_comment="none for lead scores",
        )
