"""Sessions in the tables of a Lucia v3 application sharing the database.

Lucia v3 keeps the session id itself as the cookie value (`auth_session`)
and stores `expires_at` the way its adapters write it: integer seconds on
SQLite, timestamptz on PostgreSQL. Its rule is ours: 30 days, extended when
fewer than 15 remain. A saaslens user and a Lucia user are one person when
their ids are equal; signing in here adds the Lucia user row if missing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, column, delete, insert, select, table, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import ColumnClause, TableClause

from saaslens.auth.sessions import (
    LIFETIME,
    IssuedSession,
    ValidSession,
    encode_base32,
    expiry_decision,
)
from saaslens.config import Settings
from saaslens.data.models import User


def stored_expiry(moment: datetime, dialect: str) -> int | datetime:
    """`moment` as Lucia's adapter for `dialect` writes expires_at."""
    return int(moment.timestamp()) if dialect == "sqlite" else moment


def read_expiry(value: int | datetime) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromtimestamp(value, UTC)


def generate_session_id() -> str:
    """25 random bytes in lower-case base32, as Lucia v3's own examples make them."""
    return encode_base32(secrets.token_bytes(25))


@dataclass(frozen=True)
class SessionTable:
    """The Lucia session table as one backend's adapter lays it out."""

    table: TableClause
    id: ColumnClause[str]
    user_id: ColumnClause[str]
    expires_at: ColumnClause[Any]


def session_table(settings: Settings, dialect: str) -> SessionTable:
    expires_type = Integer() if dialect == "sqlite" else DateTime(timezone=True)
    layout = table(
        settings.lucia_session_table,
        column(settings.lucia_session_id_column, String()),
        column(settings.lucia_session_user_id_column, String()),
        column(settings.lucia_session_expires_column, expires_type),
    )
    return SessionTable(layout, *layout.c)


class LuciaV3Sessions:
    """The session table a Lucia v3 application owns, under the configured names."""

    def __init__(self, settings: Settings) -> None:
        self.layouts = {
            dialect: session_table(settings, dialect) for dialect in ("sqlite", "postgresql")
        }
        self.users = table(settings.lucia_user_table, column(settings.lucia_user_id_column))
        self.user_id = self.users.c[settings.lucia_user_id_column]

    async def _layout(self, db: AsyncSession) -> tuple[str, SessionTable]:
        dialect = (await db.connection()).dialect.name
        return dialect, self.layouts[dialect]

    async def _ensure_lucia_user(self, db: AsyncSession, user_id: str) -> None:
        found = await db.scalar(select(self.user_id).where(self.user_id == user_id))
        if found is None:
            await db.execute(insert(self.users).values({self.user_id: user_id}))

    async def create(self, db: AsyncSession, user_id: str, now: datetime) -> IssuedSession:
        dialect, sessions = await self._layout(db)
        await self._ensure_lucia_user(db, user_id)
        token = generate_session_id()
        expires_at = now + LIFETIME
        values = {
            sessions.id: token,
            sessions.user_id: user_id,
            sessions.expires_at: stored_expiry(expires_at, dialect),
        }
        await db.execute(insert(sessions.table).values(values))
        return IssuedSession(token=token, expires_at=expires_at)

    async def validate(self, db: AsyncSession, token: str, now: datetime) -> ValidSession | None:
        dialect, sessions = await self._layout(db)
        query = (
            select(sessions.expires_at, User)
            .select_from(sessions.table)
            .join(User, User.id == sessions.user_id)
            .where(sessions.id == token)
        )
        row = (await db.execute(query)).one_or_none()
        if row is None:
            return None
        stored, user = row
        expired, renewed_until = expiry_decision(read_expiry(stored), now)
        if expired or user.disabled:
            await self.end(db, token)
            return None
        if renewed_until is None:
            return ValidSession(user, read_expiry(stored), renewed=False)
        renewal = update(sessions.table).where(sessions.id == token)
        new_expiry = stored_expiry(renewed_until, dialect)
        await db.execute(renewal.values({sessions.expires_at: new_expiry}))
        return ValidSession(user, renewed_until, renewed=True)

    async def end(self, db: AsyncSession, token: str) -> None:
        _, sessions = await self._layout(db)
        await db.execute(delete(sessions.table).where(sessions.id == token))

    async def end_all(self, db: AsyncSession, user_id: str) -> None:
        _, sessions = await self._layout(db)
        await db.execute(delete(sessions.table).where(sessions.user_id == user_id))
