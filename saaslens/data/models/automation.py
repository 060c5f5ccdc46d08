"""Scripts, their versions and triggers, and the executions that ran them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from saaslens.data.models.base import AutoId, Base


class Script(Base):
    __tablename__ = "scripts"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    executor: Mapped[str] = mapped_column(String(16), default="subprocess")
    timeout_seconds: Mapped[float] = mapped_column(default=60.0)
    memory_mb: Mapped[int] = mapped_column(default=256)
    cpu_seconds: Mapped[int] = mapped_column(default=30)
    max_retries: Mapped[int] = mapped_column(default=0)
    parameters_schema: Mapped[dict[str, Any]] = mapped_column(default=dict)
    template: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]


class ScriptVersion(Base):
    __tablename__ = "script_versions"
    __table_args__ = (UniqueConstraint("script_id", "version"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    script_id: Mapped[int] = mapped_column(ForeignKey("scripts.id"))
    version: Mapped[int]
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(64))


class Schedule(Base):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    script_id: Mapped[int] = mapped_column(ForeignKey("scripts.id"))
    kind: Mapped[str] = mapped_column(String(16), comment="cron or interval")
    cron: Mapped[str | None] = mapped_column(String(200))
    interval_seconds: Mapped[int | None]
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    start_at: Mapped[datetime | None]
    end_at: Mapped[datetime | None]
    paused: Mapped[bool] = mapped_column(default=False)
    misfire_grace_seconds: Mapped[int] = mapped_column(default=300)
    coalesce: Mapped[bool] = mapped_column(default=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    last_run_at: Mapped[datetime | None] = mapped_column(
        comment="the fire time of the newest run, to find runs missed while down"
    )


class AlertRule(Base):
    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str | None] = mapped_column(String(64), comment="none for lead scores")
    granularity: Mapped[str] = mapped_column(String(16), default="month")
    segment_filter: Mapped[dict[str, Any]] = mapped_column(default=dict)
    condition: Mapped[str] = mapped_column(String(32))
    threshold: Mapped[float | None]
    deviations: Mapped[float | None]
    trailing_periods: Mapped[int | None]
    cron: Mapped[str] = mapped_column(String(200), default="*/15 * * * *")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    cooldown_seconds: Mapped[int] = mapped_column(default=3600)
    script_id: Mapped[int | None] = mapped_column(ForeignKey("scripts.id"))
    enabled: Mapped[bool] = mapped_column(default=True)
    last_fired_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Alert(Base):
    """One firing of an alert rule, with the metric snapshot that fired it."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id"), index=True)
    fired_at: Mapped[datetime]
    value: Mapped[float | None]
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)
    execution_id: Mapped[int | None]


class Execution(Base):
    __tablename__ = "executions"
    __table_args__ = (Index(None, "state"), Index(None, "script_id", "queued_at"))

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    script_id: Mapped[int] = mapped_column(ForeignKey("scripts.id"))
    script_version: Mapped[int]
    trigger: Mapped[str] = mapped_column(String(16), comment="manual, schedule or alert")
    state: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(default=1)
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    snapshot: Mapped[dict[str, Any] | None]
    result: Mapped[dict[str, Any] | None]
    exit_code: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str | None] = mapped_column(String(64))
    worker: Mapped[str | None] = mapped_column(String(200), comment="process running it")
    queued_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    output_lines: Mapped[int] = mapped_column(default=0)
    output_truncated: Mapped[bool] = mapped_column(default=False)
    not_before: Mapped[datetime | None] = mapped_column(comment="a queued retry waits until then")
    state_changes: Mapped[int] = mapped_column(
        default=0,
        server_default="0",
        comment="counts state changes, so a listener can tell old news from new",
    )


class ExecutionLog(Base):
    __tablename__ = "execution_logs"
    __table_args__ = (UniqueConstraint("execution_id", "seq"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    execution_id: Mapped[int] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"))
    seq: Mapped[int]
    stream: Mapped[str] = mapped_column(String(8))
    line: Mapped[str] = mapped_column(Text)
    logged_at: Mapped[datetime]
