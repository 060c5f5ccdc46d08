"""People who sign in, their sessions and the API tokens of services."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from saaslens.data.models.base import AutoId, Base


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, comment="lower-cased")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]


class Session(Base):
    """A signed-in session; `id` is the hex SHA-256 of the token the client holds."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime]


class ApiToken(Base):
    """A JWT's record: the token itself is never stored, only its id (jti)."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scopes: Mapped[str] = mapped_column(String(200), comment="space-separated")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class SignInFailure(Base):
    """One failed sign-in, counted to throttle guessing across every API process.

    `subject` is the hex SHA-256 of "account:<email>" or "address:<ip>", so
    mistyped and guessed emails are not kept in clear.
    """

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index(None, "subject", "failed_at"), Index(None, "failed_at"))

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    subject: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime]
