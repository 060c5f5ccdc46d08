"""the initial store

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import saaslens.data.models.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("segment", sa.String(length=100), nullable=True),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "created_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("day", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.BigInteger(), nullable=False),
        sa.Column("fingerprint", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_country"), ["country"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_month"), ["month"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_segment"), ["segment"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "occurred_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("day", sa.BigInteger(), nullable=False),
        sa.Column(
            "properties",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("fingerprint", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_customer_id_day"), ["customer_id", "day"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_events_day_user_id"), ["day", "user_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_events_name_day"), ["name", "day"], unique=False)

    op.create_table(
        "exchange_rates",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("fingerprint", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "currency", name=op.f("pk_exchange_rates")),
    )
    op.create_table(
        "leads",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("campaign", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("company_size", sa.BigInteger(), nullable=True),
        sa.Column("industry", sa.String(length=100), nullable=True),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "stage",
            sa.String(length=50),
            nullable=False,
            comment="latest stage, kept at ingestion",
        ),
        sa.Column("converted_customer_id", sa.String(length=128), nullable=True),
        sa.Column(
            "value", sa.BigInteger(), nullable=True, comment="minor units of the base currency"
        ),
        sa.Column("original_value", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column(
            "created_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("day", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.BigInteger(), nullable=False),
        sa.Column("fingerprint", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_leads_source_campaign"), ["source", "campaign"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_leads_stage"), ["stage"], unique=False)

    op.create_table(
        "scripts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("executor", sa.String(length=16), nullable=False),
        sa.Column("timeout_seconds", sa.Double(), nullable=False),
        sa.Column("memory_mb", sa.BigInteger(), nullable=False),
        sa.Column("cpu_seconds", sa.BigInteger(), nullable=False),
        sa.Column("max_retries", sa.BigInteger(), nullable=False),
        sa.Column(
            "parameters_schema",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("template", sa.String(length=100), nullable=True),
        sa.Column(
            "created_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "deleted_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scripts")),
    )
    op.create_table(
        "store_state",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("data_version", sa.BigInteger(), nullable=False),
        sa.Column("reporting_time_zone", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_state")),
    )
    op.bulk_insert(
        sa.table("store_state", sa.column("id"), sa.column("data_version")),
        [{"id": 1, "data_version": 0}],
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False, comment="lower-cased"),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("granularity", sa.String(length=16), nullable=False),
        sa.Column(
            "segment_filter",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("condition", sa.String(length=32), nullable=False),
        sa.Column("threshold", sa.Double(), nullable=True),
        sa.Column("deviations", sa.Double(), nullable=True),
        sa.Column("trailing_periods", sa.BigInteger(), nullable=True),
        sa.Column("cron", sa.String(length=200), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("cooldown_seconds", sa.BigInteger(), nullable=False),
        sa.Column(
            "script_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "last_fired_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "created_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["script_id"], ["scripts.id"], name=op.f("fk_alert_rules_script_id_scripts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False, comment="space-separated"),
        sa.Column(
            "created_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "revoked_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
    )
    op.create_table(
        "executions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "script_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("script_version", sa.BigInteger(), nullable=False),
        sa.Column(
            "trigger", sa.String(length=16), nullable=False, comment="manual, schedule or alert"
        ),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.BigInteger(), nullable=False),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "snapshot",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("exit_code", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(length=64), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=True, comment="process running it"),
        sa.Column(
            "queued_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "started_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "finished_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("output_lines", sa.BigInteger(), nullable=False),
        sa.Column("output_truncated", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["script_id"], ["scripts.id"], name=op.f("fk_executions_script_id_scripts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_executions")),
    )
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_executions_script_id_queued_at"),
            ["script_id", "queued_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_executions_state"), ["state"], unique=False)

    op.create_table(
        "lead_stage_changes",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("lead_id", sa.String(length=128), nullable=False),
        sa.Column("stage", sa.String(length=50), nullable=False),
        sa.Column(
            "occurred_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("day", sa.BigInteger(), nullable=False),
        sa.Column("fingerprint", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_stage_changes_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_stage_changes")),
    )
    with op.batch_alter_table("lead_stage_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lead_stage_changes_lead_id_occurred_at"),
            ["lead_id", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "payments",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column(
            "amount", sa.BigInteger(), nullable=False, comment="minor units of the base currency"
        ),
        sa.Column("original_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "occurred_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("day", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.BigInteger(), nullable=False),
        sa.Column("fingerprint", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_payments_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payments_customer_id_occurred_at"),
            ["customer_id", "occurred_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_payments_day"), ["day"], unique=False)

    op.create_table(
        "schedules",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "script_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=16), nullable=False, comment="cron or interval"),
        sa.Column("cron", sa.String(length=200), nullable=True),
        sa.Column("interval_seconds", sa.BigInteger(), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("start_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("misfire_grace_seconds", sa.BigInteger(), nullable=False),
        sa.Column("coalesce", sa.Boolean(), nullable=False),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "created_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["script_id"], ["scripts.id"], name=op.f("fk_schedules_script_id_scripts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
    )
    op.create_table(
        "script_versions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "script_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column(
            "created_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["script_id"], ["scripts.id"], name=op.f("fk_script_versions_script_id_scripts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_script_versions")),
        sa.UniqueConstraint(
            "script_id", "version", name=op.f("uq_script_versions_script_id_version")
        ),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column(
            "expires_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "created_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "subscription_changes",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("subscription_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("plan", sa.String(length=100), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "mrr", sa.BigInteger(), nullable=False, comment="minor units of the base currency"
        ),
        sa.Column("original_mrr", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "effective_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("day", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.BigInteger(), nullable=False),
        sa.Column("fingerprint", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_subscription_changes_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_changes")),
    )
    with op.batch_alter_table("subscription_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscription_changes_customer_id_effective_at"),
            ["customer_id", "effective_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_subscription_changes_day"), ["day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_subscription_changes_subscription_id_effective_at"),
            ["subscription_id", "effective_at"],
            unique=False,
        )

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("plan", sa.String(length=100), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mrr", sa.BigInteger(), nullable=False),
        sa.Column("original_mrr", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "started_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("change_count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_subscriptions_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscriptions_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_subscriptions_status"), ["status"], unique=False)

    op.create_table(
        "alerts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rule_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "fired_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column(
            "snapshot",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("execution_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["alert_rules.id"], name=op.f("fk_alerts_rule_id_alert_rules")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_rule_id"), ["rule_id"], unique=False)

    op.create_table(
        "execution_logs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "execution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("stream", sa.String(length=8), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column(
            "logged_at", saaslens.data.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_execution_logs_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_execution_logs")),
        sa.UniqueConstraint(
            "execution_id", "seq", name=op.f("uq_execution_logs_execution_id_seq")
        ),
    )


def downgrade() -> None:

    op.drop_table("execution_logs")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_rule_id"))

    op.drop_table("alerts")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriptions_status"))
        batch_op.drop_index(batch_op.f("ix_subscriptions_customer_id"))

    op.drop_table("subscriptions")
    with op.batch_alter_table("subscription_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_changes_subscription_id_effective_at"))
        batch_op.drop_index(batch_op.f("ix_subscription_changes_day"))
        batch_op.drop_index(batch_op.f("ix_subscription_changes_customer_id_effective_at"))

    op.drop_table("subscription_changes")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_user_id"))

    op.drop_table("sessions")
    op.drop_table("script_versions")
    op.drop_table("schedules")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_day"))
        batch_op.drop_index(batch_op.f("ix_payments_customer_id_occurred_at"))

    op.drop_table("payments")
    with op.batch_alter_table("lead_stage_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_stage_changes_lead_id_occurred_at"))

    op.drop_table("lead_stage_changes")
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_executions_state"))
        batch_op.drop_index(batch_op.f("ix_executions_script_id_queued_at"))

    op.drop_table("executions")
    op.drop_table("api_tokens")
    op.drop_table("alert_rules")
    op.drop_table("users")
    op.drop_table("store_state")
    op.drop_table("scripts")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_stage"))
        batch_op.drop_index(batch_op.f("ix_leads_source_campaign"))

    op.drop_table("leads")
    op.drop_table("exchange_rates")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_name_day"))
        batch_op.drop_index(batch_op.f("ix_events_day_user_id"))
        batch_op.drop_index(batch_op.f("ix_events_customer_id_day"))

    op.drop_table("events")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_segment"))
        batch_op.drop_index(batch_op.f("ix_customers_month"))
        batch_op.drop_index(batch_op.f("ix_customers_country"))

    op.drop_table("customers")
