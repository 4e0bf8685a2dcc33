"""Bearer tokens: issue, use, expiry, revocation, throttling and role checks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server.extensions import db
from server.models import ApiToken, Role, User
from server.models.types import utcnow
from tests.conftest import PASSWORD

#: Campaigns point at a stored référentiel, as a fresh install has them.
pytestmark = pytest.mark.usefixtures("shipped_referentiels")


def assert_error(response, status: int, code: str, message_part: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) >= {"code", "message", "errors"}
    assert body["code"] == code
    assert message_part in body["message"]


def test_token_is_issued_for_right_password(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.ANALYST)
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert body["role"] == "analyst"
    assert len(body["token"]) >= 40
    assert body["expires_at"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.get_json()["email"] == user.email


def test_email_is_case_insensitive(client: FlaskClient, make_user: Callable[..., User]) -> None:
    user = make_user(Role.ANALYST)
    response = client.post(
        "/api/v1/auth/token", json={"email": user.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 201


def test_only_a_hash_of_the_token_is_stored(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user()
    token = client.post(
        "/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}
    ).get_json()["token"]
    with app.app_context():
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored
    assert len(stored) == 1


@pytest.mark.parametrize(
    ("email", "password"),
    [("coordinator1@example.fr", "mauvais-mot-de-passe"), ("inconnu@example.fr", PASSWORD)],
)
def test_wrong_password_and_unknown_user_get_the_same_401(
    client: FlaskClient, make_user: Callable[..., User], email: str, password: str
) -> None:
    make_user(Role.COORDINATOR, email="coordinator1@example.fr")
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert_error(response, 401, "unauthorized", "Adresse électronique ou mot de passe incorrect")


def test_missing_fields_are_a_422_per_field(client: FlaskClient) -> None:
    response = client.post("/api/v1/auth/token", json={"email": "x@example.fr"})
    assert_error(response, 422, "invalid", "Données invalides")
    assert "password" in response.get_json()["errors"]["json"]


def test_repeated_failures_slow_down_further_attempts(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user()
    for _ in range(5):
        response = client.post(
            "/api/v1/auth/token", json={"email": user.email, "password": "faux-faux-faux"}
        )
        assert response.status_code == 401
    # Even the right password is refused while the address is locked.
    locked = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert_error(locked, 429, "too_many_attempts", "Trop de tentatives")
    assert 0 < int(locked.headers["Retry-After"]) <= 30


def test_inactive_account_cannot_get_a_token(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user(active=False)
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-real-token"],
)
def test_missing_or_unknown_token_is_401(client: FlaskClient, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/v1/campaigns", headers=headers)
    assert_error(response, 401, "unauthorized", "")


def test_expired_token_is_refused(
    app: Flask, client: FlaskClient, token_for: Callable[..., dict[str, str]]
) -> None:
    headers = token_for(Role.COORDINATOR)
    with app.app_context():
        for token in db.session.scalars(select(ApiToken)):
            token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert_error(client.get("/api/v1/campaigns", headers=headers), 401, "unauthorized", "expiré")


def test_revoked_token_is_refused(
    client: FlaskClient, token_for: Callable[..., dict[str, str]]
) -> None:
    headers = token_for(Role.COORDINATOR)
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert_error(client.get("/api/v1/campaigns", headers=headers), 401, "unauthorized", "révoqué")


def test_token_of_a_deactivated_account_is_refused(
    app: Flask, client: FlaskClient, token_for: Callable[..., dict[str, str]]
) -> None:
    headers = token_for(Role.ANALYST)
    with app.app_context():
        for user in db.session.scalars(select(User)):
            user.active = False
        db.session.commit()
    assert_error(client.get("/api/v1/campaigns", headers=headers), 401, "unauthorized", "désactivé")


@pytest.mark.parametrize(
    ("role", "method", "path", "status"),
    [
        (Role.INVESTIGATOR, "get", "/api/v1/campaigns", 403),
        (Role.INVESTIGATOR, "get", "/api/v1/investigators", 403),
        (Role.ANALYST, "post", "/api/v1/campaigns", 403),
        (Role.ANALYST, "get", "/api/v1/investigators", 403),
        (Role.ANALYST, "get", "/api/v1/campaigns", 200),
        (Role.COORDINATOR, "get", "/api/v1/investigators", 200),
        (Role.ADMIN, "get", "/api/v1/investigators", 200),
    ],
)
def test_roles_reach_only_their_endpoints(
    client: FlaskClient,
    token_for: Callable[..., dict[str, str]],
    role: Role,
    method: str,
    path: str,
    status: int,
) -> None:
    response = getattr(client, method)(
        path, headers=token_for(role), json={"name": "X", "year": 2026}
    )
    assert response.status_code == status
    if status == 403:
        assert_error(response, 403, "forbidden", "Accès refusé")


def test_unknown_api_route_is_a_json_404(client: FlaskClient) -> None:
    assert_error(client.get("/api/v1/nulle-part"), 404, "not_found", "")


def test_openapi_spec_is_served(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/auth/token" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_docs_ui_loads_its_assets_locally(client: FlaskClient) -> None:
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/docs/static/swagger-ui-bundle.js" in page
    assert "https://" not in page.split("<body")[0]
    asset = client.get("/api/v1/docs/static/swagger-ui-bundle.js")
    assert asset.status_code == 200
    asset.close()
