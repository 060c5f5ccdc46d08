"""People who sign in: their emails, passwords, roles and whether they may."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.auth.passwords import hash_password
from saaslens.auth.roles import Role
from saaslens.auth.sessions import SessionScheme
from saaslens.data.models import User
from saaslens.data.queries.records import Page
from saaslens.errors import InvalidInput

MIN_PASSWORD_LENGTH = 10
# Argon2 accepts any length; the cap keeps one request from costing much.
MAX_PASSWORD_LENGTH = 256
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class EmailTaken(Exception):
    """Another user already has this email, in any letter case."""


class LastAdmin(Exception):
    """The change would leave no enabled admin to manage the others."""


def normalize_email(email: str) -> str:
    """The form emails are stored and compared in: trimmed, lower case."""
    return email.strip().lower()


def check_email(email: str) -> str:
    normalized = normalize_email(email)
    if len(normalized) > 320 or not _EMAIL.fullmatch(normalized):
        raise InvalidInput(f"{email!r} is not an email address", field="email")
    return normalized


def check_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
            field="password",
        )
    return password


def new_user_id() -> str:
    return secrets.token_hex(16)


async def find_by_email(db: AsyncSession, email: str) -> User | None:
    return await db.scalar(select(User).where(User.email == normalize_email(email)))


async def create_user(
    db: AsyncSession,
    email: str,
    password: str,
    role: Role,
    now: datetime,
    user_id: str | None = None,
) -> User:
    """Add a user; raise InvalidInput for a bad email or password, EmailTaken.

    `user_id` links the user to a Lucia application's user of that id.
    """
    if user_id is not None and not 1 <= len(user_id) <= 64:
        raise InvalidInput("a user id has 1 to 64 characters", field="id")
    user = User(
        id=user_id or new_user_id(),
        email=check_email(email),
        password_hash=hash_password(check_password(password)),
        role=role.value,
        disabled=False,
        created_at=now,
    )
    if await find_by_email(db, user.email) is not None:
        raise EmailTaken(user.email)
    db.add(user)
    try:
        await db.flush()
    except IntegrityError:
        # Another request added the same email between the check and the insert.
        raise EmailTaken(user.email) from None
    return user


async def enabled_admins(db: AsyncSession) -> int:
    query = select(func.count()).where(User.role == Role.ADMIN.value, User.disabled.is_(False))
    return await db.scalar(query) or 0


async def _ensure_other_admin(db: AsyncSession, user: User) -> None:
    if user.role == Role.ADMIN.value and not user.disabled and await enabled_admins(db) <= 1:
        raise LastAdmin(user.email)


async def change_role(db: AsyncSession, scheme: SessionScheme, user: User, role: Role) -> None:
    """Give `user` a role and end their sessions, so none outlives the old role.

    Raise LastAdmin rather than demote the only enabled admin.
    """
    if role is not Role.ADMIN:
        await _ensure_other_admin(db, user)
    user.role = role.value
    await scheme.end_all(db, user.id)
    await db.flush()


async def disable_user(db: AsyncSession, scheme: SessionScheme, user: User) -> None:
    """Stop `user` signing in and end their sessions; raise LastAdmin for the only admin."""
    await _ensure_other_admin(db, user)
    user.disabled = True
    await scheme.end_all(db, user.id)
    await db.flush()


async def users_page(db: AsyncSession, after_email: str | None, limit: int) -> Page[User]:
    """Users in email order after `after_email`, with the count of all users."""
    query = select(User).order_by(User.email).limit(limit)
    if after_email is not None:
        query = query.where(User.email > after_email)
    rows = (await db.scalars(query)).all()
    total = await db.scalar(select(func.count()).select_from(User)) or 0
    return Page(rows, total)
