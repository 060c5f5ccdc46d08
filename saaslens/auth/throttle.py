"""Throttling of failed sign-ins per account and per client address.

Failures are rows in the store, so every API process counts the same ones.
Two attempts arriving together may both pass the check, so a burst can go a
few failures past the limit; the next attempt after it is refused.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.auth.users import normalize_email
from saaslens.config import Settings
from saaslens.data.models import SignInFailure
from saaslens.errors import RateLimited


@dataclass(frozen=True)
class Subject:
    """What failures are counted against, and how many the window allows."""

    key: str
    limit: int

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.key.encode("utf-8")).hexdigest()


class Throttle:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.window = timedelta(seconds=settings.throttle_window_seconds)

    def subjects(self, email: str, address: str | None) -> list[Subject]:
        account = Subject(
            f"account:{normalize_email(email)}", self.settings.throttle_account_failures
        )
        if address is None:
            return [account]
        return [account, Subject(f"address:{address}", self.settings.throttle_address_failures)]

    async def wait_for(self, db: AsyncSession, subject: Subject, now: datetime) -> int:
        """Seconds until `subject` may try again; 0 when it may now.

        The limit-th newest failure in the window is the one whose ageing
        out brings the count below the limit.
        """
        query = (
            select(SignInFailure.failed_at)
            .where(SignInFailure.subject == subject.digest)
            .where(SignInFailure.failed_at > now - self.window)
            .order_by(SignInFailure.failed_at.desc())
            .offset(subject.limit - 1)
            .limit(1)
        )
        failed_at = await db.scalar(query)
        if failed_at is None:
            return 0
        return max(1, math.ceil((failed_at + self.window - now).total_seconds()))

    async def check(
        self, db: AsyncSession, email: str, address: str | None, now: datetime
    ) -> None:
        """Raise RateLimited, with the seconds to wait, when either subject is over."""
        waits = [
            await self.wait_for(db, subject, now) for subject in self.subjects(email, address)
        ]
        if max(waits) > 0:
            raise RateLimited(
                f"too many failed sign-ins; try again in {max(waits)} seconds", max(waits)
            )

    async def fail(self, db: AsyncSession, email: str, address: str | None, now: datetime) -> None:
        """Count a failure, forgetting those that have left the window."""
        await db.execute(delete(SignInFailure).where(SignInFailure.failed_at <= now - self.window))
        for subject in self.subjects(email, address):
            db.add(SignInFailure(subject=subject.digest, failed_at=now))
        await db.flush()

    async def forgive(self, db: AsyncSession, email: str) -> None:
        """Clear an account's failures after its owner signed in."""
        account = self.subjects(email, None)[0]
        await db.execute(delete(SignInFailure).where(SignInFailure.subject == account.digest))
