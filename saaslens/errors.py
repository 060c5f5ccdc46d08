"""Errors whose message is safe to show the person who caused them.

Every layer raises these; the GraphQL layer turns them into errors carrying
`extensions.code`, and masks every other exception as INTERNAL.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"
    RATE_LIMITED = "RATE_LIMITED"
    TIMEOUT = "TIMEOUT"
    DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
    INTERNAL = "INTERNAL"


class UserFacingError(Exception):
    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(UserFacingError, ValueError):
    code = ErrorCode.BAD_USER_INPUT


class NotFound(UserFacingError, LookupError):
    code = ErrorCode.NOT_FOUND


class Unauthenticated(UserFacingError, PermissionError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(UserFacingError, PermissionError):
    code = ErrorCode.FORBIDDEN


class RateLimited(UserFacingError):
    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retryAfter=retry_after)
        self.retry_after = retry_after


class DatabaseUnavailable(UserFacingError, ConnectionError):
    """The database cannot be reached or refuses the work; the request may be retried.

    A ConnectionError too, so the loops that wait for the store to come back
    treat a refused connection the same however it was raised.
    """

    code = ErrorCode.DATABASE_UNAVAILABLE
