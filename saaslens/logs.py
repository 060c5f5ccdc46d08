"""Logging for operators: a request id on every line, plain text or JSON lines."""

from __future__ import annotations

import json
import logging
import secrets
from contextvars import ContextVar
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id: ContextVar[str] = ContextVar("request_id", default="-")
REQUEST_ID_HEADER = "x-request-id"


class RequestTagging:
    """Gives each HTTP request an id: the caller's x-request-id if it is a plain
    word of up to 64 letters and digits, else a new one; echoed in the response.

    Plain ASGI rather than an HTTP middleware function, so the id is still set
    while the response is sent, when uvicorn writes its access log line.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        tag = incoming if incoming.isalnum() and len(incoming) <= 64 else secrets.token_hex(8)

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = tag
            await send(message)

        token = request_id.set(tag)
        try:
            await self.app(scope, receive, tagged)
        finally:
            request_id.reset(token)


PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def logging_config(level: str = "INFO", json_lines: bool = False) -> dict[str, Any]:
    """A dictConfig sending every logger, uvicorn's access log included, to stderr
    through one formatter; uvicorn applies it again in each worker process.
    """
    formatter = {"()": JsonLineFormatter} if json_lines else {"format": PLAIN_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"line": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "filters": ["request_id"],
                "formatter": "line",
            }
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        # Left to propagate, uvicorn's loggers reach the root's handler once.
        "loggers": {
            name: {"handlers": [], "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
