from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from saaslens.config import Profile, SettingsError, load_settings


def test_defaults_are_a_sqlite_file_under_var_in_development() -> None:
    settings = load_settings()

    assert settings.database_url == "sqlite+aiosqlite:///./var/saaslens.db"
    assert settings.profile is Profile.DEVELOPMENT
    assert settings.graphiql_enabled


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SAASLENS_BASE_CURRENCY=EUR\n")

    assert load_settings().base_currency == "EUR"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SAASLENS_REPORTING_TIME_ZONE", "Mars/Olympus", "IANA time zone"),
        ("SAASLENS_BASE_CURRENCY", "dollars", "ISO 4217"),
        ("SAASLENS_DATABASE_URL", "mysql://x", "postgresql+asyncpg://"),
        ("SAASLENS_PORT", "eighty", "integer"),
        ("SAASLENS_PROFILE", "staging", "development"),
        ("SAASLENS_LUCIA_SESSION_TABLE", "session; drop table users", "SQL table or column"),
        ("SAASLENS_ALLOWED_ORIGINS", '["https://app.example/login"]', "no path"),
    ],
)
def test_a_malformed_setting_names_the_variable_and_what_it_expects(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert variable in str(raised.value)
    assert expected in str(raised.value)


def test_the_command_stops_on_a_bad_setting() -> None:
    environment = os.environ | {"SAASLENS_REPORTING_TIME_ZONE": "Nowhere/Land"}

    finished = subprocess.run(
        [sys.executable, "-m", "saaslens", "db", "upgrade"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert finished.returncode == 2
    assert "SAASLENS_REPORTING_TIME_ZONE" in finished.stderr
    assert not Path("var").exists()


def test_production_will_not_serve_with_the_development_secret_key() -> None:
    environment = {
        name: value for name, value in os.environ.items() if name != "SAASLENS_SECRET_KEY"
    } | {"SAASLENS_PROFILE": "production"}

    finished = subprocess.run(
        [sys.executable, "-m", "saaslens", "serve"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert finished.returncode == 2
    assert "SAASLENS_SECRET_KEY must be set in production" in finished.stderr


def test_allowed_origins_are_a_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "SAASLENS_ALLOWED_ORIGINS", '["https://app.example", "http://localhost:5173"]'
    )

    assert load_settings().allowed_origins == ("https://app.example", "http://localhost:5173")
