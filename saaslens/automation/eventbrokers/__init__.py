"""Brokers that carry execution events to every listener: in one process, or across many."""

from __future__ import annotations

from saaslens.automation.eventbrokers.abc import EventBroker
from saaslens.automation.eventbrokers.local import LocalEventBroker
from saaslens.automation.eventbrokers.postgresql import PostgreSQLEventBroker


def broker_for(database_url: str) -> EventBroker:
    """PostgreSQL reaches every process sharing the store; SQLite has only this one."""
    if database_url.startswith("postgresql"):
        return PostgreSQLEventBroker(database_url)
    return LocalEventBroker()
