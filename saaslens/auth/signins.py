"""Signing in and out, and changing one's password."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.auth.passwords import decoy_hash, hash_password, is_weak, verify_password
from saaslens.auth.sessions import IssuedSession
from saaslens.auth.throttle import Throttle
from saaslens.auth.users import check_password, find_by_email
from saaslens.auth.viewers import session_scheme
from saaslens.config import Settings
from saaslens.data.models import User

logger = logging.getLogger(__name__)

# The one answer to every failed sign-in, so it never tells which part was wrong.
SIGN_IN_FAILED = "The email or password is incorrect."


@dataclass(frozen=True)
class SignedIn:
    user: User
    session: IssuedSession


async def sign_in(
    db: AsyncSession,
    settings: Settings,
    email: str,
    password: str,
    address: str | None,
    now: datetime,
) -> SignedIn | None:
    """Check the password and start a new session; None when the attempt failed.

    An unknown email, a wrong password and a disabled user fail alike, each
    after one Argon2 verification. A failure is recorded for throttling, so
    commit either way. Raise RateLimited while too many attempts failed.
    """
    throttle = Throttle(settings)
    await throttle.check(db, email, address, now)
    user = await find_by_email(db, email)
    matches = verify_password(decoy_hash() if user is None else user.password_hash, password)
    if user is None or not matches or user.disabled:
        await throttle.fail(db, email, address, now)
        logger.info("sign-in failed from %s", address)
        return None
    if is_weak(user.password_hash):
        user.password_hash = hash_password(password)
    await throttle.forgive(db, email)
    return SignedIn(user, await session_scheme(settings).create(db, user.id, now))


async def sign_out(db: AsyncSession, settings: Settings, token: str) -> None:
    await session_scheme(settings).end(db, token)


async def sign_out_everywhere(db: AsyncSession, settings: Settings, user: User) -> None:
    await session_scheme(settings).end_all(db, user.id)


async def change_password(
    db: AsyncSession,
    settings: Settings,
    user: User,
    current: str,
    new: str,
    address: str | None,
    now: datetime,
) -> IssuedSession | None:
    """Set a new password, end every session of the user and start a fresh one.

    None when `current` is not the password: that failure counts towards
    throttling like a failed sign-in, so someone holding a stolen session
    cannot guess the password either; commit either way. Raise RateLimited
    while throttled, InvalidInput when `new` is unacceptable.
    """
    throttle = Throttle(settings)
    await throttle.check(db, user.email, address, now)
    if not verify_password(user.password_hash, current):
        await throttle.fail(db, user.email, address, now)
        return None
    user.password_hash = hash_password(check_password(new))
    scheme = session_scheme(settings)
    await scheme.end_all(db, user.id)
    return await scheme.create(db, user.id, now)
