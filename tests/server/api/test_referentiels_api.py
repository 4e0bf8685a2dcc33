"""Référentiels and questionnaires through the API: reading, XLSForm, publishing versions.

Publishing the same (code, version) again with the same content answers 200 with the row
already stored (idempotent, nothing written); a new version answers 201.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pyxform.xls2xform import convert  # type: ignore[import-untyped]  # pyxform has no stubs
from sqlalchemy import func, select

import survey_schemas
from server.extensions import db
from server.models import AuditEvent, Questionnaire, Referentiel
from server.services import definitions, referentiels

Headers = dict[str, str]
Document = dict[str, Any]


def marianne() -> Document:
    return copy.deepcopy(dict(survey_schemas.shipped_referentiel("marianne", 1).document))


def phone_questionnaire() -> Document:
    shipped = survey_schemas.shipped_questionnaire("marianne-phone", 1)
    return copy.deepcopy(dict(shipped.document))


@pytest.fixture
def shipped(app: Flask) -> None:
    with app.app_context():
        referentiels.load_shipped(db.session, actor=None)
        db.session.commit()


@pytest.fixture
def admin(token_for: Callable[..., Headers]) -> Headers:
    return token_for("admin")


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)))


def questionnaire_id(client: FlaskClient, headers: Headers, channel: str) -> int:
    listed = client.get(f"/api/v1/questionnaires?channel={channel}", headers=headers).get_json()
    return next(q["id"] for q in listed if q["referentiel"]["code"] == "marianne")


@pytest.mark.usefixtures("shipped")
@pytest.mark.parametrize("role", ["investigator", "analyst", "coordinator", "admin"])
def test_every_role_reads_the_shipped_referentiels(
    client: FlaskClient, token_for: Callable[..., Headers], role: str
) -> None:
    response = client.get("/api/v1/referentiels", headers=token_for(role))
    assert response.status_code == 200
    assert [(r["code"], r["version"]) for r in response.get_json()] == [
        ("marianne", 1),
        ("services-publics-plus", 1),
    ]
    assert json.loads(response.headers["X-Pagination"])["total"] == 2


@pytest.mark.usefixtures("shipped")
def test_referentiel_detail_has_the_eleven_marianne_engagements(
    client: FlaskClient, token_for: Callable[..., Headers]
) -> None:
    headers = token_for("investigator")
    listed = client.get("/api/v1/referentiels", headers=headers).get_json()
    body = client.get(f"/api/v1/referentiels/{listed[0]['id']}", headers=headers).get_json()
    assert {"id", "code", "name", "version", "engagements"} <= set(body)
    assert [e["code"] for e in body["engagements"]] == [f"E{n:02d}" for n in range(1, 12)]
    assert body["engagements"][6]["label"] == "Temps d’attente au guichet"
    assert sorted(q["channel"] for q in body["questionnaires"]) == [
        "email",
        "letter",
        "phone",
        "visit",
        "website",
    ]


@pytest.mark.usefixtures("shipped")
def test_questionnaires_filter_by_channel_and_referentiel(
    client: FlaskClient, token_for: Callable[..., Headers]
) -> None:
    headers = token_for("investigator")
    phones = client.get("/api/v1/questionnaires?channel=phone", headers=headers).get_json()
    assert {(q["code"], q["channel"]) for q in phones} == {
        ("marianne-phone", "phone"),
        ("services-publics-plus-phone", "phone"),
    }
    assert set(phones[0]) >= {"id", "channel", "referentiel", "version", "title"}
    spp = next(q for q in phones if q["code"] == "services-publics-plus-phone")
    of_spp = client.get(
        f"/api/v1/questionnaires?referentiel={spp['referentiel']['id']}", headers=headers
    ).get_json()
    assert [q["code"] for q in of_spp] == ["services-publics-plus-phone"]
    unknown = client.get("/api/v1/questionnaires?channel=pigeon", headers=headers)
    assert unknown.status_code == 422


@pytest.mark.usefixtures("shipped")
def test_questionnaire_questions_carry_what_the_phone_form_needs(
    client: FlaskClient, token_for: Callable[..., Headers]
) -> None:
    headers = token_for("investigator")
    qid = questionnaire_id(client, headers, "phone")
    body = client.get(f"/api/v1/questionnaires/{qid}", headers=headers).get_json()
    assert body["channel"] == "phone"
    assert body["referentiel"]["code"] == "marianne"
    assert body["sections"][0]["title"]
    questions = {q["id"]: q for q in body["questions"]}
    expected = {
        "id",
        "type",
        "label",
        "help",
        "choices",
        "required",
        "engagement",
        "visible_if",
        "constraints",
        "section",
        "scoring",
        "points",
    }
    assert all(expected <= set(q) for q in body["questions"])
    picked_up = questions["t_decroche"]
    assert picked_up["type"] == "yes_no"
    assert picked_up["engagement"] == "E08"
    assert [(c["value"], c["label"]) for c in picked_up["choices"]] == [
        ("oui", "Oui"),
        ("non", "Non"),
    ]
    rings = questions["t_sonneries"]
    assert rings["visible_if"] == 't_decroche = "oui"'
    assert rings["constraints"] == {"max": 30}
    assert rings["points"] == 2


@pytest.mark.usefixtures("shipped")
@pytest.mark.parametrize("channel", ["visit", "phone", "email", "letter", "website"])
def test_xlsform_download_converts_with_pyxform(
    client: FlaskClient, token_for: Callable[..., Headers], channel: str
) -> None:
    headers = token_for("investigator")
    response = client.get(
        f"/api/v1/questionnaires/{questionnaire_id(client, headers, channel)}/xlsform",
        headers=headers,
    )
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=questionnaire-marianne-")
    assert disposition.endswith("-v1.xlsx")
    warnings: list[str] = []
    result = convert(xlsform=response.data, warnings=warnings, file_type=".xlsx")
    assert "<h:html" in result.xform
    assert warnings == []


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/referentiels/999999",
        "/api/v1/questionnaires/999999",
        "/api/v1/questionnaires/999999/xlsform",
    ],
)
def test_unknown_ids_are_json_404(
    client: FlaskClient, token_for: Callable[..., Headers], url: str
) -> None:
    response = client.get(url, headers=token_for("analyst"))
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"
    assert "introuvable" in response.get_json()["message"]


def test_reading_needs_a_token(client: FlaskClient) -> None:
    assert client.get("/api/v1/questionnaires").status_code == 401


@pytest.mark.parametrize("role", ["investigator", "analyst", "coordinator"])
@pytest.mark.parametrize("path", ["/api/v1/referentiels", "/api/v1/questionnaires"])
def test_only_admins_publish(
    app: Flask, client: FlaskClient, token_for: Callable[..., Headers], role: str, path: str
) -> None:
    response = client.post(path, headers=token_for(role), json=marianne())
    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"
    assert count(app, Referentiel) == 0


def test_admin_publishes_a_referentiel_then_its_questionnaire(
    client: FlaskClient, admin: Headers
) -> None:
    created = client.post("/api/v1/referentiels", headers=admin, json=marianne())
    assert created.status_code == 201
    assert created.get_json()["code"] == "marianne"
    published = client.post("/api/v1/questionnaires", headers=admin, json=phone_questionnaire())
    assert published.status_code == 201
    assert published.get_json()["code"] == "marianne-phone"
    assert published.get_json()["questions"][0]["id"] == "t_date_appel"


@pytest.mark.usefixtures("shipped")
def test_a_new_version_is_a_new_row_and_the_old_one_stays(
    app: Flask, client: FlaskClient, admin: Headers
) -> None:
    version_2 = marianne()
    version_2["version"] = 2
    version_2["engagements"][3]["label"] = "Courtoisie et amabilité de l’accueil"
    response = client.post("/api/v1/referentiels", headers=admin, json=version_2)
    assert response.status_code == 201
    assert response.get_json()["engagements"][3]["label"] == "Courtoisie et amabilité de l’accueil"
    listed = client.get("/api/v1/referentiels", headers=admin).get_json()
    assert [(r["code"], r["version"]) for r in listed if r["code"] == "marianne"] == [
        ("marianne", 1),
        ("marianne", 2),
    ]
    version_1 = client.get(f"/api/v1/referentiels/{listed[0]['id']}", headers=admin).get_json()
    assert version_1["engagements"][3]["label"] == "Courtoisie de l’accueil"


@pytest.mark.usefixtures("shipped")
def test_republishing_an_identical_version_returns_the_stored_row(
    app: Flask, client: FlaskClient, admin: Headers
) -> None:
    before = count(app, Referentiel), count(app, Questionnaire)
    again = client.post("/api/v1/referentiels", headers=admin, json=marianne())
    assert again.status_code == 200
    assert again.get_json()["version"] == 1
    reordered = json.dumps(phone_questionnaire(), indent=4, sort_keys=True).encode()
    same = client.post(
        "/api/v1/questionnaires", headers=admin, data=reordered, content_type="application/json"
    )
    assert same.status_code == 200
    assert (count(app, Referentiel), count(app, Questionnaire)) == before


@pytest.mark.usefixtures("shipped")
@pytest.mark.parametrize("kind", ["referentiels", "questionnaires"])
def test_changed_content_under_an_existing_version_is_409(
    app: Flask, client: FlaskClient, admin: Headers, kind: str
) -> None:
    document = marianne() if kind == "referentiels" else phone_questionnaire()
    document["description"] = "Une autre description"
    response = client.post(f"/api/v1/{kind}", headers=admin, json=document)
    assert response.status_code == 409
    assert (
        "une version existante ne peut pas changer : publiez une nouvelle version"
        in (response.get_json()["message"])
    )


def test_a_document_can_be_sent_as_a_multipart_file(client: FlaskClient, admin: Headers) -> None:
    data = json.dumps(marianne(), ensure_ascii=False).encode("utf-8")
    response = client.post(
        "/api/v1/referentiels",
        headers=admin,
        data={"file": (io.BytesIO(data), "marianne.v1.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201


def test_multipart_without_a_file_is_400(client: FlaskClient, admin: Headers) -> None:
    response = client.post(
        "/api/v1/referentiels",
        headers=admin,
        data={"autre": "x"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "file" in response.get_json()["message"]


def _question(index: int, **changes: Any) -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        document["questions"][index].update(changes)

    return mutate


def _text_scored(document: Document) -> None:
    document["questions"].append(
        {
            "id": "remarque",
            "type": "text",
            "label": "Remarque",
            "engagement": "E04",
            "scoring": {"rule": "points", "points": {"oui": 1}},
        }
    )


BAD_QUESTIONNAIRES = [
    (
        "unknown engagement",
        _question(3, engagement="E99"),
        'questions[3] (id "t_decroche").engagement : engagement « E99 » inconnu',
    ),
    (
        "duplicate question id",
        _question(4, id="t_decroche"),
        "identifiant en double : déjà utilisé par questions[3]",
    ),
    (
        "cyclic condition",
        _question(3, visible_if="t_sonneries > 2"),
        "dépendance circulaire : t_decroche → t_sonneries → t_decroche",
    ),
]


@pytest.mark.usefixtures("shipped")
@pytest.mark.parametrize(("case", "mutate", "expected"), BAD_QUESTIONNAIRES)
def test_bad_questionnaires_are_422_pointing_at_the_question(
    client: FlaskClient,
    admin: Headers,
    case: str,
    mutate: Callable[[Document], None],
    expected: str,
) -> None:
    document = phone_questionnaire()
    document["version"] = 2
    mutate(document)
    response = client.post("/api/v1/questionnaires", headers=admin, json=document)
    assert response.status_code == 422, case
    body = response.get_json()
    assert body["code"] == "invalid"
    assert any(expected in message for message in body["errors"]["document"]), body


@pytest.mark.usefixtures("shipped")
def test_scoring_rule_on_free_text_is_422_naming_the_question(
    client: FlaskClient, admin: Headers
) -> None:
    document = phone_questionnaire()
    document["version"] = 2
    _text_scored(document)
    response = client.post("/api/v1/questionnaires", headers=admin, json=document)
    assert response.status_code == 422
    messages = response.get_json()["errors"]["document"]
    assert any(
        '(id "remarque").scoring' in m and "« text » ne peut pas être notée" in m for m in messages
    ), messages


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"code": "marianne", "version": 1,', "JSON mal formé, ligne 1"),
        (b"", "le fichier est vide"),
        (b"[1, 2]", "un objet JSON"),
        (b'{"code": "x", "version": NaN}', "NaN"),
        ("{}".encode("utf-16"), "UTF-8"),
    ],
)
def test_malformed_documents_are_422_with_a_clear_message(
    client: FlaskClient, admin: Headers, body: bytes, expected: str
) -> None:
    response = client.post(
        "/api/v1/questionnaires", headers=admin, data=body, content_type="application/json"
    )
    assert response.status_code == 422
    assert expected in response.get_json()["message"]


def test_questionnaire_for_an_unknown_referentiel_version_is_422(
    client: FlaskClient, admin: Headers
) -> None:
    client.post("/api/v1/referentiels", headers=admin, json=marianne())
    document = phone_questionnaire()
    document["referentiel"]["version"] = 7
    response = client.post("/api/v1/questionnaires", headers=admin, json=document)
    assert response.status_code == 422
    assert response.get_json()["errors"]["document"] == [
        "referentiel : marianne v7 n’est pas chargé sur ce serveur (chargez d’abord le référentiel)"
    ]


@pytest.mark.usefixtures("shipped")
def test_another_code_cannot_take_a_channel_version_already_used(
    client: FlaskClient, admin: Headers
) -> None:
    document = phone_questionnaire()
    document["code"] = "marianne-appel-court"
    response = client.post("/api/v1/questionnaires", headers=admin, json=document)
    assert response.status_code == 409
    assert "marianne-phone v1 occupe déjà la version 1" in response.get_json()["message"]


@pytest.mark.usefixtures("shipped")
def test_questionnaire_for_gives_the_latest_version_of_a_channel(
    app: Flask, client: FlaskClient, admin: Headers
) -> None:
    document = phone_questionnaire()
    document["version"] = 2
    document["title"] = "Appel mystère (révisé)"
    created = client.post("/api/v1/questionnaires", headers=admin, json=document)
    assert created.status_code == 201
    with app.app_context():
        latest = referentiels.questionnaire_for(db.session, "marianne", 1, "phone")
        assert latest is not None
        assert (latest.version, latest.title) == (2, "Appel mystère (révisé)")
        assert referentiels.questionnaire_for(db.session, "marianne", 9, "phone") is None
        older = referentiels.list_questionnaires(db.session, channel="phone")
        assert [q.version for q in older if q.referentiel.code == "marianne"] == [1, 2]


@pytest.mark.usefixtures("shipped")
def test_stored_versions_rebuild_with_their_fingerprint(app: Flask) -> None:
    with app.app_context():
        for row in referentiels.list_questionnaires(db.session):
            model = definitions.questionnaire_model(row)
            assert model.fingerprint == row.fingerprint
            assert model.key == (row.content["code"], row.version)


def test_every_load_is_audited(app: Flask, client: FlaskClient, admin: Headers) -> None:
    client.post("/api/v1/referentiels", headers=admin, json=marianne())
    client.post("/api/v1/referentiels", headers=admin, json=marianne())
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "referentiel.load")
            .order_by(AuditEvent.id)
        ).all()
        assert [e.details["created"] for e in events] == [True, False]
        assert events[0].actor_id is not None
        assert events[0].details["code"] == "marianne"
