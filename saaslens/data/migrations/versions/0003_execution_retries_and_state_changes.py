"""execution retries and state changes

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import saaslens.data.models.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "not_before",
                saaslens.data.models.base.UTCDateTime(timezone=True),
                nullable=True,
                comment="a queued retry waits until then",
            )
        )
        batch_op.add_column(
            sa.Column(
                "state_changes",
                sa.BigInteger(),
                nullable=False,
                server_default="0",
                comment="counts state changes, so a listener can tell old news from new",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_column("state_changes")
        batch_op.drop_column("not_before")
