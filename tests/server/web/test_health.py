"""``GET /healthz``: the probe a reverse proxy (and the load benchmark) calls."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from server.app import create_app
from server.models import Role, User


def test_healthz_answers_ok_without_login_or_cookie(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_healthz_leaves_a_signed_in_session_untouched(
    login_as: Callable[..., tuple[FlaskClient, User]],
) -> None:
    browser, _user = login_as(Role.COORDINATOR)

    response = browser.get("/healthz")

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert browser.get("/coordination/").status_code == 200


def test_healthz_says_in_french_when_the_database_is_unreachable(
    app: Flask, tmp_path: Path
) -> None:
    broken = create_app(
        {
            "ENV_PROFILE": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'absent' / 'base.sqlite3'}",
            "UPLOAD_FOLDER": str(tmp_path),
        }
    )

    response = broken.test_client().get("/healthz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "indisponible"
    assert "DATABASE_URL" in body["message"]
