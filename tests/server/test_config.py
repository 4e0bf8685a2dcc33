"""Settings read from the environment, and the clear refusals of bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.config import ConfigError, database_url, load_config


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not a url", "DATABASE_URL est mal formée"),
        ("postgresql//missing-colon", "DATABASE_URL est mal formée"),
        ("mysql://u:p@localhost/db", "moteur « mysql » non pris en charge"),
    ],
)
def test_malformed_database_url_is_refused_with_a_clear_message(
    tmp_path: Path, raw: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path, {"DATABASE_URL": raw})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u:p@db:5432/baro", "postgresql+psycopg://u:p@db:5432/baro"),
        ("postgresql://u:p@db/baro", "postgresql+psycopg://u:p@db/baro"),
        ("postgresql+psycopg://u@db/baro", "postgresql+psycopg://u@db/baro"),
    ],
)
def test_postgres_urls_use_psycopg3(tmp_path: Path, raw: str, expected: str) -> None:
    assert database_url(raw, tmp_path) == expected


def test_default_database_is_sqlite_under_instance(tmp_path: Path) -> None:
    assert load_config(tmp_path, {})["SQLALCHEMY_DATABASE_URI"] == (
        f"sqlite:///{tmp_path / 'barometre.sqlite3'}"
    )


def test_production_refuses_to_start_without_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY est obligatoire en production"):
        load_config(tmp_path, {"BAROMETRE_ENV": "production"})


def test_production_cookies_are_secure(tmp_path: Path) -> None:
    config = load_config(tmp_path, {"BAROMETRE_ENV": "production", "SECRET_KEY": "k" * 40})
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["LOG_FORMAT"] == "json"


def test_development_generates_and_keeps_a_secret_key(tmp_path: Path) -> None:
    first = load_config(tmp_path, {})["SECRET_KEY"]
    second = load_config(tmp_path, {})["SECRET_KEY"]
    assert first == second
    assert len(first) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BAROMETRE_ENV": "staging"}, "BAROMETRE_ENV doit valoir"),
        ({"UPLOAD_MAX_MB": "beaucoup"}, "UPLOAD_MAX_MB doit être un nombre entier"),
        ({"SMTP_STARTTLS": "peut-être"}, "SMTP_STARTTLS doit valoir true ou false"),
    ],
)
def test_malformed_settings_are_named(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path, env)
