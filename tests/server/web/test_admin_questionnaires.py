"""Référentiel pages: the list, the questionnaire as the investigator will see it, and
publishing a new version from the admin desk."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

import survey_schemas
from server.extensions import db
from server.models import Questionnaire, Referentiel
from server.services import referentiels
from tests.conftest import csrf_token_from

Login = Callable[..., tuple[FlaskClient, Any]]


@pytest.fixture
def shipped(app: Flask) -> dict[str, int]:
    """Load the shipped definitions; returns questionnaire ids by code."""
    with app.app_context():
        referentiels.load_shipped(db.session, actor=None)
        db.session.commit()
        return {q.content["code"]: q.id for q in referentiels.list_questionnaires(db.session)}


def phone_document(**changes: Any) -> dict[str, Any]:
    shipped = survey_schemas.shipped_questionnaire("marianne-phone", 1)
    document = copy.deepcopy(dict(shipped.document))
    document.update(changes)
    return document


def publish(
    browser: FlaskClient,
    payload: bytes,
    filename: str = "questionnaire.json",
    *,
    with_token: bool = True,
):  # type: ignore[no-untyped-def]
    form = browser.get("/admin/referentiels/publier").get_data(as_text=True)
    data: dict[str, Any] = {"document": (io.BytesIO(payload), filename)}
    if with_token:
        data["csrf_token"] = csrf_token_from(form)
    return browser.post(
        "/admin/referentiels/publier", data=data, content_type="multipart/form-data"
    )


def test_admin_home_links_to_the_referentiel_pages(login_as: Login) -> None:
    browser, _ = login_as("admin")
    html = browser.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/referentiels"' in html
    assert 'href="/admin/referentiels/publier"' in html


@pytest.mark.usefixtures("shipped")
@pytest.mark.parametrize("role", ["admin", "coordinator", "analyst"])
def test_list_shows_referentiels_and_questionnaires(login_as: Login, role: str) -> None:
    browser, _ = login_as(role)
    response = browser.get("/admin/referentiels")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Référentiel Marianne — engagements mesurés par le baromètre" in html
    assert "Visite mystère au guichet" in html
    assert "Appel mystère Services Publics+" in html
    assert ("Publier une nouvelle version" in html) == (role == "admin")


def test_investigators_use_the_api_not_the_desk(login_as: Login) -> None:
    browser, _ = login_as("investigator")
    assert browser.get("/admin/referentiels").status_code == 403


def test_questionnaire_preview_reads_like_the_investigator_form(
    login_as: Login, shipped: dict[str, int]
) -> None:
    browser, _ = login_as("coordinator")
    response = browser.get(f"/admin/questionnaires/{shipped['marianne-phone']}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "https://" not in html  # no CDN
    assert '<h2 id="section-1">' in html
    # a yes/no question: a fieldset with its label as legend, its choices, its engagement
    assert "Un agent a-t-il pris l’appel (directement ou après un serveur vocal) ?" in html
    assert 'type="radio" name="t_decroche" value="oui"> Oui' in html
    assert "E08 — " in html
    # help text tied to its input, numbers as number inputs, all read-only
    assert 'aria-describedby="q-t_decroche-aide"' in html
    assert 'type="number" id="q-t_sonneries" name="t_sonneries"' in html
    assert 'max="30"' in html
    assert "disabled" in html
    # points and the visibility condition in plain French
    assert "Oui : 2 pts · Non : 0 pt" in html
    assert (
        "la réponse à « Un agent a-t-il pris l’appel (directement ou après un serveur "
        "vocal) ? » est « Oui »"
    ) in html
    assert f'href="/admin/questionnaires/{shipped["marianne-phone"]}/xlsform"' in html


def test_preview_of_a_delay_question_names_the_send_date(
    login_as: Login, shipped: dict[str, int]
) -> None:
    browser, _ = login_as("analyst")
    html = browser.get(f"/admin/questionnaires/{shipped['marianne-email']}").get_data(as_text=True)
    assert "délai depuis « Date d’envoi du courriel »" in html
    assert "jours ouvrés" in html


def test_unknown_questionnaire_page_is_404(login_as: Login) -> None:
    browser, _ = login_as("admin")
    assert browser.get("/admin/questionnaires/999999").status_code == 404


@pytest.mark.parametrize("role", ["coordinator", "analyst"])
def test_only_admins_reach_the_publish_form(login_as: Login, role: str) -> None:
    browser, _ = login_as(role)
    assert browser.get("/admin/referentiels/publier").status_code == 403
    assert browser.post("/admin/referentiels/publier").status_code in (400, 403)


@pytest.mark.usefixtures("shipped")
def test_publishing_a_new_version_shows_it(app: Flask, login_as: Login) -> None:
    browser, _ = login_as("admin")
    payload = json.dumps(phone_document(version=2, title="Appel mystère v2")).encode()
    response = publish(browser, payload)
    assert response.status_code == 302
    page = browser.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert "Version 2 de « Appel mystère v2 » publiée." in html
    assert "<h1>Appel mystère v2</h1>" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Questionnaire)) == 7


@pytest.mark.usefixtures("shipped")
def test_publishing_the_same_version_again_changes_nothing(login_as: Login) -> None:
    browser, _ = login_as("admin")
    payload = json.dumps(phone_document()).encode()
    response = publish(browser, payload)
    assert response.status_code == 302
    html = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "était déjà chargée, à l’identique" in html


@pytest.mark.usefixtures("shipped")
def test_refused_upload_lists_every_error_at_its_question(login_as: Login) -> None:
    browser, _ = login_as("admin")
    document = phone_document(version=3)
    document["questions"][3]["engagement"] = "E99"
    document["questions"][4]["id"] = "t_decroche"
    response = publish(browser, json.dumps(document).encode())
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html
    assert "problèmes, voir le détail" in html
    assert "<code>questions[3] (id &#34;t_decroche&#34;).engagement</code>" in html
    assert "engagement « E99 » inconnu" in html
    assert "identifiant en double : déjà utilisé par questions[3]" in html


@pytest.mark.usefixtures("shipped")
def test_changed_version_is_refused_on_the_page(login_as: Login) -> None:
    browser, _ = login_as("admin")
    response = publish(browser, json.dumps(phone_document(title="Autre titre")).encode())
    assert response.status_code == 409
    assert "publiez une nouvelle version" in response.get_data(as_text=True)


def test_malformed_json_is_refused_on_the_page(app: Flask, login_as: Login) -> None:
    browser, _ = login_as("admin")
    response = publish(browser, b'{"code": "marianne",')
    assert response.status_code == 422
    assert "JSON mal formé, ligne 1" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Referentiel)) == 0


def test_a_file_that_is_not_json_is_refused_by_the_form(login_as: Login) -> None:
    browser, _ = login_as("admin")
    response = publish(browser, b"code;nom\n", filename="sites.csv")
    assert response.status_code == 422
    assert "Un fichier .json est attendu." in response.get_data(as_text=True)


def test_upload_without_csrf_token_is_400(app: Flask, login_as: Login) -> None:
    browser, _ = login_as("admin")
    response = publish(browser, json.dumps(phone_document()).encode(), with_token=False)
    assert response.status_code == 400
    assert "jeton de sécurité" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Referentiel)) == 0


def sheet_values(data: bytes) -> dict[str, list[tuple[object, ...]]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook}


@pytest.mark.parametrize("role", ["admin", "coordinator", "analyst"])
def test_xlsform_downloads_from_the_page_for_a_signed_in_user(
    login_as: Login, token_for: Callable[..., dict[str, str]], shipped: dict[str, int], role: str
) -> None:
    browser, _ = login_as(role)
    questionnaire = shipped["marianne-phone"]
    html = browser.get(f"/admin/questionnaires/{questionnaire}").get_data(as_text=True)
    link = f"/admin/questionnaires/{questionnaire}/xlsform"
    assert f'href="{link}"' in html
    response = browser.get(link)
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    api = browser.get(
        f"/api/v1/questionnaires/{questionnaire}/xlsform", headers=token_for("coordinator")
    )
    assert api.status_code == 200
    assert response.headers["Content-Disposition"] == api.headers["Content-Disposition"]
    assert sheet_values(response.data) == sheet_values(api.data)
    assert {"survey", "choices", "settings"} <= set(sheet_values(response.data))


def test_xlsform_page_download_is_for_desk_roles_only(
    client: FlaskClient, login_as: Login, shipped: dict[str, int]
) -> None:
    link = f"/admin/questionnaires/{shipped['marianne-phone']}/xlsform"
    assert client.get(link).status_code == 302  # to the sign-in page, not a 401 in JSON
    browser, _ = login_as("investigator")
    assert browser.get(link).status_code == 403
    admin, _ = login_as("admin")
    assert admin.get("/admin/questionnaires/999999/xlsform").status_code == 404
