"""Settings, read once from the environment through small named parsers.

Three profiles: development (the default; a secret key is generated and kept under
``instance/``), testing, and production (refuses to start without ``SECRET_KEY`` and
serves cookies over HTTPS only).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PROFILES = ("development", "testing", "production")


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def env_str(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = env.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env_str(env, name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} doit être un nombre entier (reçu : {raw!r}).") from None


def env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env_str(env, name)
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "oui", "on"}:
        return True
    if lowered in {"0", "false", "no", "non", "off"}:
        return False
    raise ConfigError(f"{name} doit valoir true ou false (reçu : {raw!r}).")


def database_url(raw: str | None, instance_path: Path) -> str:
    """Check ``DATABASE_URL`` and normalise it for SQLAlchemy.

    ``postgres://`` and ``postgresql://`` (as hosting platforms write them) are mapped to the
    psycopg 3 driver, the only PostgreSQL driver we install.
    """
    if raw is None:
        return f"sqlite:///{instance_path / 'barometre.sqlite3'}"
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            "DATABASE_URL est mal formée : attendu par exemple "
            "postgresql://utilisateur:motdepasse@hôte:5432/base ou sqlite:///chemin/base.sqlite3."
        ) from None
    backend = url.get_backend_name()
    if backend == "postgres" or (backend == "postgresql" and url.drivername == "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    elif backend not in {"postgresql", "sqlite"}:
        raise ConfigError(
            f"DATABASE_URL : moteur « {backend} » non pris en charge (SQLite ou PostgreSQL)."
        )
    return url.render_as_string(hide_password=False)


def secret_key(env: Mapping[str, str], profile: str, instance_path: Path) -> str:
    """Production needs an explicit key; development keeps a generated one across restarts."""
    key = env_str(env, "SECRET_KEY")
    if key:
        return key
    if profile == "production":
        raise ConfigError(
            "SECRET_KEY est obligatoire en production : définissez une valeur longue et aléatoire "
            "(par exemple : python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    if profile == "testing":
        return "testing-secret-key"
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key, encoding="utf-8")
    key_file.chmod(0o600)
    return key


def load_config(
    instance_path: Path, env: Mapping[str, str] | None = None, *, profile: str | None = None
) -> dict[str, Any]:
    """Build the Flask config mapping from the environment (``profile`` overrides
    ``BAROMETRE_ENV``, as tests do)."""
    env = os.environ if env is None else env
    profile = profile or env_str(env, "BAROMETRE_ENV", "development") or "development"
    if profile not in PROFILES:
        raise ConfigError(f"BAROMETRE_ENV doit valoir {', '.join(PROFILES)} (reçu : {profile!r}).")
    production = profile == "production"
    max_upload_mb = env_int(env, "UPLOAD_MAX_MB", 20)
    return {
        "ENV_PROFILE": profile,
        "TESTING": profile == "testing",
        "SECRET_KEY": secret_key(env, profile, instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url(env_str(env, "DATABASE_URL"), instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MAX_CONTENT_LENGTH": max_upload_mb * 1024 * 1024,
        "UPLOAD_FOLDER": env_str(env, "UPLOAD_FOLDER", str(instance_path / "uploads")),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted
        # (0: none, the app faces clients directly; 1: one nginx terminating HTTPS).
        "TRUSTED_PROXIES": env_int(env, "TRUSTED_PROXIES", 0),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=env_int(env, "SESSION_HOURS", 12)),
        "WTF_CSRF_TIME_LIMIT": None,
        # The phone pages' service worker version; by default a digest of the phone assets.
        "PHONE_APP_VERSION": env_str(env, "PHONE_APP_VERSION"),
        "API_TOKEN_TTL": timedelta(hours=env_int(env, "API_TOKEN_TTL_HOURS", 24 * 7)),
        # werkzeug's scrypt by default; the test suite alone uses a cheap method (hashing
        # costs ~0.3 s a password on a loaded machine, and the suite makes hundreds).
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000" if profile == "testing" else "scrypt",
        "LOGIN_MAX_FAILURES": env_int(env, "LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCKOUT_SECONDS": env_int(env, "LOGIN_LOCKOUT_SECONDS", 30),
        "LOG_LEVEL": env_str(env, "LOG_LEVEL", "INFO"),
        "LOG_FORMAT": env_str(env, "LOG_FORMAT", "json" if production else "text"),
        "SMTP_HOST": env_str(env, "SMTP_HOST"),
        "SMTP_PORT": env_int(env, "SMTP_PORT", 587),
        "SMTP_USER": env_str(env, "SMTP_USER"),
        "SMTP_PASSWORD": env_str(env, "SMTP_PASSWORD"),
        "SMTP_STARTTLS": env_bool(env, "SMTP_STARTTLS", True),
        "MAIL_FROM": env_str(env, "MAIL_FROM", "barometre@localhost"),
        "SMTP_TIMEOUT_SECONDS": env_int(env, "SMTP_TIMEOUT_SECONDS", 20),
        # The outbox and the scheduler (server/services/outbox.py, server/scheduler.py)
        "OUTBOX_MAX_ATTEMPTS": env_int(env, "OUTBOX_MAX_ATTEMPTS", 8),
        "OUTBOX_RETRY_SECONDS": env_int(env, "OUTBOX_RETRY_SECONDS", 60),
        "OUTBOX_RETRY_MAX_SECONDS": env_int(env, "OUTBOX_RETRY_MAX_SECONDS", 3600),
        "OUTBOX_BATCH": env_int(env, "OUTBOX_BATCH", 50),
        "REMINDER_HOURS": env_int(env, "REMINDER_HOURS", 48),
        # Computed figures kept per web worker (server/services/results_cache.py)
        "RESULTS_CACHE_SIZE": env_int(env, "RESULTS_CACHE_SIZE", 8),
        "SCHEDULER_LEASE_SECONDS": env_int(env, "SCHEDULER_LEASE_SECONDS", 60),
        "SCHEDULER_POLL_SECONDS": env_int(env, "SCHEDULER_POLL_SECONDS", 10),
        "SCHEDULER_INTERVAL_SECONDS": env_int(env, "SCHEDULER_INTERVAL_SECONDS", 0),
        # flask-smorest / OpenAPI
        "API_TITLE": "Baromètre API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/api/v1/docs/static/",
        "API_SPEC_OPTIONS": {
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
    }
