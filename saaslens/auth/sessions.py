"""Sessions in Lucia's published scheme, kept in the `sessions` table.

The client holds a token of 20 random bytes in lower-case base32; the store
keeps only its hex SHA-256, the session id, so a leaked table opens nothing.
A session lasts 30 days and is extended to 30 again when fewer than 15
remain, which tells the caller to send the cookie again.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import RowMapping, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from saaslens.data.models import Session, User

LIFETIME = timedelta(days=30)
RENEW_WITHIN = timedelta(days=15)

_SESSIONS = Session.__table__
_USERS = User.__table__
# Every request with a session runs this, so it is a Core statement built
# once: building an ORM query and filling the identity map cost more than
# the indexed read itself.
_SESSION_AND_USER = (
    select(_SESSIONS.c.expires_at, *_USERS.c)
    .join_from(_SESSIONS, _USERS, _SESSIONS.c.user_id == _USERS.c.id)
    .where(_SESSIONS.c.id == bindparam("session_id"))
)


@dataclass(frozen=True)
class IssuedSession:
    """A new session: the token goes to the client and is never stored."""

    token: str
    expires_at: datetime


@dataclass(frozen=True)
class ValidSession:
    """A session that passed validation; `renewed` asks for the cookie again."""

    user: User
    expires_at: datetime
    renewed: bool


class SessionScheme(Protocol):
    """Where sessions are kept and how the client's token names one."""

    async def create(self, db: AsyncSession, user_id: str, now: datetime) -> IssuedSession: ...

    async def validate(
        self, db: AsyncSession, token: str, now: datetime
    ) -> ValidSession | None: ...

    async def end(self, db: AsyncSession, token: str) -> None: ...

    async def end_all(self, db: AsyncSession, user_id: str) -> None: ...


def detached_user(columns: RowMapping) -> User:
    """A User from a row holding its columns, as a closed ORM session would leave it."""
    user = User(**{column.key: columns[column.key] for column in _USERS.c})
    make_transient_to_detached(user)
    return user


def encode_base32(data: bytes) -> str:
    """Lower-case base32 without padding, the alphabet Lucia's tokens use."""
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def generate_token() -> str:
    return encode_base32(secrets.token_bytes(20))


def session_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def expiry_decision(expires_at: datetime, now: datetime) -> tuple[bool, datetime | None]:
    """(expired, new expiry or None) under the 30-day and 15-day rule."""
    if now >= expires_at:
        return True, None
    if now >= expires_at - RENEW_WITHIN:
        return False, now + LIFETIME
    return False, None


class LuciaSessions:
    """The scheme of Lucia's current guide, in saaslens's own `sessions` table."""

    async def create(self, db: AsyncSession, user_id: str, now: datetime) -> IssuedSession:
        token = generate_token()
        db.add(
            Session(
                id=session_id(token), user_id=user_id, expires_at=now + LIFETIME, created_at=now
            )
        )
        await db.flush()
        return IssuedSession(token=token, expires_at=now + LIFETIME)

    async def validate(self, db: AsyncSession, token: str, now: datetime) -> ValidSession | None:
        """The session `token` names, if valid; writes only to renew or end it."""
        key = session_id(token)
        connection = await db.connection()
        row = (await connection.execute(_SESSION_AND_USER, {"session_id": key})).one_or_none()
        if row is None:
            return None
        user = detached_user(row._mapping)
        expired, renewed_until = expiry_decision(row.expires_at, now)
        if expired or user.disabled:
            await self.end(db, token)
            return None
        if renewed_until is None:
            return ValidSession(user, row.expires_at, renewed=False)
        renewal = update(Session).where(Session.id == key).values(expires_at=renewed_until)
        await connection.execute(renewal)
        return ValidSession(user, renewed_until, renewed=True)

    async def end(self, db: AsyncSession, token: str) -> None:
        await db.execute(delete(Session).where(Session.id == session_id(token)))

    async def end_all(self, db: AsyncSession, user_id: str) -> None:
        await db.execute(delete(Session).where(Session.user_id == user_id))
