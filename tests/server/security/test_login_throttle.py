"""One login throttle for the sign-in page and ``POST /api/v1/auth/token``: failures on either
count for the same address, and a locked address is locked on both (the test app allows 5
failures, then locks for 30 s)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from server.models import Role, User
from tests.conftest import PASSWORD, csrf_token_from

MakeUser = Callable[..., User]
Attempt = Callable[[FlaskClient, str, str], int]
WRONG = "pas-le-bon-mot-de-passe"


def page_login(client: FlaskClient, email: str, password: str) -> int:
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    return response.status_code


def token_login(client: FlaskClient, email: str, password: str) -> int:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    return response.status_code


@pytest.mark.parametrize(
    ("fail_on", "then_on"),
    [(page_login, token_login), (token_login, page_login)],
    ids=["page-puis-api", "api-puis-page"],
)
def test_failures_on_one_route_lock_the_other(
    client: FlaskClient, make_user: MakeUser, fail_on: Attempt, then_on: Attempt
) -> None:
    user = make_user(Role.COORDINATOR)
    for _ in range(5):
        assert fail_on(client, user.email, WRONG) == 401
    # The right password, on the other route: still refused while the address is locked.
    assert then_on(client, user.email, PASSWORD) == 429
    assert fail_on(client, user.email, PASSWORD) == 429


def test_failures_add_up_across_both_routes(client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user(Role.ANALYST)
    for attempt in range(5):
        route = page_login if attempt % 2 else token_login
        assert route(client, user.email, WRONG) == 401
    locked = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert "Trop de tentatives" in locked.get_json()["message"]
    assert 0 < int(locked.headers["Retry-After"]) <= 30
    assert page_login(client, user.email, PASSWORD) == 429


def test_the_lock_is_per_address_whatever_its_case(
    client: FlaskClient, make_user: MakeUser
) -> None:
    user, other = make_user(Role.ANALYST), make_user(Role.ANALYST)
    for _ in range(5):
        assert token_login(client, user.email.upper(), WRONG) == 401
    assert page_login(client, user.email, PASSWORD) == 429
    assert token_login(client, other.email, PASSWORD) == 201  # another address is untouched


def test_a_success_before_the_limit_resets_the_count(
    client: FlaskClient, make_user: MakeUser
) -> None:
    user = make_user(Role.ANALYST)
    for _ in range(4):
        assert page_login(client, user.email, WRONG) == 401
    assert token_login(client, user.email, PASSWORD) == 201
    for _ in range(4):
        assert token_login(client, user.email, WRONG) == 401
    assert page_login(client, user.email, PASSWORD) == 302
