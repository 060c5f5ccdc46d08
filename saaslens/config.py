"""Settings, read from SAASLENS_* environment variables and a `.env` file."""

from __future__ import annotations

import re
import zoneinfo
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "SAASLENS_"
DEVELOPMENT_SECRET_KEY = "development-only-secret-change-me"
MINIMUM_SECRET_KEY_LENGTH = 32


class Profile(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


# What the production profile tightens, unless the variable is set explicitly.
PRODUCTION_DEFAULTS: dict[str, object] = {
    "max_query_depth": 10,
    "max_aliases": 30,
    "max_tokens": 3000,
    "max_query_cost": 25_000,
    "request_timeout_seconds": 20.0,
}


def _check_time_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"expected an IANA time zone such as Europe/Berlin, not {name!r}"
        ) from None
    return name


def _check_currency(code: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError(f"expected a three-letter ISO 4217 code such as USD, not {code!r}")
    return code


def _check_database_url(url: str) -> str:
    if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ValueError(
            "expected a URL starting with sqlite+aiosqlite:// or postgresql+asyncpg://"
        )
    return url


def _check_identifier(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", name):
        raise ValueError(f"expected a SQL table or column name such as user_id, not {name!r}")
    return name


def _check_origin(origin: str) -> str:
    if not re.fullmatch(r"https?://[^/\s]+", origin):
        raise ValueError(
            f"expected an origin such as https://app.example.com (no path), not {origin!r}"
        )
    return origin


TimeZoneName = Annotated[str, AfterValidator(_check_time_zone)]
CurrencyCode = Annotated[str, AfterValidator(_check_currency)]
DatabaseURL = Annotated[str, AfterValidator(_check_database_url)]
Identifier = Annotated[str, AfterValidator(_check_identifier)]
Origin = Annotated[str, AfterValidator(_check_origin)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", frozen=True
    )

    profile: Profile = Profile.DEVELOPMENT
    database_url: DatabaseURL = "sqlite+aiosqlite:///./var/saaslens.db"
    base_currency: CurrencyCode = "USD"
    reporting_time_zone: TimeZoneName = "UTC"
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET_KEY)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    graphiql: bool | None = None
    max_ingest_batch: int = Field(default=5000, ge=1, le=100_000)
    max_page_size: int = Field(default=100, ge=1, le=10_000)
    log_json: bool = False
    max_concurrent_executions: int = Field(default=4, ge=1, le=256)
    max_output_lines: int = Field(default=10_000, ge=1, le=1_000_000)
    execution_poll_seconds: float = Field(default=2.0, gt=0, le=300)
    retry_backoff_seconds: float = Field(default=2.0, ge=0, le=3600)
    max_subscriptions_per_connection: int = Field(default=10, ge=1, le=1000)
    log_level: str = "INFO"
    # What one GraphQL operation may ask for; see docs/operations.md.
    # The development defaults let GraphiQL's introspection query (depth 15,
    # cost about 50,000) through; production turns introspection off.
    max_query_depth: int = Field(default=20, ge=1, le=1000)
    max_aliases: int = Field(default=100, ge=0)
    max_tokens: int = Field(default=10_000, ge=1)
    max_query_cost: int = Field(default=100_000, ge=1)
    request_timeout_seconds: float = Field(default=60.0, gt=0, le=3600)
    introspection: bool | None = None
    # A Bearer token /metrics asks for; without one only loopback clients may scrape.
    metrics_token: SecretStr | None = Field(default=None, min_length=16)
    # The interpreter the subprocess executor runs scripts with; the sandbox
    # users must be able to execute it, so not one under /root.
    sandbox_python: str = "/usr/bin/python3"
    sandbox_image: str = "saaslens-sandbox:latest"
    # A Docker engine URL such as unix:///var/run/docker.sock; None means
    # DOCKER_HOST or the local socket.
    docker_host: str | None = None

    # Browsers send Origin with every POST; cookie-authenticated state changes
    # from origins other than these and the API's own are refused (CSRF).
    allowed_origins: tuple[Origin, ...] = ()
    session_cookie: str = "session"
    api_token_days: int = Field(default=90, ge=1, le=3650)
    throttle_window_seconds: int = Field(default=900, ge=1)
    throttle_account_failures: int = Field(default=5, ge=1)
    throttle_address_failures: int = Field(default=50, ge=1)

    # Lucia v3 compatibility: sessions live in a Lucia application's tables.
    lucia_compat: bool = False
    lucia_cookie: str = "auth_session"
    lucia_user_table: Identifier = "user"
    lucia_user_id_column: Identifier = "id"
    lucia_session_table: Identifier = "session"
    lucia_session_id_column: Identifier = "id"
    lucia_session_user_id_column: Identifier = "user_id"
    lucia_session_expires_column: Identifier = "expires_at"

    @model_validator(mode="before")
    @classmethod
    def _production_defaults(cls, data: object) -> object:
        if not isinstance(data, dict) or data.get("profile") != Profile.PRODUCTION:
            return data
        return PRODUCTION_DEFAULTS | data

    @model_validator(mode="after")
    def _production_secret(self) -> Settings:
        if self.development:
            return self
        secret = self.secret_key.get_secret_value()
        if secret == DEVELOPMENT_SECRET_KEY:
            raise ValueError(
                "SAASLENS_SECRET_KEY must be set in production; the built-in key is public"
            )
        if len(secret) < MINIMUM_SECRET_KEY_LENGTH:
            raise ValueError(
                f"SAASLENS_SECRET_KEY must be at least {MINIMUM_SECRET_KEY_LENGTH} characters"
            )
        return self

    @property
    def development(self) -> bool:
        return self.profile is Profile.DEVELOPMENT

    @property
    def cookie_name(self) -> str:
        """The cookie that carries the session token in the active session scheme."""
        return self.lucia_cookie if self.lucia_compat else self.session_cookie

    @property
    def graphiql_enabled(self) -> bool:
        return self.development if self.graphiql is None else self.graphiql

    @property
    def introspection_enabled(self) -> bool:
        return self.development if self.introspection is None else self.introspection

    @property
    def sqlite_path(self) -> Path | None:
        """The database file when the store is SQLite, otherwise None."""
        prefix = "sqlite+aiosqlite:///"
        if not self.database_url.startswith(prefix):
            return None
        return Path(self.database_url.removeprefix(prefix))


class SettingsError(Exception):
    """A setting is missing or malformed; the message names each variable."""


def describe_errors(error: ValidationError) -> str:
    lines = []
    for problem in error.errors():
        reason = problem["msg"].removeprefix("Value error, ")
        if not problem["loc"]:
            # A rule across settings names its variables in its message.
            lines.append(reason)
            continue
        variable = ENV_PREFIX + "_".join(str(part) for part in problem["loc"]).upper()
        lines.append(f"{variable}: {reason}")
    return "\n".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Read the settings; raise SettingsError naming every bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(describe_errors(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
