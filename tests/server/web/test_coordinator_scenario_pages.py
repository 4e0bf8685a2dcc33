"""The scenario library's pages: the list with its filters, creating and editing a scenario,
switching it on and off, the CSV export and the CSV import with its report."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from server.extensions import db
from server.models import Scenario, User
from server.services import scenarios

pytestmark = pytest.mark.usefixtures("session")

Login = Callable[..., tuple[FlaskClient, User]]

LIBRARY = "/coordination/scenarios"


def token(html: str) -> str:
    found = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def post(browser: FlaskClient, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    html = browser.get(LIBRARY).get_data(as_text=True)
    return browser.post(url, data={"csrf_token": token(html), **data}, **kwargs)


def squash(html: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", html)


def add(network: str, channel: str, title: str, **kwargs: Any) -> Scenario:
    scenario = scenarios.create_scenario(
        db.session,
        network=network,
        channel=channel,
        title=title,
        text=kwargs.pop("text", f"Vous demandez : {title.lower()}."),
        actor=None,
        **kwargs,
    )
    db.session.commit()
    return scenario


@pytest.fixture
def library() -> list[Scenario]:
    return [
        add("Préfecture", "visit", "Carte d’identité"),
        add("Préfecture", "phone", "Permis de conduire"),
        add("SIP", "phone", "Prélèvement à la source", active=False),
    ]


def test_the_library_lists_its_scenarios_and_filters_them(
    login_as: Login, library: list[Scenario]
) -> None:
    browser, _ = login_as("coordinator")
    html = squash(browser.get(LIBRARY).get_data(as_text=True))
    assert "Scénarios 1–3 sur 3" in html
    assert f'<a href="{LIBRARY}/{library[0].id}">Carte d’identité</a>' in html
    assert "<td>Visite</td>" in html
    assert "Désactiver<span" in html
    assert "Activer<span" in html
    by_network = squash(
        browser.get(LIBRARY, query_string={"network": "SIP"}).get_data(as_text=True)
    )
    assert "Scénarios 1–1 sur 1 (filtrés)" in by_network
    assert "Prélèvement à la source" in by_network
    assert "Carte d’identité</a>" not in by_network
    by_channel = squash(
        browser.get(LIBRARY, query_string={"channel": "phone"}).get_data(as_text=True)
    )
    assert "sur 2 (filtrés)" in by_channel
    assert '<option value="phone" selected>Appel</option>' in by_channel


def test_the_list_is_paginated_and_keeps_its_filters(login_as: Login) -> None:
    for n in range(51):
        db.session.add(Scenario(network="CAF", channel="email", title=f"Demande {n:02d}", text="…"))
    db.session.commit()
    browser, _ = login_as("coordinator")
    html = squash(browser.get(LIBRARY, query_string={"network": "CAF"}).get_data(as_text=True))
    assert "Scénarios 1–50 sur 51 (filtrés)" in html
    assert f'href="{LIBRARY}?page=2&amp;network=CAF" rel="next"' in html
    second = squash(
        browser.get(LIBRARY, query_string={"network": "CAF", "page": 2}).get_data(as_text=True)
    )
    assert "Scénarios 51–51 sur 51 (filtrés)" in second


def scenario_data(**fields: Any) -> dict[str, Any]:
    data = {
        "network": "Préfecture",
        "channel": "email",
        "title": "Titre de séjour",
        "text": "Vous demandez les pièces pour renouveler un titre de séjour.",
        "active": "y",
    }
    data.update(fields)
    return data


def test_creating_a_scenario_adds_it_to_the_library(login_as: Login) -> None:
    browser, _ = login_as("coordinator")
    response = post(browser, LIBRARY, scenario_data())
    assert response.status_code == 302
    assert response.headers["Location"] == f"{LIBRARY}?network=Pr%C3%A9fecture&channel=email"
    stored = db.session.scalar(select(Scenario))
    assert stored is not None
    assert (stored.network, stored.channel, stored.active) == ("Préfecture", "email", True)
    html = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Scénario « Titre de séjour » ajouté." in html


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"title": ""}, 422, "Indiquez un titre court."),
        ({"text": ""}, 422, "Écrivez le scénario."),
        ({"channel": "fax"}, 422, "Choisissez un des canaux proposés."),
        ({"network": ""}, 422, "Indiquez le réseau."),
        ({"title": "Carte d’identité", "channel": "visit"}, 409, "existe déjà pour Préfecture"),
    ],
)
def test_a_bad_scenario_is_refused_next_to_its_field(
    login_as: Login, library: list[Scenario], fields: dict[str, Any], status: int, message: str
) -> None:
    browser, _ = login_as("coordinator")
    response = post(browser, LIBRARY, scenario_data(**fields))
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert message in html
    assert 'class="error-summary"' in html
    assert db.session.scalar(select(Scenario).where(Scenario.title == "Titre de séjour")) is None


def test_editing_a_scenario(login_as: Login, library: list[Scenario]) -> None:
    scenario = library[0]
    browser, _ = login_as("coordinator")
    page = f"{LIBRARY}/{scenario.id}"
    html = browser.get(page).get_data(as_text=True)
    assert 'value="Carte d’identité"' in html
    assert "Vous demandez : carte d’identité." in html
    response = post(
        browser,
        page,
        scenario_data(channel="visit", title="Carte d’identité", text="Nouveau texte."),
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Scenario, scenario.id).text == "Nouveau texte."
    clash = post(browser, page, scenario_data(channel="phone", title="Permis de conduire"))
    assert clash.status_code == 409
    assert "Un autre scénario porte déjà ce titre" in clash.get_data(as_text=True)


def test_a_scenario_is_switched_off_and_on(login_as: Login, library: list[Scenario]) -> None:
    scenario = library[0]
    browser, _ = login_as("coordinator")
    url = f"{LIBRARY}/{scenario.id}/activation"
    response = post(browser, url, {"network": "Préfecture", "page": "1"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{LIBRARY}?network=Pr%C3%A9fecture&page=1"
    db.session.expire_all()
    assert db.session.get(Scenario, scenario.id).active is False
    assert "Scénario « Carte d’identité » désactivé." in browser.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    post(browser, url, {})
    db.session.expire_all()
    assert db.session.get(Scenario, scenario.id).active is True


def test_the_csv_export_holds_the_filtered_library(
    login_as: Login, library: list[Scenario]
) -> None:
    browser, _ = login_as("coordinator")
    response = browser.get(f"{LIBRARY}.csv", query_string={"channel": "phone"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["reseau", "canal", "titre", "texte", "actif"]
    assert sorted(row[2] for row in rows[1:]) == ["Permis de conduire", "Prélèvement à la source"]
    assert {row[1] for row in rows[1:]} == {"Appel"}


def upload(browser: FlaskClient, data: bytes, filename: str = "scenarios.csv") -> Any:
    return post(
        browser,
        f"{LIBRARY}/import",
        {"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_importing_a_csv_reports_added_updated_and_rejected_lines(
    login_as: Login, library: list[Scenario]
) -> None:
    data = (
        "reseau;canal;titre;texte;actif\n"
        "Préfecture;Visite;Carte d’identité;Texte mis à jour;oui\n"
        "CAF;Courriel;Allocations;Vous demandez vos droits.;oui\n"
        "CAF;Fax;Télécopie;…;oui\n"
        "CAF;Appel;Sans texte;;non\n"
    ).encode()
    browser, _ = login_as("coordinator")
    response = upload(browser, data)
    html = squash(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "1 scénario ajouté, 1 mis à jour, 2 lignes rejetées." in html
    assert '<td class="num">4</td><td>Canal inconnu « Fax »' in html
    assert '<td class="num">5</td><td>Texte du scénario obligatoire.</td>' in html
    db.session.expire_all()
    assert db.session.get(Scenario, library[0].id).text == "Texte mis à jour"
    assert db.session.scalar(select(Scenario).where(Scenario.network == "CAF")) is not None


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.png", "octets nuls"),
        (b"PK\x03\x04 not really a workbook", "scenarios.xlsx", "Fichier refusé"),
        (b"", "vide.csv", "Le fichier est vide."),
        (b"nom;adresse\nA;B\n", "sites.csv", "Colonnes obligatoires absentes : reseau, canal"),
    ],
)
def test_a_file_that_is_not_a_scenario_csv_is_refused_whole(
    login_as: Login, data: bytes, filename: str, message: str
) -> None:
    browser, _ = login_as("coordinator")
    response = upload(browser, data, filename)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Fichier refusé, rien n’a été importé." in html
    assert message in html
    assert db.session.scalar(select(Scenario)) is None


def test_importing_without_a_file_asks_for_one(login_as: Login) -> None:
    browser, _ = login_as("coordinator")
    response = post(browser, f"{LIBRARY}/import", {}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choisissez le fichier CSV à importer." in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["analyst", "investigator"])
def test_only_coordinators_use_the_library(
    login_as: Login, library: list[Scenario], role: str
) -> None:
    browser, _ = login_as(role)
    assert browser.get(LIBRARY).status_code == 403
    assert browser.get(f"{LIBRARY}/{library[0].id}").status_code == 403
    assert browser.get(f"{LIBRARY}.csv").status_code == 403
    home = browser.get("/analyse/" if role == "analyst" else "/missions").get_data(as_text=True)
    response = browser.post(LIBRARY, data={"csrf_token": token(home), **scenario_data()})
    assert response.status_code == 403
    assert db.session.scalar(select(Scenario).where(Scenario.title == "Titre de séjour")) is None


def test_strangers_are_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get(LIBRARY)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
