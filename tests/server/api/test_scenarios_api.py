"""The scenario library through the API: create, edit, import and export as CSV."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from server.extensions import db
from server.models import Mission, Scenario
from tests.factories import Factory

Headers = Callable[..., dict[str, str]]


def _create(client: FlaskClient, headers: dict[str, str], **body: object):
    payload = {
        "network": "Préfecture",
        "channel": "visit",
        "title": "Carte d’identité",
        "text": "Vous avez perdu votre carte d’identité.",
        **body,
    }
    return client.post("/api/v1/scenarios", headers=headers, json=payload)


def test_create_list_and_edit_a_scenario(client: FlaskClient, token_for: Headers) -> None:
    headers = token_for("coordinator")
    created = _create(client, headers)
    assert created.status_code == 201, created.json
    listed = client.get("/api/v1/scenarios?network=Préfecture", headers=headers)
    assert [s["title"] for s in listed.json] == ["Carte d’identité"]
    patched = client.patch(
        f"/api/v1/scenarios/{created.json['id']}", headers=headers, json={"active": False}
    )
    assert patched.status_code == 200
    assert patched.json["active"] is False


def test_the_same_title_twice_for_a_network_and_channel_is_409(
    client: FlaskClient, token_for: Headers
) -> None:
    headers = token_for("coordinator")
    _create(client, headers)
    assert _create(client, headers).status_code == 409
    assert _create(client, headers, channel="phone").status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [({"channel": "pigeon"}, "channel"), ({"text": ""}, "text"), ({"network": ""}, "network")],
)
def test_bad_scenarios_are_422(
    client: FlaskClient, token_for: Headers, body: dict[str, str], field: str
) -> None:
    response = _create(client, token_for("coordinator"), **body)
    assert response.status_code == 422
    assert field in response.json["errors"]["json"]


def test_missions_take_their_scenario_from_the_library(
    client: FlaskClient, token_for: Headers, factory: Factory
) -> None:
    headers = token_for("coordinator")
    _create(client, headers, title="A", text="Scénario A")
    _create(client, headers, title="B", text="Scénario B")
    campaign = factory.campaign(2026)
    factory.site(campaign, network="Préfecture")
    factory.site(campaign, network="SIP")
    factory.wave(campaign, plan={"visit": 2})
    db.session.commit()
    texts = {
        (m.sampled_site.site.network, m.ordinal): m.scenario
        for m in db.session.scalars(select(Mission))
    }
    # The two visits of the préfecture play both scenarios; the SIP has none in the library.
    assert {texts[("Préfecture", 1)], texts[("Préfecture", 2)]} == {"Scénario A", "Scénario B"}
    assert texts[("SIP", 1)].startswith("Vous vous présentez à l’accueil")


def test_csv_export_imports_back_and_bad_lines_are_named(
    client: FlaskClient, token_for: Headers, session: object
) -> None:
    headers = token_for("coordinator")
    _create(client, headers, title="=HYPERLIEN(x)")
    exported = client.get("/api/v1/scenarios/export.csv", headers=headers)
    assert exported.status_code == 200
    text = exported.data.decode("utf-8-sig")
    assert text.splitlines()[0] == "reseau;canal;titre;texte;actif"
    assert "'=HYPERLIEN(x)" in text  # written as text, never a formula
    upload = (
        "reseau;canal;titre;texte;actif\n"
        "SIP;Appel;Prélèvement à la source;Vous appelez pour votre taux.;oui\n"
        "SIP;fax;Titre;Texte;oui\n"
        "SIP;phone;Prélèvement à la source;Doublon;oui\n"
        "SIP;email;Sans texte;;oui\n"
    ).encode()
    response = client.post(
        "/api/v1/scenarios/import",
        headers=headers,
        data={"file": (io.BytesIO(upload), "scenarios.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.json
    assert response.json["imported"] == 1
    assert [r["line"] for r in response.json["rejected"]] == [3, 4, 5]
    assert "ligne 2" in response.json["rejected"][1]["reason"]
    assert db.session.scalar(select(Scenario).where(Scenario.network == "SIP")).channel == "phone"


def test_a_file_without_the_columns_is_refused_whole(
    client: FlaskClient, token_for: Headers, session: object
) -> None:
    response = client.post(
        "/api/v1/scenarios/import",
        headers=token_for("coordinator"),
        data={"file": (io.BytesIO(b"nom;valeur\na;b\n"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "reseau, canal, titre, texte" in response.json["message"]
    assert db.session.scalar(select(Scenario.id)) is None
