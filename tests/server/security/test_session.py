"""The page session: renewed at sign-in, emptied at sign-out, and a copy of an old cookie
signs nobody in (server/web/auth/routes.py).

Flask's session is a signed cookie, not a server-side record: "the old cookie" is the exact
value the browser held before signing out, replayed by anyone who copied it. Its signature is
still valid; what refuses it is ``User.session_version``, bumped at sign-out and compared by the
user loader with the version the cookie carries.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from server.models import Role, User
from tests.conftest import PASSWORD, csrf_token_from, sign_in

MakeUser = Callable[..., User]


def session_of(app: Flask, browser: FlaskClient) -> dict[str, Any]:
    """What the browser's session cookie holds, as the server reads it."""
    cookie = browser.get_cookie("session")
    if cookie is None:
        return {}
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    data: dict[str, Any] = serializer.loads(cookie.value)
    return data


def post_login(browser: FlaskClient, user: User, token: str, next_path: str = "") -> Any:
    url = f"/login?next={next_path}" if next_path else "/login"
    return browser.post(url, data={"email": user.email, "password": PASSWORD, "csrf_token": token})


def form_token(html: str) -> str:
    """The CSRF token of the page's first form, whatever the order of its attributes."""
    found = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "aucun jeton CSRF sur la page"
    return found.group(1)


def logout(browser: FlaskClient, home: str = "/coordination/") -> None:
    token = form_token(browser.get(home).get_data(as_text=True))
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302


def test_signing_in_renews_the_session_and_its_csrf_token(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    user = make_user(Role.COORDINATOR)
    # Before sign-in: the form leaves a CSRF token, a refused page a flashed message.
    form_token = csrf_token_from(client.get("/login").get_data(as_text=True))
    assert client.get("/coordination/").status_code == 302
    before = session_of(app, client)
    assert before["csrf_token"]
    assert before["_flashes"]
    cookie_before = client.get_cookie("session").value  # type: ignore[union-attr]

    response = post_login(client, user, form_token, next_path="/coordination/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/coordination/"

    after = session_of(app, client)
    assert client.get_cookie("session").value != cookie_before  # type: ignore[union-attr]
    assert after.get("csrf_token") != before["csrf_token"]
    assert [message for _category, message in after["_flashes"]] == [f"Bienvenue, {user.name}."]
    page = client.get("/coordination/")
    assert page.status_code == 200
    assert session_of(app, client)["csrf_token"] != before["csrf_token"]


def test_the_csrf_token_from_before_sign_in_is_refused_after_it(
    client: FlaskClient, make_user: MakeUser
) -> None:
    """A token planted before sign-in (session fixation) cannot forge a signed-in form."""
    user = make_user(Role.COORDINATOR)
    planted = csrf_token_from(client.get("/login").get_data(as_text=True))
    assert post_login(client, user, planted).status_code == 302
    response = client.post("/coordination/campagnes/nouvelle", data={"csrf_token": planted})
    assert response.status_code == 400
    assert "jeton de sécurité" in response.get_data(as_text=True)


def test_signing_out_empties_the_session(
    app: Flask, login_as: Callable[..., tuple[FlaskClient, User]]
) -> None:
    browser, _ = login_as(Role.COORDINATOR)
    assert "_user_id" in session_of(app, browser)
    logout(browser)
    assert session_of(app, browser) == {"_flashes": [("info", "Vous êtes déconnecté.")]}
    assert browser.get("/coordination/").status_code == 302


def test_a_copy_of_the_cookie_taken_before_sign_out_signs_nobody_in(
    app: Flask, login_as: Callable[..., tuple[FlaskClient, User]]
) -> None:
    browser, _ = login_as(Role.COORDINATOR)
    stolen = browser.get_cookie("session").value  # type: ignore[union-attr]
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/coordination/").status_code == 200  # the copy works while signed in

    logout(browser)
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    page = replay.get("/coordination/")
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/login")
    assert replay.get("/api/v1/auth/me").status_code == 401  # nor on the API
    assert thief.get("/coordination/").status_code == 302


def test_signing_out_signs_the_account_out_of_its_other_browsers(
    app: Flask, make_user: MakeUser
) -> None:
    """The price of a client-side session: the version is per account, not per browser."""
    user = make_user(Role.COORDINATOR)
    laptop, phone = sign_in(app, user), sign_in(app, user)
    logout(laptop)
    assert phone.get("/coordination/").status_code == 302
    again = sign_in(app, user)  # and signing in again works
    assert again.get("/coordination/").status_code == 200


def test_signing_out_leaves_the_accounts_bearer_tokens_alone(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    user = make_user(Role.ANALYST)
    token = client.post(
        "/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}
    ).get_json()["token"]
    logout(sign_in(app, user), home="/analyse/")
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_signing_out_without_a_session_is_harmless(client: FlaskClient) -> None:
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
