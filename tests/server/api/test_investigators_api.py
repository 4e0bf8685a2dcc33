"""Coordinators create, list, read, change, deactivate and import investigators."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.extensions import db
from server.models import AuditEvent, Mission, MissionStatus, User
from tests.conftest import PASSWORD
from tests.factories import Factory

Headers = Callable[..., dict[str, str]]


@pytest.fixture
def factory(app: Flask) -> Factory:
    """Shadows conftest's ``factory``, which holds an app context (and so one ``g``) across
    every request of the test; use it inside ``with app.app_context()``."""
    with app.app_context():
        return Factory(db.session)


def payload(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "email": "enqueteur@example.fr",
        "name": "Inès Moreau",
        "password": PASSWORD,
        "home_commune": "Rennes",
        "home_latitude": 48.1113,
        "home_longitude": -1.6800,
        "capacity": 30,
        "channels": ["visit", "phone"],
        "active": True,
    }
    data.update(overrides)
    return data


def create(client: FlaskClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/investigators", headers=headers, json=payload(**overrides))
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def token_of(client: FlaskClient, email: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


# --- Creating and listing --------------------------------------------------------------------


def test_created_investigator_can_log_in_and_is_listed(
    client: FlaskClient, token_for: Headers
) -> None:
    headers = token_for("coordinator")
    created = client.post("/api/v1/investigators", headers=headers, json=payload())
    assert created.status_code == 201
    assert created.get_json()["home_commune"] == "Rennes"
    assert "password" not in created.get_json()
    listed = client.get("/api/v1/investigators", headers=headers).get_json()
    assert [i["email"] for i in listed] == ["enqueteur@example.fr"]
    login = client.post(
        "/api/v1/auth/token", json={"email": "enqueteur@example.fr", "password": PASSWORD}
    )
    assert login.get_json()["role"] == "investigator"


def test_creation_takes_visit_maximum_insee_code_and_unavailable_ranges(
    client: FlaskClient, token_for: Headers
) -> None:
    body = create(
        client,
        token_for("coordinator"),
        home_insee="2a004",
        visit_capacity=0,
        unavailable_dates=["2026-03-02..2026-03-04", "2026-04-01"],
    )
    assert (body["home_insee"], body["visit_capacity"], body["capacity"]) == ("2A004", 0, 30)
    assert body["unavailable_dates"] == ["2026-03-02", "2026-03-03", "2026-03-04", "2026-04-01"]
    assert body["active"] is True


def test_visit_maximum_defaults_to_the_capacity(client: FlaskClient, token_for: Headers) -> None:
    assert create(client, token_for("coordinator"))["visit_capacity"] == 30


def test_duplicate_email_is_a_409(client: FlaskClient, token_for: Headers) -> None:
    headers = token_for("coordinator")
    client.post("/api/v1/investigators", headers=headers, json=payload())
    again = client.post("/api/v1/investigators", headers=headers, json=payload(name="Autre"))
    assert again.status_code == 409
    assert "existe déjà" in again.get_json()["message"]


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"home_latitude": 123.0}, "home_latitude", "hors de l’intervalle"),
        ({"home_longitude": -200.0}, "home_longitude", "hors de l’intervalle"),
        ({"capacity": -1}, "capacity", "entier positif"),
        ({"capacity": 0}, "capacity", "doit être désactivée"),
        ({"visit_capacity": 31}, "visit_capacity", "dépasse la capacité (30)"),
        ({"visit_capacity": -1}, "visit_capacity", "négatif"),
        ({"home_insee": "3500"}, "home_insee", "Code INSEE invalide"),
        ({"home_insee": "2C001"}, "home_insee", "Code INSEE invalide"),
        ({"unavailable_dates": ["mardi"]}, "unavailable_dates", "AAAA-MM-JJ"),
        ({"channels": []}, "channels", "au moins un canal"),
        ({"password": "court"}, "password", "12"),
        ({"home_commune": "  "}, "home_commune", "obligatoire"),
    ],
)
def test_invalid_profiles_are_refused_per_field_in_french(
    client: FlaskClient, token_for: Headers, overrides: dict, field: str, words: str
) -> None:
    response = client.post(
        "/api/v1/investigators", headers=token_for("coordinator"), json=payload(**overrides)
    )
    assert response.status_code == 422
    assert words in " ".join(response.get_json()["errors"][field])


@pytest.mark.parametrize("missing", ["home_latitude", "home_longitude"])
def test_an_investigator_without_coordinates_is_refused(
    client: FlaskClient, token_for: Headers, missing: str
) -> None:
    body = payload()
    del body[missing]
    response = client.post("/api/v1/investigators", headers=token_for("coordinator"), json=body)
    assert response.status_code == 422
    assert (
        "Coordonnées du domicile obligatoires" in response.get_json()["errors"]["json"][missing][0]
    )


def test_unknown_channel_is_refused(client: FlaskClient, token_for: Headers) -> None:
    response = client.post(
        "/api/v1/investigators",
        headers=token_for("coordinator"),
        json=payload(channels=["visit", "pigeon"]),
    )
    assert response.status_code == 422
    assert "Canal inconnu" in json.dumps(response.get_json()["errors"]["json"]["channels"])


def test_list_filters_by_active_and_channel_and_paginates(
    client: FlaskClient, token_for: Headers
) -> None:
    headers = token_for("coordinator")
    create(client, headers, email="a@example.fr", name="Anne", channels=["visit"])
    create(client, headers, email="b@example.fr", name="Bruno", channels=["phone", "email"])
    create(client, headers, email="c@example.fr", name="Chloé", channels=["phone"], active=False)

    def emails(query: str) -> list[str]:
        response = client.get(f"/api/v1/investigators{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return [i["email"] for i in response.get_json()]

    assert emails("?channel=phone") == ["b@example.fr", "c@example.fr"]
    assert emails("?active=true") == ["a@example.fr", "b@example.fr"]
    assert emails("?active=false&channel=phone") == ["c@example.fr"]
    assert emails("?page=2&page_size=2") == ["c@example.fr"]
    response = client.get("/api/v1/investigators?page_size=2", headers=headers)
    assert json.loads(response.headers["X-Pagination"])["total"] == 3
    assert client.get("/api/v1/investigators?channel=pigeon", headers=headers).status_code == 422


def test_an_investigator_created_inactive_cannot_log_in(
    client: FlaskClient, token_for: Headers
) -> None:
    create(client, token_for("coordinator"), active=False)
    login = client.post(
        "/api/v1/auth/token", json={"email": "enqueteur@example.fr", "password": PASSWORD}
    )
    assert login.status_code == 401


# --- One investigator: read and change ---------------------------------------------------------


def test_get_one_investigator(client: FlaskClient, token_for: Headers) -> None:
    headers = token_for("coordinator")
    created = create(client, headers)
    response = client.get(f"/api/v1/investigators/{created['id']}", headers=headers)
    assert response.status_code == 200
    assert response.get_json() == created


def test_an_account_that_is_not_an_investigator_is_404(
    client: FlaskClient, token_for: Headers, make_user: Callable[..., User]
) -> None:
    headers = token_for("coordinator")
    other = make_user("analyst")
    for user_id in (other.id, 999_999):
        response = client.get(f"/api/v1/investigators/{user_id}", headers=headers)
        assert response.status_code == 404
        assert "introuvable" in response.get_json()["message"]
    patched = client.patch(f"/api/v1/investigators/{other.id}", headers=headers, json={})
    assert patched.status_code == 404


def test_patch_changes_only_the_fields_given_and_is_audited(
    app: Flask, client: FlaskClient, token_for: Headers
) -> None:
    headers = token_for("coordinator")
    created = create(client, headers, visit_capacity=10)
    response = client.patch(
        f"/api/v1/investigators/{created['id']}",
        headers=headers,
        json={"capacity": 12, "name": "Inès Moreau-Le Gall", "unavailable_dates": ["2026-05-01"]},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["capacity"], body["name"], body["visit_capacity"]) == (
        12,
        "Inès Moreau-Le Gall",
        10,
    )
    assert (body["home_commune"], body["channels"]) == ("Rennes", ["visit", "phone"])
    assert (body["unavailable_dates"], body["released_missions"]) == (["2026-05-01"], [])
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "investigator.update")
        )
        assert event is not None
        assert event.details["before"] == {
            "name": "Inès Moreau",
            "capacity": 30,
            "unavailable_dates": [],
        }
        assert event.details["after"]["capacity"] == 12


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"capacity": 0}, "capacity"),
        ({"capacity": 5}, "visit_capacity"),  # below the visit maximum of 10
        ({"home_latitude": None}, "home_latitude"),
        ({"home_insee": "ABCDE"}, "home_insee"),
        ({"name": ""}, "name"),
        ({"capacity": "beaucoup"}, "capacity"),
        ({"email": "autre@example.fr"}, "email"),  # not a field one may change
    ],
)
def test_patch_refuses_a_bad_profile_and_changes_nothing(
    client: FlaskClient, token_for: Headers, changes: dict, field: str
) -> None:
    headers = token_for("coordinator")
    created = create(client, headers, visit_capacity=10)
    url = f"/api/v1/investigators/{created['id']}"
    response = client.patch(url, headers=headers, json=changes)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert field in errors or field in errors.get("json", {})
    assert client.get(url, headers=headers).get_json() == created


def test_deactivation_turns_off_the_account_and_releases_open_missions(
    app: Flask, client: FlaskClient, token_for: Headers, factory: Factory
) -> None:
    headers = token_for("coordinator")
    created = create(client, headers)
    own = token_of(client, "enqueteur@example.fr")
    with app.app_context():
        mine = [
            factory.mission(assignee_id=created["id"], status=status).id
            for status in (MissionStatus.ASSIGNED, MissionStatus.OVERDUE, MissionStatus.DONE)
        ]
        db.session.commit()
    url = f"/api/v1/investigators/{created['id']}"
    response = client.patch(url, headers=headers, json={"active": False})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["active"] is False
    assert response.get_json()["released_missions"] == mine[:2]
    assert client.get("/api/v1/auth/me", headers=own).status_code == 401
    login = client.post(
        "/api/v1/auth/token", json={"email": "enqueteur@example.fr", "password": PASSWORD}
    )
    assert login.status_code == 401
    with app.app_context():
        missions = {m.id: m for m in db.session.scalars(select(Mission))}
        assert [missions[i].status for i in mine] == [
            MissionStatus.UNASSIGNED,
            MissionStatus.UNASSIGNED,
            MissionStatus.DONE,
        ]
        assert missions[mine[0]].reason == "Enquêteur désactivé : mission à réattribuer."
        assert missions[mine[0]].assignee_id is None
        assert missions[mine[2]].assignee_id == created["id"]
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"investigator.deactivate", "mission.unassign", "investigator.update"} <= actions


def test_reactivation_turns_the_account_back_on(client: FlaskClient, token_for: Headers) -> None:
    headers = token_for("coordinator")
    created = create(client, headers)
    own = token_of(client, "enqueteur@example.fr")
    url = f"/api/v1/investigators/{created['id']}"
    client.patch(url, headers=headers, json={"active": False})
    again = client.patch(url, headers=headers, json={"active": True})
    assert (again.status_code, again.get_json()["active"]) == (200, True)
    # The deactivation revoked the old token for good; a new login gives a working one.
    assert client.get("/api/v1/auth/me", headers=own).status_code == 401
    fresh = token_of(client, "enqueteur@example.fr")
    assert client.get("/api/v1/auth/me", headers=fresh).status_code == 200


# --- Import ------------------------------------------------------------------------------------

FILE = "\r\n".join(
    [
        "Courriel;Nom;Commune;Latitude;Longitude;Capacité;Canaux;Indisponibilités",
        "anne@example.fr;Anne Martin;Rennes;48,11;-1,68;20;visite, appel;2026-03-02..2026-03-03",
        "pas-une-adresse;Bruno;Brest;48,39;-4,49;10;appel;",
        "chloe@example.fr;Chloé;Vannes;;-2,76;10;appel;",
        "david@example.fr;David;Lorient;47,75;-3,37;0;appel;",
        "anne@example.fr;Anne bis;Rennes;48,11;-1,68;20;visite;",
    ]
).encode("cp1252")


def upload(client: FlaskClient, headers: dict[str, str], data: bytes, filename: str) -> Any:
    return client.post(
        "/api/v1/investigators/import",
        headers=headers,
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def investigator_count(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(User)) or 0)


def test_import_reports_imported_updated_and_rejected_lines(
    app: Flask, client: FlaskClient, token_for: Headers
) -> None:
    headers = token_for("coordinator")
    response = upload(client, headers, FILE, "enqueteurs.csv")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["imported"], body["updated"]) == (1, 0)
    assert body["password_reset_needed"] == ["anne@example.fr"]
    assert [r["line"] for r in body["rejected"]] == [3, 4, 5, 6]
    reasons = [r["reason"] for r in body["rejected"]]
    assert "Adresse électronique invalide" in reasons[0]
    assert "Coordonnées du domicile obligatoires" in reasons[1]
    assert "Capacité nulle" in reasons[2]
    assert "déjà présente ligne 2" in reasons[3]
    again = upload(client, headers, FILE, "enqueteurs.csv").get_json()
    assert (again["imported"], again["updated"], again["password_reset_needed"]) == (0, 1, [])


@pytest.mark.parametrize(
    ("data", "filename", "words"),
    [
        (b"courriel;nom\r\na@example.fr;A\r\n", "e.csv", "Colonnes obligatoires absentes"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, "photo.png", "Impossible de lire"),
        (b"PK\x03\x04 pas un vrai classeur", "e.xlsx", "classeur Excel"),
    ],
)
def test_a_file_refused_whole_is_a_422_and_writes_nothing(
    app: Flask, client: FlaskClient, token_for: Headers, data: bytes, filename: str, words: str
) -> None:
    headers = token_for("coordinator")
    before = investigator_count(app)
    response = upload(client, headers, data, filename)
    assert response.status_code == 422
    assert words in response.get_json()["message"]
    assert investigator_count(app) == before


def test_missing_columns_are_named_in_the_422(client: FlaskClient, token_for: Headers) -> None:
    response = upload(client, token_for("coordinator"), b"courriel;nom\r\na@b.fr;A\r\n", "e.csv")
    message = response.get_json()["message"]
    for column in (
        "commune (ou home_commune)",
        "latitude (ou home_latitude)",
        "capacite (ou capacity)",
    ):
        assert column in message


def test_import_without_a_file_is_refused(client: FlaskClient, token_for: Headers) -> None:
    response = client.post(
        "/api/v1/investigators/import", headers=token_for("coordinator"), data={}
    )
    assert response.status_code == 422


# --- Authorised before anything is read ----------------------------------------------------

BAD_BODIES: list[dict[str, Any]] = [
    {"data": "{pas du json", "content_type": "application/json"},
    {"json": {"capacity": "beaucoup", "home_latitude": "nord", "channels": 3}},
    {"json": payload()},
    {"data": {"file": (io.BytesIO(b"\x00\x01"), "x.bin")}, "content_type": "multipart/form-data"},
]
WRITES = [
    ("post", "/api/v1/investigators"),
    ("patch", "/api/v1/investigators/{id}"),
    ("post", "/api/v1/investigators/import"),
]
READS = [
    ("get", "/api/v1/investigators"),
    ("get", "/api/v1/investigators?active=peut-etre&page=x"),
    ("get", "/api/v1/investigators/{id}"),
]


def _call(client: FlaskClient, method: str, url: str, headers: dict[str, str], body: dict) -> Any:
    copy = dict(body)
    if "data" in copy and isinstance(copy["data"], dict):
        copy["data"] = {"file": (io.BytesIO(b"\x00\x01"), "x.bin")}
    return getattr(client, method)(url, headers=headers, **copy)


@pytest.fixture
def investigator_id(app: Flask, factory: Factory) -> int:
    with app.app_context():
        user = factory.investigator()
        db.session.commit()
        return int(user.id)


@pytest.mark.parametrize(("method", "url"), WRITES + READS)
def test_no_token_is_401_whatever_the_body(
    client: FlaskClient, investigator_id: int, method: str, url: str
) -> None:
    for body in BAD_BODIES:
        response = _call(client, method, url.format(id=investigator_id), {}, body)
        assert response.status_code == 401, body
        assert response.get_json()["code"] == "unauthorized"


@pytest.mark.parametrize("role", ["investigator", "analyst"])
@pytest.mark.parametrize(("method", "url"), WRITES + READS)
def test_another_role_is_403_whatever_the_body(
    client: FlaskClient, token_for: Headers, investigator_id: int, role: str, method: str, url: str
) -> None:
    headers = token_for(role)
    for body in BAD_BODIES:
        response = _call(client, method, url.format(id=investigator_id), headers, body)
        assert response.status_code == 403, body
        assert "Accès refusé" in response.get_json()["message"]


def test_an_admin_may_manage_investigators(client: FlaskClient, token_for: Headers) -> None:
    assert create(client, token_for("admin"))["email"] == "enqueteur@example.fr"
