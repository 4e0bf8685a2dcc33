"""Sign-in, sign-out, CSRF and the home page of each role."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.extensions import db
from tests.conftest import PASSWORD, csrf_token_from
from tests.factories import Factory

#: Campaigns point at a stored référentiel, as a fresh install has them.
pytestmark = pytest.mark.usefixtures("shipped_referentiels")


def test_login_page_is_french_and_phone_friendly(client: FlaskClient) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert 'name="viewport"' in html
    assert '<label for="email">Adresse électronique</label>' in html
    assert "Se connecter" in html
    assert "https://" not in html  # no CDN


def test_anonymous_visitor_is_sent_to_login(client: FlaskClient) -> None:
    response = client.get("/coordination/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    ("role", "home"),
    [
        ("coordinator", "/coordination/"),
        ("analyst", "/analyse/"),
        ("investigator", "/missions"),
        ("admin", "/admin/"),
    ],
)
def test_each_role_lands_on_its_home(
    login_as: Callable[..., tuple[FlaskClient, object]], role: str, home: str
) -> None:
    browser, _ = login_as(role)
    response = browser.get("/")
    assert response.headers["Location"] == home
    assert browser.get(home).status_code == 200


def _post_login(client: FlaskClient, email: str, password: str) -> tuple[int, str]:
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    return response.status_code, response.get_data(as_text=True)


def test_wrong_password_shows_a_clear_message(
    client: FlaskClient, make_user: Callable[..., object]
) -> None:
    user = make_user("coordinator")
    status, html = _post_login(client, user.email, "pas-le-bon-mot")  # type: ignore[attr-defined]
    assert status == 401
    assert "Adresse électronique ou mot de passe incorrect." in html


def test_unknown_user_gets_the_same_message(client: FlaskClient) -> None:
    status, html = _post_login(client, "personne@example.fr", PASSWORD)
    assert status == 401
    assert "Adresse électronique ou mot de passe incorrect." in html


def test_repeated_failures_lock_the_login_form(
    client: FlaskClient, make_user: Callable[..., object]
) -> None:
    user = make_user("coordinator")
    for _ in range(5):
        _post_login(client, user.email, "pas-le-bon-mot")  # type: ignore[attr-defined]
    status, html = _post_login(client, user.email, PASSWORD)  # type: ignore[attr-defined]
    assert status == 429
    assert "Trop de tentatives de connexion" in html


def test_empty_fields_are_reported_per_field(client: FlaskClient) -> None:
    status, html = _post_login(client, "", "")
    assert status == 400
    assert "Indiquez votre adresse électronique." in html
    assert 'aria-invalid="true"' in html


def test_login_without_csrf_token_is_refused(
    client: FlaskClient, make_user: Callable[..., object]
) -> None:
    user = make_user("coordinator")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})  # type: ignore[attr-defined]
    assert response.status_code == 400
    assert "jeton de sécurité" in response.get_data(as_text=True)


def test_logout_requires_csrf_and_signs_out(
    login_as: Callable[..., tuple[FlaskClient, object]],
) -> None:
    browser, _ = login_as("analyst")
    assert browser.post("/logout").status_code == 400
    page = browser.get("/analyse/").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    assert browser.get("/analyse/").status_code == 302


def test_login_ignores_an_offsite_next(
    client: FlaskClient, make_user: Callable[..., object]
) -> None:
    user = make_user("analyst")
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=https://evil.example/x",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},  # type: ignore[attr-defined]
    )
    assert response.headers["Location"] == "/analyse/"


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("investigator", "/coordination/"),
        ("investigator", "/analyse/"),
        ("analyst", "/coordination/"),
        ("coordinator", "/admin/"),
        ("coordinator", "/missions"),
    ],
)
def test_a_role_reaching_another_roles_page_gets_a_clear_403(
    login_as: Callable[..., tuple[FlaskClient, object]], role: str, path: str
) -> None:
    browser, _ = login_as(role)
    response = browser.get(path)
    assert response.status_code == 403
    assert "Accès refusé : votre rôle" in response.get_data(as_text=True)


def test_coordinator_home_shows_the_frame_by_network_and_region(
    app: Flask, factory: Factory, login_as: Callable[..., tuple[FlaskClient, object]]
) -> None:
    campaign = factory.campaign(2026)
    for network, region in [
        ("Préfecture", "Bretagne"),
        ("Préfecture", "Normandie"),
        ("Sous-préfecture", "Bretagne"),
    ]:
        factory.site(campaign, network=network, region=region)
    db.session.commit()
    browser, _ = login_as("coordinator")
    html = browser.get("/coordination/").get_data(as_text=True)
    assert "Baromètre 2026" in html
    assert "<strong>3</strong> sites dans la base de sondage" in html
    assert '<th scope="row">Préfecture</th><td class="num">2</td>' in html
    assert '<th scope="row">Bretagne</th><td class="num">2</td>' in html


def test_bad_campaign_parameter_is_a_clear_error(
    login_as: Callable[..., tuple[FlaskClient, object]],
) -> None:
    browser, _ = login_as("coordinator")
    assert browser.get("/coordination/?campaign=abc").status_code == 400
    response = browser.get("/coordination/?campaign=4242")
    assert response.status_code == 404
    assert "Campagne 4242 introuvable." in response.get_data(as_text=True)


def test_investigator_without_missions_is_told_so(
    login_as: Callable[..., tuple[FlaskClient, object]],
) -> None:
    browser, _ = login_as("investigator")
    html = browser.get("/missions").get_data(as_text=True)
    assert "Aucune mission ne vous est attribuée" in html


def test_unknown_page_is_a_french_404(client: FlaskClient) -> None:
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert "Ressource introuvable." in response.get_data(as_text=True)


def test_coordinator_home_lists_investigators(
    app: Flask, login_as: Callable[..., tuple[FlaskClient, object]]
) -> None:
    from server.services.investigators import create_investigator

    with app.app_context():
        create_investigator(
            db.session,
            email="ines@example.fr",
            name="Inès Moreau",
            password=PASSWORD,
            home_commune="Rennes",
            home_latitude=48.11,
            home_longitude=-1.68,
            capacity=25,
            channels=["phone", "visit"],
            actor=None,
        )
        db.session.commit()
    browser, _ = login_as("coordinator")
    html = browser.get("/coordination/").get_data(as_text=True)
    assert "Inès Moreau" in html
    assert "<td>Visite, Appel</td>" in html
    assert "<strong>1</strong> enquêteurs actifs sur 1" in html
