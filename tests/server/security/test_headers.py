"""Security headers (server/security.py) on every kind of response the app makes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server import security
from server.app import create_app
from server.models import Role, User
from server.security import CSP_DIRECTIVES

LoginAs = Callable[..., tuple[FlaskClient, User]]

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def directives(header: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def assert_secured(response) -> None:  # type: ignore[no-untyped-def]
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (name, response.headers)
    csp = directives(response.headers["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    for sources in csp.values():
        assert "'unsafe-inline'" not in sources
        assert "'unsafe-eval'" not in sources
    permissions = response.headers["Permissions-Policy"]
    assert "camera=(self)" in permissions
    assert "geolocation=(self)" in permissions
    assert "microphone=()" in permissions
    assert "Strict-Transport-Security" not in response.headers  # not outside production


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/login", 200),
        ("/", 302),
        ("/coordination/", 302),  # signed out: redirected to the login page
        ("/static/css/app.css", 200),
        ("/static/js/picker.js", 200),
        ("/sw.js", 200),
        ("/manifest.webmanifest", 200),
        ("/api/v1/openapi.json", 200),
        ("/api/v1/docs", 200),
        ("/api/v1/docs/static/swagger-ui-bundle.js", 200),
        ("/api/v1/campaigns", 401),
        ("/page-qui-n-existe-pas", 404),
        ("/api/v1/rien", 404),
    ],
)
def test_every_kind_of_response_carries_the_headers(
    client: FlaskClient, path: str, status: int
) -> None:
    with client.get(path) as response:  # closes the file a static response holds open
        assert response.status_code == status
        assert_secured(response)


def test_refused_and_invalid_requests_carry_them_too(client: FlaskClient) -> None:
    assert_secured(client.post("/login", data={}))  # no CSRF token: 400
    assert_secured(client.post("/api/v1/auth/token", json={"email": "x@example.fr"}))  # 422
    assert_secured(client.delete("/login"))  # 405


def test_signed_in_pages_carry_them(login_as: LoginAs) -> None:
    browser, _ = login_as(Role.COORDINATOR)
    response = browser.get("/coordination/")
    assert response.status_code == 200
    assert_secured(response)


def test_a_view_that_sets_its_own_value_keeps_it() -> None:
    small = Flask(__name__)
    small.config["ENV_PROFILE"] = "testing"
    security.init_app(small)

    @small.get("/")
    def own() -> tuple[str, int, dict[str, str]]:
        return "ok", 200, {"X-Frame-Options": "SAMEORIGIN"}

    response = small.test_client().get("/")
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_only_in_production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAROMETRE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    sqlite = f"sqlite:///{tmp_path / 'hsts.sqlite3'}"
    production = create_app({"ENV_PROFILE": "production", "SQLALCHEMY_DATABASE_URI": sqlite})
    with production.test_client().get("/login") as response:
        assert response.headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains"
        )
    development = create_app({"ENV_PROFILE": "development", "SQLALCHEMY_DATABASE_URI": sqlite})
    with development.test_client().get("/login") as response:
        assert "Strict-Transport-Security" not in response.headers


def test_the_policy_lists_each_directive_once() -> None:
    assert len(CSP_DIRECTIVES) == len({name.lower() for name in CSP_DIRECTIVES})
    assert CSP_DIRECTIVES["default-src"] == "'self'"
