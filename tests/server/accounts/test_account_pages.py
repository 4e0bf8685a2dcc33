"""The admin's account pages: list with filters, new account, role, (de)activation, password."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.extensions import db
from server.models import AuditEvent, Role, User
from server.services import accounts
from tests.conftest import PASSWORD, csrf_token_from, sign_in

Login = Callable[..., tuple[FlaskClient, User]]
MakeUser = Callable[..., User]


def flat(html: str) -> str:
    return " ".join(html.split())


def post_form(browser: FlaskClient, page: str, url: str, data: dict[str, Any]) -> Any:
    """Post ``data`` to ``url`` with the CSRF token of the form shown on ``page``."""
    token = csrf_token_from(browser.get(page).get_data(as_text=True))
    return browser.post(url, data={"csrf_token": token, **data})


def stored(app: Flask, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        db.session.expunge(user)
        return user


def test_the_list_filters_by_role_and_status(login_as: Login, make_user: MakeUser) -> None:
    browser, _ = login_as(Role.ADMIN)
    make_user(Role.ANALYST, name="Alice Analyste")
    make_user(Role.ANALYST, name="Bruno Parti", active=False)
    make_user(Role.COORDINATOR, name="Carla Coord")
    html = flat(browser.get("/admin/comptes?role=analyst&statut=actifs").get_data(as_text=True))
    assert "Alice Analyste" in html
    assert "Bruno Parti" not in html
    assert "Carla Coord" not in html
    html = flat(browser.get("/admin/comptes?statut=desactives").get_data(as_text=True))
    assert "Bruno Parti" in html
    assert "Alice Analyste" not in html
    everyone = browser.get("/admin/comptes?role=roi&statut=x")
    assert everyone.status_code == 200
    assert "Carla Coord" in everyone.get_data(as_text=True)


def test_the_admin_home_and_menu_link_to_the_accounts(login_as: Login) -> None:
    browser, _ = login_as(Role.ADMIN)
    html = browser.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/comptes"' in html
    assert 'href="/admin/comptes/nouveau"' in html


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ANALYST, Role.INVESTIGATOR])
def test_other_roles_are_refused(login_as: Login, make_user: MakeUser, role: Role) -> None:
    browser, _ = login_as(role)
    target = make_user(Role.ANALYST)
    assert browser.get("/admin/comptes").status_code == 403
    assert browser.get(f"/admin/comptes/{target.id}").status_code == 403


def test_an_admin_creates_an_account_then_lands_on_its_page(app: Flask, login_as: Login) -> None:
    browser, admin = login_as(Role.ADMIN)
    response = post_form(
        browser,
        "/admin/comptes/nouveau",
        "/admin/comptes/nouveau",
        {
            "name": "Léa Martin",
            "email": "lea@example.fr",
            "role": "coordinator",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 302
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Compte de « Léa Martin » créé (Coordination)" in page
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "lea@example.fr"))
        assert user is not None
        assert user.role == Role.COORDINATOR
        event = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "user.create", AuditEvent.entity_id == str(user.id)
            )
        )
        assert event is not None
        assert event.actor_id == admin.id


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "pas-une-adresse"}, "Adresse invalide."),
        ({"password": "court"}, f"Au moins {accounts.MIN_PASSWORD_LENGTH} caractères"),
        ({"role": "investigator"}, "est pas un choix valide"),
        ({"email": "admin-existant@example.fr"}, "Déjà utilisée"),
    ],
)
def test_a_refused_creation_says_why_and_stores_nothing(
    app: Flask, login_as: Login, changes: dict[str, str], message: str
) -> None:
    browser, _ = login_as(Role.ADMIN, email="admin-existant@example.fr")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(User))
    data = {"name": "Léa", "email": "lea@example.fr", "role": "analyst", "password": PASSWORD}
    response = post_form(
        browser, "/admin/comptes/nouveau", "/admin/comptes/nouveau", {**data, **changes}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_a_form_without_its_csrf_token_is_refused(app: Flask, login_as: Login) -> None:
    browser, _ = login_as(Role.ADMIN)
    response = browser.post(
        "/admin/comptes/nouveau",
        data={"name": "L", "email": "l@example.fr", "role": "analyst", "password": PASSWORD},
    )
    assert response.status_code in (400, 422)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "l@example.fr")) is None


def test_changing_a_role(app: Flask, login_as: Login, make_user: MakeUser) -> None:
    browser, _ = login_as(Role.ADMIN)
    target = make_user(Role.ANALYST)
    page = f"/admin/comptes/{target.id}"
    response = post_form(browser, page, f"{page}/role", {"role": "coordinator"})
    assert response.status_code == 302
    assert "a désormais le rôle « Coordination »" in browser.get(page).get_data(as_text=True)
    assert stored(app, target.id).role == Role.COORDINATOR


def test_an_investigators_page_points_to_the_coordinators_page(app: Flask, login_as: Login) -> None:
    from tests.factories import Factory

    browser, _ = login_as(Role.ADMIN)
    with app.app_context():
        person = Factory(db.session).investigator()
        db.session.commit()
        person_id = person.id
    html = flat(browser.get(f"/admin/comptes/{person_id}").get_data(as_text=True))
    assert f'href="/coordination/enqueteurs/{person_id}"' in html
    assert f'action="/admin/comptes/{person_id}/role"' not in html
    response = post_form(
        browser,
        f"/admin/comptes/{person_id}",
        f"/admin/comptes/{person_id}/role",
        {"role": "analyst"},
    )
    assert response.status_code == 422
    assert "page « Enquêteurs »" in response.get_data(as_text=True)
    assert stored(app, person_id).role == Role.INVESTIGATOR


def test_deactivation_asks_to_confirm_then_ends_the_session(
    app: Flask, login_as: Login, make_user: MakeUser
) -> None:
    browser, _ = login_as(Role.ADMIN)
    target = make_user(Role.COORDINATOR)
    their_browser = sign_in(app, target)
    url = f"/admin/comptes/{target.id}/activation"
    confirm = browser.get(url).get_data(as_text=True)
    assert "Confirmer la désactivation" in confirm
    assert stored(app, target.id).active is True  # showing the question changes nothing
    response = post_form(browser, url, url, {"action": "deactivate"})
    assert response.status_code == 302
    assert "ses sessions et ses jetons ne fonctionnent plus" in browser.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    assert stored(app, target.id).active is False
    assert their_browser.get("/coordination/").status_code == 302
    again = post_form(browser, url, url, {"action": "reactivate"})
    assert again.status_code == 302
    assert stored(app, target.id).active is True


def test_an_admin_cannot_deactivate_themselves_on_the_page(app: Flask, login_as: Login) -> None:
    browser, admin = login_as(Role.ADMIN)
    url = f"/admin/comptes/{admin.id}/activation"
    response = post_form(browser, url, url, {"action": "deactivate"})
    assert response.status_code == 409
    assert "votre propre compte" in response.get_data(as_text=True)
    assert stored(app, admin.id).active is True
    assert browser.get("/admin/comptes").status_code == 200


def test_an_admin_cannot_demote_themselves_on_the_page(app: Flask, login_as: Login) -> None:
    browser, admin = login_as(Role.ADMIN)
    page = f"/admin/comptes/{admin.id}"
    assert f'action="{page}/role"' not in browser.get(page).get_data(as_text=True)
    response = post_form(browser, page, f"{page}/role", {"role": "analyst"})
    assert response.status_code == 409
    assert "votre propre compte" in response.get_data(as_text=True)
    assert stored(app, admin.id).role == Role.ADMIN


def test_a_password_reset_needs_the_same_password_twice(
    app: Flask, login_as: Login, make_user: MakeUser
) -> None:
    browser, _ = login_as(Role.ADMIN)
    target = make_user(Role.ANALYST)
    page = f"/admin/comptes/{target.id}"
    new = "nouveau-mot-de-passe-solide"
    response = post_form(
        browser, page, f"{page}/mot-de-passe", {"password": new, "confirm": new + "x"}
    )
    assert response.status_code == 422
    assert "Les deux mots de passe diffèrent." in response.get_data(as_text=True)
    short = "x" * (accounts.MIN_PASSWORD_LENGTH - 1)
    response = post_form(
        browser, page, f"{page}/mot-de-passe", {"password": short, "confirm": short}
    )
    assert response.status_code == 422
    assert re.search(r'id="password-error">[^<]*Au moins', response.get_data(as_text=True))
    sign_in(app, target)  # the old password still works


def test_a_password_reset_ends_the_users_session_and_the_new_one_works(
    app: Flask, login_as: Login, make_user: MakeUser
) -> None:
    browser, _ = login_as(Role.ADMIN)
    target = make_user(Role.COORDINATOR)
    their_browser = sign_in(app, target)
    page = f"/admin/comptes/{target.id}"
    new = "nouveau-mot-de-passe-solide"
    response = post_form(browser, page, f"{page}/mot-de-passe", {"password": new, "confirm": new})
    assert response.status_code == 302
    assert "transmettez-le-lui à part" in browser.get(page).get_data(as_text=True)
    assert their_browser.get("/coordination/").status_code == 302
    assert sign_in(app, target, password=new).get("/coordination/").status_code == 200


def test_an_unknown_account_is_404(login_as: Login) -> None:
    browser, _ = login_as(Role.ADMIN)
    assert browser.get("/admin/comptes/999999").status_code == 404
    assert browser.get("/admin/comptes/999999/activation").status_code == 404
