"""let the events index by day and user also hold the customer

Queries that count customers per day (active accounts, lifecycle and
retention by users, segments) then read the index alone instead of
looking up each event's row. On a large store the index is rebuilt, which
takes about as long as building it did.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_events_day_user_id_customer_id", "events", ["day", "user_id", "customer_id"]
    )
    op.drop_index("ix_events_day_user_id", table_name="events")


def downgrade() -> None:
    op.create_index("ix_events_day_user_id", "events", ["day", "user_id"])
    op.drop_index("ix_events_day_user_id_customer_id", table_name="events")
