"""API tokens for scripts and services: JWTs whose id the store can revoke.

The token is shown once, when it is made; the store keeps only its id
(jti), scopes and lifetime. Admins make tokens, and a token stops working
when its maker is disabled or is no longer an admin, as their sessions do.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.auth.roles import Role
from saaslens.config import Settings
from saaslens.data.models import ApiToken, User
from saaslens.data.queries.records import Page
from saaslens.errors import InvalidInput, NotFound

ISSUER = "saaslens"
ALGORITHM = "HS256"


class Scope(StrEnum):
    READ = "read"
    INGEST = "ingest"
    AUTOMATION = "automation"


@dataclass(frozen=True)
class IssuedToken:
    """A new token: `token` is its only copy and goes to the caller once."""

    token: str
    record: ApiToken


@dataclass(frozen=True)
class TokenGrant:
    """What a valid token lets its bearer do, and on whose behalf."""

    user: User
    scopes: frozenset[Scope]
    token_id: str


def looks_like_jwt(credential: str) -> bool:
    """Tell a JWT from a session token, which has no dots."""
    return credential.count(".") == 2


def _check_request(name: str, scopes: Iterable[Scope], days: int) -> frozenset[Scope]:
    if not 1 <= len(name.strip()) <= 200:
        raise InvalidInput("a token name has 1 to 200 characters", field="name")
    if not 1 <= days <= 3650:
        raise InvalidInput("a token lasts 1 to 3650 days", field="days")
    chosen = frozenset(scopes)
    if not chosen:
        raise InvalidInput("a token needs at least one scope", field="scopes")
    return chosen


async def issue_token(
    db: AsyncSession,
    settings: Settings,
    owner: User,
    name: str,
    scopes: Iterable[Scope],
    now: datetime,
    days: int | None = None,
) -> IssuedToken:
    """Record a token for `owner` and sign it; raise InvalidInput for a bad request."""
    lifetime = settings.api_token_days if days is None else days
    chosen = _check_request(name, scopes, lifetime)
    record = ApiToken(
        id=secrets.token_hex(16),
        name=name.strip(),
        user_id=owner.id,
        scopes=" ".join(sorted(chosen)),
        created_at=now,
        expires_at=now + timedelta(days=lifetime),
        revoked_at=None,
    )
    db.add(record)
    await db.flush()
    claims = {
        "iss": ISSUER,
        "sub": owner.id,
        "jti": record.id,
        "scope": record.scopes,
        "iat": int(now.timestamp()),
        "exp": int(record.expires_at.timestamp()),
    }
    secret = settings.secret_key.get_secret_value()
    return IssuedToken(jwt.encode(claims, secret, algorithm=ALGORITHM), record)


def _claims(settings: Settings, token: str) -> dict[str, object] | None:
    try:
        return jwt.decode(
            token,
            settings.secret_key.get_secret_value(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            # Expiry is judged against the injectable clock in verify_token.
            options={"require": ["exp", "iat", "jti", "sub"], "verify_exp": False},
        )
    except jwt.InvalidTokenError:
        return None


async def verify_token(
    db: AsyncSession, settings: Settings, token: str, now: datetime
) -> TokenGrant | None:
    """The grant of a valid token; None when forged, expired, revoked or orphaned."""
    claims = _claims(settings, token)
    if claims is None:
        return None
    token_id, expires_at = claims["jti"], claims["exp"]
    if not isinstance(token_id, str) or not isinstance(expires_at, int):
        return None
    if now >= datetime.fromtimestamp(expires_at, UTC):
        return None
    query = select(ApiToken, User).join(User).where(ApiToken.id == token_id)
    row = (await db.execute(query)).one_or_none()
    if row is None:
        return None
    record, owner = row
    if record.revoked_at is not None or now >= record.expires_at:
        return None
    if claims["sub"] != owner.id:
        return None
    if owner.disabled or owner.role != Role.ADMIN.value:
        return None
    scopes = frozenset(Scope(scope) for scope in record.scopes.split())
    return TokenGrant(owner, scopes, record.id)


async def revoke_token(db: AsyncSession, token_id: str, now: datetime) -> ApiToken:
    """Mark a token revoked; revoking twice keeps the first time."""
    record = await db.get(ApiToken, token_id)
    if record is None:
        raise NotFound(f"no API token has the id {token_id!r}")
    if record.revoked_at is None:
        record.revoked_at = now
        await db.flush()
    return record


async def tokens_page(db: AsyncSession, after_id: str | None, limit: int) -> Page[ApiToken]:
    """Token records in id order after `after_id`, with the count of all of them."""
    query = select(ApiToken).order_by(ApiToken.id).limit(limit)
    if after_id is not None:
        query = query.where(ApiToken.id > after_id)
    rows = (await db.scalars(query)).all()
    total = await db.scalar(select(func.count()).select_from(ApiToken)) or 0
    return Page(rows, total)
