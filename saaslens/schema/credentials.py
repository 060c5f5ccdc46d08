"""How a request says who sent it, and the session cookie that carries it.

Browsers hold the session token in an HttpOnly cookie; other clients send
`Authorization: Bearer <token>` with a session token or an API token; a
subscription's socket may instead put the token in connection_init.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.requests import HTTPConnection
from starlette.responses import Response

from saaslens.config import Settings


@dataclass(frozen=True)
class Credential:
    token: str
    by_cookie: bool


class OriginRefused(Exception):
    """A state-changing request a browser may have been tricked into sending."""


def bearer_token(authorization: object) -> str | None:
    if not isinstance(authorization, str):
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def request_credential(connection: HTTPConnection, settings: Settings) -> Credential | None:
    """The Bearer token if one is sent, else the session cookie, else None."""
    token = bearer_token(connection.headers.get("authorization"))
    if token is not None:
        return Credential(token, by_cookie=False)
    cookie = connection.cookies.get(settings.cookie_name)
    return Credential(cookie, by_cookie=True) if cookie else None


def connection_init_credential(payload: object) -> Credential | None:
    """A token from a connection_init payload: `authorization` or `token`."""
    if not isinstance(payload, dict):
        return None
    token = bearer_token(payload.get("authorization") or payload.get("Authorization"))
    if token is None and isinstance(payload.get("token"), str):
        token = payload["token"].strip() or None
    return None if token is None else Credential(token, by_cookie=False)


def own_origin(connection: HTTPConnection) -> str:
    """The origin this request was addressed to, as a page served from here sends it."""
    return f"{connection.url.scheme}://{connection.headers.get('host', '')}".lower()


def check_origin(connection: HTTPConnection, settings: Settings, by_cookie: bool) -> None:
    """Refuse a cookie-carrying request, or a sign-in, from an origin not allowed.

    Browsers attach cookies to requests other sites make them send, but they
    always say which site that was in Origin; scripts using Bearer tokens are
    not exposed, so requests without a cookie pass unless they name a foreign
    origin (which would let another site sign a visitor in). Pages served
    from here, such as GraphiQL, and the allowed origins pass.
    """
    origin = connection.headers.get("origin")
    if origin is None and not by_cookie:
        return
    if origin is None:
        raise OriginRefused(
            "Requests authenticated by the session cookie must carry an Origin header"
        )
    if origin.lower() != own_origin(connection) and origin not in settings.allowed_origins:
        raise OriginRefused(
            f"Origin {origin} is not allowed to change state here; "
            "add it to SAASLENS_ALLOWED_ORIGINS if it is your front end"
        )


def set_session_cookie(
    response: Response, settings: Settings, token: str, expires_at: datetime, now: datetime
) -> None:
    response.set_cookie(
        settings.cookie_name,
        token,
        max_age=max(0, round((expires_at - now).total_seconds())),
        expires=expires_at,
        path="/",
        httponly=True,
        samesite="lax",
        secure=not settings.development,
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        settings.cookie_name,
        path="/",
        httponly=True,
        samesite="lax",
        secure=not settings.development,
    )
