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

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.data.models import Session, User

LIFETIME = timedelta(days=30)
RENEW_WITHIN = timedelta(days=15)


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
        query = select(Session, User).join(User).where(Session.id == session_id(token))
        row = (await db.execute(query)).one_or_none()
        if row is None:
            return None
        session, user = row
        expired, renewed_until = expiry_decision(session.expires_at, now)
        if expired or user.disabled:
            await db.delete(session)
            return None
        if renewed_until is not None:
            session.expires_at = renewed_until
        return ValidSession(user, session.expires_at, renewed=renewed_until is not None)

    async def end(self, db: AsyncSession, token: str) -> None:
        await db.execute(delete(Session).where(Session.id == session_id(token)))

    async def end_all(self, db: AsyncSession, user_id: str) -> None:
        await db.execute(delete(Session).where(Session.user_id == user_id))
