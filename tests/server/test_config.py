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


@pytest.mark.parametrize(
    ("hops", "seen"),
    [
        (0, "http localhost 127.0.0.1"),  # facing clients: forwarded headers are anyone's lie
        (1, "https barometre.example.fr 203.0.113.9"),  # behind one nginx terminating HTTPS
    ],
)
def test_forwarded_headers_are_trusted_only_behind_the_configured_proxies(
    tmp_path: Path, hops: int, seen: str
) -> None:
    from flask import request

    from server.app import create_app

    app = create_app(
        {
            "ENV_PROFILE": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "TRUSTED_PROXIES": hops,
        }
    )
    app.add_url_rule(
        "/_seen", "seen", lambda: f"{request.scheme} {request.host} {request.remote_addr}"
    )
    answer = app.test_client().get(
        "/_seen",
        headers={
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "barometre.example.fr",
            "X-Forwarded-For": "203.0.113.9",
        },
    )
    assert answer.get_data(as_text=True) == seen


def test_trusted_proxies_is_read_from_the_environment(tmp_path: Path) -> None:
    assert load_config(tmp_path, {})["TRUSTED_PROXIES"] == 0
    assert load_config(tmp_path, {"TRUSTED_PROXIES": "1"})["TRUSTED_PROXIES"] == 1
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES doit être un nombre entier"):
        load_config(tmp_path, {"TRUSTED_PROXIES": "nginx"})
