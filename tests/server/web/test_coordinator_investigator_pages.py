"""The coordinator's investigator pages: list, new account, profile, (de)activation, import."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.extensions import db
from server.models import Mission, MissionStatus, User
from server.services import investigators
from tests.conftest import PASSWORD, csrf_token_from
from tests.factories import Factory

Login = Callable[..., tuple[FlaskClient, User]]


def flat(html: str) -> str:
    return " ".join(html.split())


def field_error(html: str, field: str) -> str:
    """The message shown next to ``field`` (empty when there is none)."""
    found = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', html, re.S)
    return found.group(1) if found else ""


def make_investigator(app: Flask, factory: Factory, **overrides: Any) -> int:
    with app.app_context():
        user = factory.investigator(**overrides)
        db.session.commit()
        return int(user.id)


def post_form(browser: FlaskClient, url: str, data: dict[str, Any], **options: Any) -> Any:
    token = csrf_token_from(browser.get(url).get_data(as_text=True))
    return browser.post(url, data={"csrf_token": token, **data}, **options)


GOOD = {
    "email": "ines@example.fr",
    "password": PASSWORD,
    "name": "Inès Moreau",
    "home_commune": "Rennes",
    "home_insee": "35238",
    "home_latitude": "48,1113",
    "home_longitude": "-1,68",
    "capacity": "30",
    "visit_capacity": "10",
    "channels": ["visit", "phone"],
    "unavailable_dates": "2026-03-02..2026-03-04\n2026-04-01",
}


# --- Who may see the pages -----------------------------------------------------------------

PAGES = [
    "/coordination/enqueteurs",
    "/coordination/enqueteurs/nouveau",
    "/coordination/enqueteurs/{id}",
    "/coordination/enqueteurs/{id}/activation",
    "/coordination/enqueteurs/import",
]
FORMS = PAGES[1:]


@pytest.fixture
def factory(app: Flask) -> Factory:
    """Shadows conftest's ``factory``, which holds an app context for the whole test: its
    ``g`` would outlive each request, and Flask-Login caches the signed-in user there, so one
    test client's login would leak into the next. Use it inside ``with app.app_context()``."""
    with app.app_context():
        return Factory(db.session)


@pytest.fixture
def someone(app: Flask, factory: Factory) -> int:
    return make_investigator(app, factory)


@pytest.fixture
def no_csrf(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Forms without their token are refused (400) before any view runs; switched off to
    show what the views themselves answer."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(
    client: FlaskClient, someone: int, page: str, no_csrf: None
) -> None:
    url = page.format(id=someone)
    answers = [client.get(url)] + ([client.post(url, data={})] if page in FORMS else [])
    for response in answers:
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["investigator", "analyst"])
def test_other_roles_are_refused(
    app: Flask, login_as: Login, someone: int, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser, _ = login_as(role)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)  # see ``no_csrf``
    for page in PAGES:
        url = page.format(id=someone)
        assert browser.get(url).status_code == 403, url
        if page in FORMS:
            assert browser.post(url, data={"action": "deactivate"}).status_code == 403, url
    with app.app_context():
        assert db.session.get(User, someone).active is True


def test_a_form_posted_without_its_token_is_refused_before_anything(
    app: Flask, client: FlaskClient, someone: int
) -> None:
    url = f"/coordination/enqueteurs/{someone}/activation"
    assert client.post(url, data={"action": "deactivate"}).status_code == 400
    with app.app_context():
        assert db.session.get(User, someone).active is True


# --- The list ------------------------------------------------------------------------------


def test_list_shows_profiles_with_french_channel_labels(
    app: Flask, login_as: Login, factory: Factory
) -> None:
    make_investigator(
        app,
        factory,
        name="Inès Moreau",
        home_commune="Rennes",
        capacity=30,
        visit_capacity=0,
        channels=["phone", "website"],
    )
    browser, _ = login_as("coordinator")
    response = browser.get("/coordination/enqueteurs")
    html = flat(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Inès Moreau" in html
    assert "<td>Rennes</td>" in html
    assert "<td>Appel, Site internet</td>" in html
    assert (
        '<td class="num">30</td> <td class="num">0</td> <td class="num">0</td> <td>oui</td>' in html
    )
    assert 'href="/coordination/enqueteurs/nouveau"' in html
    assert 'href="/coordination/enqueteurs/import"' in html


def test_list_shows_the_load_in_open_waves(app: Flask, login_as: Login, factory: Factory) -> None:
    with app.app_context():
        person = factory.investigator(capacity=7, visit_capacity=3)
        factory.mission(assignee_id=person.id, status=MissionStatus.ASSIGNED)
        db.session.commit()
    browser, _ = login_as("coordinator")
    html = flat(browser.get("/coordination/enqueteurs").get_data(as_text=True))
    assert '<td class="num">7</td> <td class="num">3</td> <td class="num">1</td>' in html


def test_list_is_paginated_fifty_per_page(app: Flask, login_as: Login, factory: Factory) -> None:
    with app.app_context():
        for n in range(51):
            factory.investigator(name=f"Enquêteur {n:02d}", password=None)
        db.session.commit()
    browser, _ = login_as("coordinator")
    first = browser.get("/coordination/enqueteurs").get_data(as_text=True)
    assert first.count('<th scope="row">') == 50
    assert "51 enquêteurs · page 1 sur 2" in first
    assert 'href="/coordination/enqueteurs?page=2"' in first
    second = browser.get("/coordination/enqueteurs?page=2").get_data(as_text=True)
    assert second.count('<th scope="row">') == 1
    assert "Enquêteur 50" in second
    assert 'href="/coordination/enqueteurs?page=1"' in second
    assert browser.get("/coordination/enqueteurs?page=99").status_code == 200


# --- Creating ------------------------------------------------------------------------------


def test_new_form_has_labelled_fields_and_a_password_of_minimum_length(login_as: Login) -> None:
    browser, _ = login_as("coordinator")
    html = browser.get("/coordination/enqueteurs/nouveau").get_data(as_text=True)
    assert 'name="csrf_token"' in html
    assert '<label for="password">Mot de passe initial</label>' in html
    assert "Au moins 12 caractères" in html
    for field in ("email", "home_commune", "home_latitude", "capacity", "unavailable_dates"):
        assert f'<label for="{field}">' in html


def test_creating_an_investigator_who_can_then_log_in(app: Flask, login_as: Login) -> None:
    browser, _ = login_as("coordinator")
    response = post_form(browser, "/coordination/enqueteurs/nouveau", GOOD)
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ines@example.fr"))
        assert user is not None
        values = investigators.profile_values(user)
    assert response.headers["Location"].endswith(f"/coordination/enqueteurs/{user.id}")
    assert (values["home_latitude"], values["capacity"], values["visit_capacity"]) == (
        48.1113,
        30,
        10,
    )
    assert values["channels"] == ["visit", "phone"]
    assert values["unavailable_dates"] == ["2026-03-02", "2026-03-03", "2026-03-04", "2026-04-01"]
    login = app.test_client().post(
        "/api/v1/auth/token", json={"email": "ines@example.fr", "password": PASSWORD}
    )
    assert login.status_code == 201
    assert "Enquêteur « Inès Moreau » créé." in browser.get(response.headers["Location"]).get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"capacity": "0"}, "capacity", "Capacité nulle refusée"),
        ({"capacity": ""}, "capacity", "Capacité par vague obligatoire"),
        ({"home_latitude": ""}, "home_latitude", "Coordonnées du domicile obligatoires"),
        ({"home_longitude": ""}, "home_longitude", "Coordonnées du domicile obligatoires"),
        ({"home_latitude": "nord"}, "home_latitude", "Nombre attendu"),
        ({"home_latitude": "95"}, "home_latitude", "hors de l’intervalle"),
        ({"visit_capacity": "31"}, "visit_capacity", "dépasse la capacité (30)"),
        ({"home_insee": "2C123"}, "home_insee", "Code INSEE invalide"),
        ({"unavailable_dates": "le 3 mars"}, "unavailable_dates", "AAAA-MM-JJ"),
        ({"channels": []}, "channels", "au moins un canal"),
        ({"password": "court"}, "password", "Au moins 12 caractères"),
        ({"email": "pas-une-adresse"}, "email", "Adresse électronique invalide"),
        ({"name": ""}, "name", "Indiquez le nom"),
    ],
)
def test_a_bad_new_profile_shows_the_error_next_to_its_field(
    app: Flask, login_as: Login, changes: dict[str, Any], field: str, words: str
) -> None:
    browser, _ = login_as("coordinator")
    response = post_form(browser, "/coordination/enqueteurs/nouveau", {**GOOD, **changes})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    if field == "channels":
        assert words in html  # a fieldset's error, above its checkboxes
    else:
        assert words in field_error(html, field)
    assert "Rien n’a été enregistré" in html
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "ines@example.fr")) is None


def test_an_email_already_used_is_shown_next_to_the_email(
    login_as: Login, make_user: Callable[..., User]
) -> None:
    make_user("analyst", email="ines@example.fr")
    browser, _ = login_as("coordinator")
    response = post_form(browser, "/coordination/enqueteurs/nouveau", GOOD)
    assert response.status_code == 422
    assert "Déjà utilisée." in field_error(response.get_data(as_text=True), "email")


def test_a_form_without_its_csrf_token_is_refused(login_as: Login) -> None:
    browser, _ = login_as("coordinator")
    response = browser.post("/coordination/enqueteurs/nouveau", data=GOOD)
    assert response.status_code == 400


# --- Editing -------------------------------------------------------------------------------


def test_edit_form_shows_the_stored_profile(app: Flask, login_as: Login, factory: Factory) -> None:
    user_id = make_investigator(
        app,
        factory,
        home_latitude=48.1113,
        unavailable_dates=["2026-03-02", "2026-03-03", "2026-03-04", "2026-04-01"],
    )
    browser, _ = login_as("coordinator")
    html = browser.get(f"/coordination/enqueteurs/{user_id}").get_data(as_text=True)
    assert 'value="48,1113"' in html
    assert "2026-03-02..2026-03-04, 2026-04-01" in html
    assert "Désactiver…" in html
    assert 'name="password"' not in html


def test_editing_changes_the_profile(app: Flask, login_as: Login, factory: Factory) -> None:
    user_id = make_investigator(app, factory, name="Anne", capacity=20, visit_capacity=5)
    browser, _ = login_as("coordinator")
    url = f"/coordination/enqueteurs/{user_id}"
    data = {k: v for k, v in GOOD.items() if k not in ("email", "password")}
    response = post_form(browser, url, {**data, "capacity": "12", "visit_capacity": ""})
    assert response.status_code == 302
    assert "Profil enregistré." in browser.get(url).get_data(as_text=True)
    with app.app_context():
        values = investigators.profile_values(db.session.get(User, user_id))
    assert (values["name"], values["capacity"], values["visit_capacity"]) == ("Inès Moreau", 12, 12)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"capacity": "0"}, "capacity", "Capacité nulle refusée"),
        ({"home_latitude": ""}, "home_latitude", "Coordonnées du domicile obligatoires"),
        ({"visit_capacity": "40"}, "visit_capacity", "dépasse la capacité"),
        ({"unavailable_dates": "2026-03-09..2026-03-02"}, "unavailable_dates", "à l’envers"),
    ],
)
def test_a_bad_edit_shows_the_error_and_changes_nothing(
    app: Flask,
    login_as: Login,
    factory: Factory,
    changes: dict[str, Any],
    field: str,
    words: str,
) -> None:
    user_id = make_investigator(app, factory, capacity=30)
    browser, _ = login_as("coordinator")
    data = {k: v for k, v in GOOD.items() if k not in ("email", "password")}
    response = post_form(browser, f"/coordination/enqueteurs/{user_id}", {**data, **changes})
    assert response.status_code == 422
    assert words in field_error(response.get_data(as_text=True), field)
    with app.app_context():
        assert (
            investigators.profile_values(db.session.get(User, user_id))["home_commune"] == "Vitré"
        )


def test_an_unknown_investigator_is_404(login_as: Login) -> None:
    browser, _ = login_as("coordinator")
    assert browser.get("/coordination/enqueteurs/999999").status_code == 404


# --- Deactivation ----------------------------------------------------------------------------


def log_in(app: Flask, email: str) -> FlaskClient:
    browser = app.test_client()
    token = csrf_token_from(browser.get("/login").get_data(as_text=True))
    response = browser.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return browser


def test_deactivation_asks_to_confirm_then_releases_the_open_missions(
    app: Flask, login_as: Login, factory: Factory
) -> None:
    with app.app_context():
        person = factory.investigator(email="ines@example.fr", name="Inès Moreau")
        mission = factory.mission(assignee_id=person.id, status=MissionStatus.ASSIGNED)
        user_id, mission_id = person.id, mission.id
        db.session.commit()
    phone = log_in(app, "ines@example.fr")
    assert phone.get("/missions").status_code == 200
    browser, _ = login_as("coordinator")
    url = f"/coordination/enqueteurs/{user_id}/activation"
    confirm = flat(browser.get(url).get_data(as_text=True))
    assert "Missions en cours qui seront reprises" in confirm
    assert f'<td class="num">{mission_id}</td>' in confirm
    assert "Confirmer la désactivation" in confirm
    with app.app_context():  # nothing happens before the confirmation
        assert db.session.get(User, user_id).active is True

    response = post_form(browser, url, {"action": "deactivate"})
    html = flat(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Inès Moreau est désactivé" in html
    assert "Missions reprises, à réattribuer" in html
    assert f'<td class="num">{mission_id}</td>' in html
    assert "Confirmer la réactivation" in html
    with app.app_context():
        user = db.session.get(User, user_id)
        assert (user.active, user.investigator_profile.active) == (False, False)
        released = db.session.get(Mission, mission_id)
        assert (released.status, released.assignee_id) == (MissionStatus.UNASSIGNED, None)
    gone = phone.get("/missions")
    assert gone.status_code == 302
    assert "/login" in gone.headers["Location"]


def test_a_resent_deactivation_does_not_flip_the_state_back(
    app: Flask, login_as: Login, factory: Factory
) -> None:
    user_id = make_investigator(app, factory)
    browser, _ = login_as("coordinator")
    url = f"/coordination/enqueteurs/{user_id}/activation"
    token = csrf_token_from(browser.get(url).get_data(as_text=True))
    for _ in range(2):
        browser.post(url, data={"csrf_token": token, "action": "deactivate"})
    with app.app_context():
        assert db.session.get(User, user_id).active is False


def test_reactivation_turns_profile_and_account_back_on(
    app: Flask, login_as: Login, factory: Factory
) -> None:
    user_id = make_investigator(app, factory, email="ines@example.fr", active=False)
    browser, _ = login_as("coordinator")
    url = f"/coordination/enqueteurs/{user_id}/activation"
    assert "Confirmer la réactivation" in browser.get(url).get_data(as_text=True)
    response = post_form(browser, url, {"action": "reactivate"})
    assert "est de nouveau actif" in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, user_id)
        assert (user.active, user.investigator_profile.active) == (True, True)
    log_in(app, "ines@example.fr")


def test_an_activation_form_with_a_forged_action_is_refused(
    app: Flask, login_as: Login, factory: Factory
) -> None:
    user_id = make_investigator(app, factory)
    browser, _ = login_as("coordinator")
    response = post_form(browser, f"/coordination/enqueteurs/{user_id}/activation", {"action": "x"})
    assert response.status_code == 422


# --- Import ------------------------------------------------------------------------------------

FILE = "\r\n".join(
    [
        "Courriel;Nom;Commune;Latitude;Longitude;Capacité;Visites max;Canaux",  # 1
        "anne@example.fr;Anne Martin;Rennes;48,11;-1,68;20;5;visite, appel",  # 2
        "pas-une-adresse;Bruno;Brest;48,39;-4,49;10;;appel",  # 3
        "chloe@example.fr;Chloé;Vannes;;-2,76;10;;appel",  # 4: no latitude
        "david@example.fr;David;Lorient;47,75;-3,37;0;;appel",  # 5: capacity 0
        "",  # 6: blank
        "emma@example.fr;Emma;Quimper;48,0;-4,1;10;;pigeon",  # 7: unknown channel
        "anne@example.fr;Anne bis;Rennes;48,11;-1,68;20;;visite",  # 8: repeated
    ]
).encode("cp1252")


def upload(browser: FlaskClient, data: bytes, filename: str = "enqueteurs.csv") -> Any:
    url = "/coordination/enqueteurs/import"
    return post_form(
        browser,
        url,
        {"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def user_count(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(User)) or 0)


def test_import_page_explains_the_columns(login_as: Login) -> None:
    browser, _ = login_as("coordinator")
    html = browser.get("/coordination/enqueteurs/import").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert "<code>capacite (ou capacity)</code>" in html


def test_import_reports_the_rejected_lines_with_their_number_and_reason(
    app: Flask, login_as: Login
) -> None:
    browser, _ = login_as("coordinator")
    response = upload(browser, FILE)
    html = flat(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "1 enquêteur ajouté, 0 mis à jour, 5 lignes rejetées." in html
    rejected = [int(cell.split("</td>")[0]) for cell in html.split('<tr><td class="num">')[1:]]
    assert rejected == [3, 4, 5, 7, 8]
    assert "Adresse électronique invalide : « pas-une-adresse »." in html
    assert "Coordonnées du domicile obligatoires" in html
    assert "Capacité nulle refusée" in html
    assert "Canal inconnu : « pigeon »" in html
    assert "Adresse « anne@example.fr » déjà présente ligne 2." in html
    assert "sans mot de passe utilisable" in html
    assert "<li>anne@example.fr</li>" in html
    assert "Encodage détecté : Windows-1252" in html
    again = flat(upload(browser, FILE).get_data(as_text=True))
    assert "0 enquêteur ajouté, 1 mis à jour, 5 lignes rejetées." in again


@pytest.mark.parametrize(
    ("data", "filename", "words"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, "photo.png", "Impossible de lire"),
        (b"courriel;nom;commune\r\na@example.fr;A;Rennes\r\n", "e.csv", "latitude"),
        (b"", "e.csv", "Le fichier est vide."),
    ],
    ids=["not-a-csv", "missing-columns", "empty"],
)
def test_a_file_refused_whole_says_why_and_writes_nothing(
    app: Flask, login_as: Login, data: bytes, filename: str, words: str
) -> None:
    browser, _ = login_as("coordinator")
    before = user_count(app)
    response = upload(browser, data, filename)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Fichier refusé, rien n’a été importé." in html
    assert words in html
    assert user_count(app) == before


def test_missing_columns_are_named(login_as: Login) -> None:
    browser, _ = login_as("coordinator")
    html = upload(browser, b"courriel;nom;commune\r\na@example.fr;A;Rennes\r\n").get_data(
        as_text=True
    )
    assert "Colonnes obligatoires absentes : latitude (ou home_latitude)" in html
    assert "capacite (ou capacity)" in html


def test_posting_without_a_file_asks_for_one(login_as: Login) -> None:
    browser, _ = login_as("coordinator")
    response = post_form(
        browser, "/coordination/enqueteurs/import", {}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "Choisissez le fichier CSV ou XLSX à importer." in field_error(
        response.get_data(as_text=True), "file"
    )
