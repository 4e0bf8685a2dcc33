"""``/api/v1/users``: admins list, create, read, change and reset the password of accounts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.extensions import db
from server.models import AuditEvent, Role, User
from server.services import accounts
from server.services.errors import Conflict
from tests.conftest import PASSWORD

Headers = Callable[..., dict[str, str]]
MakeUser = Callable[..., User]


def token_of(client: FlaskClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def admin_token(client: FlaskClient, make_user: MakeUser) -> tuple[dict[str, str], User]:
    admin = make_user(Role.ADMIN)
    return token_of(client, admin.email), admin


def count_users(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(User)) or 0)


NEW = {"email": "lea@example.fr", "name": "Léa Martin", "password": PASSWORD, "role": "analyst"}


def test_an_admin_creates_an_account_which_can_log_in(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    headers, admin = admin_token(client, make_user)
    response = client.post("/api/v1/users", headers=headers, json=NEW)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert {k: body[k] for k in ("email", "name", "role", "active")} == {
        "email": "lea@example.fr",
        "name": "Léa Martin",
        "role": "analyst",
        "active": True,
    }
    assert "password" not in json.dumps(body)
    assert "password_hash" not in body
    token_of(client, "lea@example.fr")
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "user.create", AuditEvent.entity_id == str(body["id"])
            )
        )
        assert event is not None
        assert event.actor_id == admin.id


def test_the_list_paginates_and_filters(client: FlaskClient, make_user: MakeUser) -> None:
    headers, _ = admin_token(client, make_user)
    for _ in range(3):
        make_user(Role.ANALYST)
    make_user(Role.COORDINATOR, active=False)
    response = client.get("/api/v1/users?role=analyst&page_size=2", headers=headers)
    assert response.status_code == 200
    assert len(response.get_json()) == 2
    assert json.loads(response.headers["X-Pagination"])["total"] == 3
    inactive = client.get("/api/v1/users?active=false", headers=headers).get_json()
    assert [u["role"] for u in inactive] == ["coordinator"]


def test_read_one_and_an_unknown_id_is_404(client: FlaskClient, make_user: MakeUser) -> None:
    headers, admin = admin_token(client, make_user)
    assert client.get(f"/api/v1/users/{admin.id}", headers=headers).get_json()["role"] == "admin"
    for method, url, body in (
        ("get", "/api/v1/users/999999", None),
        ("patch", "/api/v1/users/999999", {"name": "X"}),
        ("post", "/api/v1/users/999999/password", {"password": PASSWORD}),
    ):
        response = getattr(client, method)(url, headers=headers, json=body)
        assert response.status_code == 404, (method, url)
        assert "999999" in response.get_json()["message"]


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ANALYST, Role.INVESTIGATOR])
def test_other_roles_get_403_on_every_users_route(
    client: FlaskClient, token_for: Headers, make_user: MakeUser, role: Role
) -> None:
    target = make_user(Role.ANALYST)
    headers = token_for(role)
    for method, url, body in (
        ("get", "/api/v1/users", None),
        ("post", "/api/v1/users", NEW),
        ("get", f"/api/v1/users/{target.id}", None),
        ("patch", f"/api/v1/users/{target.id}", {"role": "admin"}),
        ("post", f"/api/v1/users/{target.id}/password", {"password": PASSWORD}),
    ):
        response = getattr(client, method)(url, headers=headers, json=body)
        assert response.status_code == 403, (method, url)
    assert client.get("/api/v1/users").status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({**NEW, "email": "pas-une-adresse"}, 422, "email"),
        ({**NEW, "password": "court"}, 422, "password"),
        ({**NEW, "role": "roi"}, 422, "role"),
        ({**NEW, "role": "investigator"}, 422, "role"),
        ({k: v for k, v in NEW.items() if k != "name"}, 422, "name"),
    ],
)
def test_bad_creations_are_refused_and_store_nothing(
    app: Flask,
    client: FlaskClient,
    make_user: MakeUser,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    headers, _ = admin_token(client, make_user)
    before = count_users(app)
    response = client.post("/api/v1/users", headers=headers, json=body)
    assert response.status_code == status, response.get_json()
    assert field in json.dumps(response.get_json()["errors"])
    assert count_users(app) == before


def test_a_short_password_names_the_rule(client: FlaskClient, make_user: MakeUser) -> None:
    headers, _ = admin_token(client, make_user)
    target = make_user(Role.ANALYST)
    short = "x" * (accounts.MIN_PASSWORD_LENGTH - 1)
    response = client.post(
        f"/api/v1/users/{target.id}/password", headers=headers, json={"password": short}
    )
    assert response.status_code == 422
    assert str(accounts.MIN_PASSWORD_LENGTH) in response.get_json()["message"]
    token_of(client, target.email)  # the old password still works


def test_a_duplicate_email_is_409(app: Flask, client: FlaskClient, make_user: MakeUser) -> None:
    headers, _ = admin_token(client, make_user)
    existing = make_user(Role.ANALYST)
    before = count_users(app)
    response = client.post(
        "/api/v1/users", headers=headers, json={**NEW, "email": existing.email.upper()}
    )
    assert response.status_code == 409
    assert existing.email in response.get_json()["message"]
    assert count_users(app) == before


def test_patch_changes_name_and_role_audited(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    headers, admin = admin_token(client, make_user)
    target = make_user(Role.ANALYST)
    response = client.patch(
        f"/api/v1/users/{target.id}",
        headers=headers,
        json={"name": "Nouveau nom", "role": "coordinator"},
    )
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["name"], response.get_json()["role"]) == (
        "Nouveau nom",
        "coordinator",
    )
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.role_change"))
        assert event is not None
        assert (event.actor_id, event.entity_id) == (admin.id, str(target.id))
        assert event.details == {"before": "analyst", "after": "coordinator"}


def test_self_deactivation_and_self_demotion_are_refused(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    headers, admin = admin_token(client, make_user)
    make_user(Role.ADMIN)
    for change in ({"active": False}, {"role": "analyst"}):
        response = client.patch(f"/api/v1/users/{admin.id}", headers=headers, json=change)
        assert response.status_code == 409, change
        assert "votre propre compte" in response.get_json()["message"]
    assert client.get(f"/api/v1/users/{admin.id}", headers=headers).get_json()["active"] is True


def test_a_refused_patch_leaves_nothing_half_changed(
    client: FlaskClient, make_user: MakeUser
) -> None:
    """The name is applied before the role is refused: the whole request is rolled back."""
    headers, _ = admin_token(client, make_user)
    target = make_user(Role.ANALYST, name="Avant")
    response = client.patch(
        f"/api/v1/users/{target.id}",
        headers=headers,
        json={"name": "Après", "role": "investigator"},
    )
    assert response.status_code == 422
    assert "Enquêteurs" in response.get_json()["message"]
    assert client.get(f"/api/v1/users/{target.id}", headers=headers).get_json()["name"] == "Avant"


def test_the_last_admin_cannot_be_removed_from_the_cli_actor(
    app: Flask, make_user: MakeUser
) -> None:
    """Through the API the caller is an active admin, so another always remains; the rule
    holds for the callers with no admin behind them (the CLI)."""
    last = make_user(Role.ADMIN)
    with app.app_context():
        user = db.session.get(User, last.id)
        assert user is not None
        with pytest.raises(Conflict):
            accounts.update_user(db.session, user, {"active": False}, actor=None)


def test_the_openapi_documents_the_users_routes_without_password_hash(
    client: FlaskClient,
) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    patch = spec["paths"]["/api/v1/users/{user_id}"]["patch"]
    assert {"404", "409", "422"} <= set(patch["responses"])
    assert "password_hash" not in json.dumps(spec["components"]["schemas"]["User"])
