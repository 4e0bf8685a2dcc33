"""A deactivated account's open session and bearer token stop at the very next request, and
so do those of an account whose password an admin reset; reactivation needs a new login."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.extensions import db
from server.models import Role, User
from server.services import accounts
from tests.conftest import PASSWORD, sign_in

MakeUser = Callable[..., User]


def bearer(client: FlaskClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def assert_signed_out(browser: FlaskClient) -> None:
    page = browser.get("/coordination/")
    assert page.status_code == 302
    assert "/login" in page.headers["Location"]
    assert browser.get("/api/v1/campaigns").status_code == 401


def assert_signed_in(browser: FlaskClient) -> None:
    assert browser.get("/coordination/").status_code == 200
    assert browser.get("/api/v1/campaigns").status_code == 200


@pytest.mark.parametrize("how", ["api", "service"])
def test_a_deactivated_users_session_and_token_stop_at_the_next_request(
    app: Flask, client: FlaskClient, make_user: MakeUser, how: str
) -> None:
    person = make_user(Role.COORDINATOR)
    browser = sign_in(app, person)
    token = bearer(client, person.email)
    assert_signed_in(browser)
    assert client.get("/api/v1/campaigns", headers=token).status_code == 200

    if how == "api":
        admin = bearer(client, make_user(Role.ADMIN).email)
        response = client.patch(f"/api/v1/users/{person.id}", headers=admin, json={"active": False})
        assert response.status_code == 200, response.get_json()
    else:  # the flag alone, as any other way of switching it off: the loader checks it
        with app.app_context():
            user = db.session.get(User, person.id)
            assert user is not None
            user.active = False
            db.session.commit()

    assert_signed_out(browser)
    response = client.get("/api/v1/campaigns", headers=token)
    assert response.status_code == 401
    assert "désactivé" in response.get_json()["message"].lower()


def test_reactivation_does_not_revive_the_old_session_nor_token(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    person = make_user(Role.COORDINATOR)
    browser = sign_in(app, person)
    token = bearer(client, person.email)
    admin = bearer(client, make_user(Role.ADMIN).email)
    for active in (False, True):
        response = client.patch(
            f"/api/v1/users/{person.id}", headers=admin, json={"active": active}
        )
        assert response.status_code == 200
    assert_signed_out(browser)
    assert client.get("/api/v1/campaigns", headers=token).status_code == 401
    assert_signed_in(sign_in(app, person))


def test_a_password_reset_ends_the_sessions_and_tokens_at_once(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    person = make_user(Role.COORDINATOR)
    browser = sign_in(app, person)
    token = bearer(client, person.email)
    admin = bearer(client, make_user(Role.ADMIN).email)
    new = "nouveau-mot-de-passe-solide"
    response = client.post(
        f"/api/v1/users/{person.id}/password", headers=admin, json={"password": new}
    )
    assert response.status_code == 200
    assert response.get_json() == {"revoked_tokens": 1}
    assert_signed_out(browser)
    assert client.get("/api/v1/campaigns", headers=token).status_code == 401
    assert (
        client.post(
            "/api/v1/auth/token", json={"email": person.email, "password": PASSWORD}
        ).status_code
        == 401
    )
    assert_signed_in(sign_in(app, person, password=new))


def test_a_coordinator_deactivating_an_investigator_ends_their_access_too(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    from tests.factories import Factory

    with app.app_context():
        person = Factory(db.session).investigator()
        db.session.commit()
        person_id, email = person.id, person.email
    token = bearer(client, email)
    assert client.get("/api/v1/me/missions", headers=token).status_code == 200
    coordinator = bearer(client, make_user(Role.COORDINATOR).email)
    response = client.patch(
        f"/api/v1/investigators/{person_id}", headers=coordinator, json={"active": False}
    )
    assert response.status_code == 200
    assert client.get("/api/v1/me/missions", headers=token).status_code == 401
    with app.app_context():
        user = db.session.get(User, person_id)
        assert user is not None
        assert all(t.revoked_at is not None for t in user.tokens)
        assert accounts.reactivate_user(db.session, user, actor=None) is True
        db.session.commit()
    assert client.get("/api/v1/me/missions", headers=token).status_code == 401


def test_a_cookie_with_a_stale_or_malformed_id_is_anonymous(
    app: Flask, make_user: MakeUser
) -> None:
    """The loader itself: the bare id of an old cookie, garbage, or an older version."""
    from server.auth import _load_user

    person = make_user(Role.ANALYST)
    with app.app_context():
        assert _load_user(f"{person.id}:0") is not None
        for stale in (str(person.id), f"{person.id}:1", "x:0", f"{person.id}:", ""):
            assert _load_user(stale) is None, stale
