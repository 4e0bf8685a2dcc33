"""The application factory: it only wires configuration, extensions and blueprints together."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from server import auth, errors, logging_setup, security
from server.config import load_config
from server.extensions import api, csrf, db, migrate

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build an application.

    ``config`` overrides settings read from the environment (tests pass
    ``{"ENV_PROFILE": "testing", "SQLALCHEMY_DATABASE_URI": ...}``).
    """
    overrides = dict(config or {})
    instance_path = os.environ.get("BAROMETRE_INSTANCE_PATH") or None
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.update(load_config(Path(app.instance_path), profile=overrides.get("ENV_PROFILE")))
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        # Behind nginx terminating HTTPS: the scheme, host and client address are the
        # proxy's headers, trusted for exactly that many hops (never more, or anyone could
        # claim to be on HTTPS or spoof their address in the logs and the login throttle).
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )

    logging_setup.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), compare_type=True)
    csrf.init_app(app)
    auth.init_app(app)
    api.init_app(app)
    errors.init_app(app)
    security.init_app(app)

    from server import api as api_package
    from server import cli, web

    api_package.register(app, api)
    web.register(app)
    cli.register(app)
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite enforces foreign keys only when asked, and WAL lets readers and one writer
    work at once (the web server and the scheduler share the file)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()
