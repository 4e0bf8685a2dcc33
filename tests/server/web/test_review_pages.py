"""The review pages of the desk: a wave's queue with its flags and bulk approval, one
report's page with the decision form (CSRF checked), the staff's view of a photo, the comment
library, and the links to them. Analysts read; investigators may not."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.extensions import db
from server.models import Photo, Report, ReportStatus, Review, ReviewComment, User, Wave
from tests.factories import Factory
from tests.server.api.test_reports_api import valid_answers
from tests.server.services.test_review import wave_with_reports

pytestmark = pytest.mark.usefixtures("shipped_referentiels", "session")

Login = Callable[..., tuple[FlaskClient, User]]


def token(html: str) -> str:
    found = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def squash(html: str) -> str:
    return re.sub(r"\s+", " ", html)


@pytest.fixture
def queue(factory: Factory) -> tuple[Wave, list[Report]]:
    """Three clean submitted visits; the second reported 10 km from its site."""
    wave, reports = wave_with_reports(factory, 3)
    reports[1].latitude = 48.2
    db.session.commit()
    return wave, reports


def _queue_url(wave: Wave) -> str:
    return f"/coordination/vagues/{wave.id}/revue"


def _report_url(report: Report) -> str:
    return f"/coordination/rapports/{report.id}"


def _status(report: Report) -> ReportStatus:
    db.session.expire_all()
    return db.session.get(Report, report.id).status


# --- the queue --------------------------------------------------------------------------------


def test_the_queue_shows_each_report_with_its_flags(
    login_as: Login, queue: tuple[Wave, list[Report]]
) -> None:
    wave, reports = queue
    browser, _ = login_as("coordinator")
    response = browser.get(_queue_url(wave))
    assert response.status_code == 200
    html = squash(response.get_data(as_text=True))
    assert "Revue des rapports · " in html
    assert "<strong>3</strong> rapports" in html
    assert "<strong>1</strong> avec un contrôle signalé" in html
    assert '<strong class="flag">Loin du site</strong> : Position relevée à' in html
    for report in reports:
        assert f'href="{_report_url(report)}"' in html
    assert "Valider les rapports sans contrôle signalé" in html
    flagged = squash(browser.get(_queue_url(wave), query_string={"flag": "none"}).get_data(True))
    assert f'href="{_report_url(reports[1])}"' not in flagged
    assert f'href="{_report_url(reports[0])}"' in flagged


def test_an_analyst_reads_the_queue_but_has_no_forms(
    login_as: Login, queue: tuple[Wave, list[Report]]
) -> None:
    wave, reports = queue
    browser, _ = login_as("analyst")
    html = browser.get(_queue_url(wave)).get_data(as_text=True)
    assert "Loin du site" in html
    assert "revue/validation" not in html
    page = browser.get(_report_url(reports[0])).get_data(as_text=True)
    assert "Enregistrer la décision" not in page
    refused = browser.post(
        f"{_report_url(reports[0])}/decision",
        data={"csrf_token": token(page), "decision": "approve", "version": "1"},
    )
    assert refused.status_code == 403
    bulk = browser.post(f"{_queue_url(wave)}/validation", data={"csrf_token": token(page)})
    assert bulk.status_code == 403
    assert _status(reports[0]) == ReportStatus.SUBMITTED


def test_investigators_and_strangers_are_kept_out(
    app: Flask, login_as: Login, queue: tuple[Wave, list[Report]]
) -> None:
    wave, reports = queue
    browser, _ = login_as("investigator")
    assert browser.get(_queue_url(wave)).status_code == 403
    assert browser.get(_report_url(reports[0])).status_code == 403
    assert app.test_client().get(_queue_url(wave)).status_code == 302


def test_the_wave_dashboard_and_the_menu_link_to_the_review(
    login_as: Login, queue: tuple[Wave, list[Report]]
) -> None:
    wave, _ = queue
    browser, _ = login_as("coordinator")
    html = browser.get(f"/coordination/vagues/{wave.id}").get_data(as_text=True)
    assert f'href="{_queue_url(wave)}"' in html
    assert f'href="/coordination/campagnes/{wave.campaign_id}/revue"' in html
    home = squash(browser.get(f"/coordination/campagnes/{wave.campaign_id}/revue").get_data(True))
    assert "Rapports par vague et par statut" in home
    assert f'href="{_queue_url(wave)}"' in home


# --- one report -------------------------------------------------------------------------------


def test_the_report_page_shows_answers_evidence_photos_and_trail(
    app: Flask, login_as: Login, factory: Factory, queue: tuple[Wave, list[Report]]
) -> None:
    _, reports = queue
    report = reports[1]
    data = b"not really a jpeg"
    sha = hashlib.sha256(data).hexdigest()
    folder = Path(app.config["UPLOAD_FOLDER"]) / "photos" / str(report.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{sha}.jpg").write_bytes(data)
    photo = Photo(
        report_id=report.id,
        question_id="v_photo_attente",
        filename="attente.jpg",
        content_type="image/jpeg",
        size_bytes=len(data),
        sha256=sha,
        storage_path=f"photos/{report.id}/{sha}.jpg",
    )
    db.session.add(photo)
    report.answers = {**valid_answers("marianne-visit"), "v_photo_attente": [sha]}
    report.answers["v_site_ouvert"] = "oui"
    db.session.commit()
    browser, _ = login_as("coordinator")
    html = squash(browser.get(_report_url(report)).get_data(as_text=True))
    assert "Rapport n° " in html
    assert "mer. 04/03/2026 à 09:00" in html  # the site's time, Paris
    assert " m du site" in html
    assert "Loin du site" in html
    assert f'src="/coordination/photos/{photo.id}"' in html
    assert 'alt="Photo 1 : Photos de l’espace d’attente"' in html
    assert '<h3 id="section-1">Déroulement de la visite</h3>' in html
    assert (
        '<th scope="row">Le site était-il ouvert au public à votre arrivée, aux horaires publiés ?'
        "</th> <td>Oui</td>"
    ) in html
    assert (
        '<th scope="row">Photo de l’affichage des horaires</th> '
        '<td><span class="muted">sans réponse'
    ) in html
    assert "Journal du rapport" in html
    with browser.get(f"/coordination/photos/{photo.id}") as image:
        assert image.status_code == 200
        assert image.get_data() == data
        assert image.headers["Cache-Control"] == "private, no-store"
    outsider, _ = login_as("investigator")
    with outsider.get(f"/coordination/photos/{photo.id}") as refused:
        assert refused.status_code == 403


def _decide(browser: FlaskClient, report: Report, **data: str) -> object:
    page = browser.get(_report_url(report)).get_data(as_text=True)
    fields = {"csrf_token": token(page), "version": str(report.version), **data}
    return browser.post(f"{_report_url(report)}/decision", data=fields)


def test_a_decision_through_the_form_returns_the_report(
    login_as: Login, queue: tuple[Wave, list[Report]]
) -> None:
    _, reports = queue
    browser, coordinator = login_as("coordinator")
    response = _decide(
        browser, reports[0], decision="return", comment="Précisez l’attente.", save_to_library="y"
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(_report_url(reports[1]))  # the next one
    assert _status(reports[0]) == ReportStatus.RETURNED
    (made,) = db.session.scalars(select(Review)).all()
    assert (made.reviewer_id, made.comment) == (coordinator.id, "Précisez l’attente.")
    assert [c.text for c in db.session.scalars(select(ReviewComment))] == ["Précisez l’attente."]
    followed = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "renvoyé pour correction." in followed
    assert "Précisez l’attente." in followed  # now in the library picker


def test_a_library_comment_is_picked_in_the_form(
    login_as: Login, factory: Factory, queue: tuple[Wave, list[Report]]
) -> None:
    _, reports = queue
    browser, _ = login_as("coordinator")
    page = browser.get("/coordination/revue/commentaires").get_data(as_text=True)
    added = browser.post(
        "/coordination/revue/commentaires",
        data={"csrf_token": token(page), "text": "Photo floue : reprenez-la.", "decision": ""},
    )
    assert added.status_code == 302
    (comment,) = db.session.scalars(select(ReviewComment)).all()
    _decide(browser, reports[0], decision="reject", library_comment=str(comment.id))
    assert _status(reports[0]) == ReportStatus.REJECTED
    assert db.session.scalars(select(Review)).one().comment == "Photo floue : reprenez-la."


def test_a_form_without_its_csrf_token_is_refused(
    login_as: Login, queue: tuple[Wave, list[Report]]
) -> None:
    wave, reports = queue
    browser, _ = login_as("coordinator")
    response = browser.post(f"{_report_url(reports[0])}/decision", data={"decision": "approve"})
    assert response.status_code == 400
    assert "jeton de sécurité" in response.get_data(as_text=True)
    bulk = browser.post(f"{_queue_url(wave)}/validation", data={"confirm": "y"})
    assert bulk.status_code == 400
    assert _status(reports[0]) == ReportStatus.SUBMITTED
    assert db.session.scalar(select(func.count()).select_from(Review)) == 0


def test_returning_without_a_comment_is_refused_on_the_form(
    login_as: Login, queue: tuple[Wave, list[Report]]
) -> None:
    _, reports = queue
    browser, _ = login_as("coordinator")
    response = _decide(browser, reports[0], decision="return", comment="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Un commentaire est requis pour renvoyer un rapport" in html
    assert 'id="comment-error"' in html
    assert _status(reports[0]) == ReportStatus.SUBMITTED


def test_a_report_decided_meanwhile_is_409_on_the_form(
    login_as: Login, queue: tuple[Wave, list[Report]]
) -> None:
    _, reports = queue
    browser, _ = login_as("coordinator")
    page = browser.get(_report_url(reports[0])).get_data(as_text=True)
    other, _ = login_as("coordinator")
    assert _decide(other, reports[0], decision="approve").status_code == 302
    late = browser.post(
        f"{_report_url(reports[0])}/decision",
        data={"csrf_token": token(page), "version": "1", "decision": "reject", "comment": "Non."},
    )
    assert late.status_code == 409
    assert "« Validé »" in late.get_data(as_text=True)
    assert _status(reports[0]) == ReportStatus.APPROVED


# --- bulk approval ----------------------------------------------------------------------------


def test_bulk_approval_needs_its_confirmation_then_skips_flagged_reports(
    login_as: Login, queue: tuple[Wave, list[Report]]
) -> None:
    wave, reports = queue
    browser, _ = login_as("coordinator")
    page = browser.get(_queue_url(wave), query_string={"channel": "visit"}).get_data(True)
    assert 'name="channel" type="hidden" value="visit"' in page
    url = f"{_queue_url(wave)}/validation"
    refused = browser.post(url, data={"csrf_token": token(page), "channel": "visit"})
    assert refused.status_code == 302
    assert "Cochez cette case" in browser.get(refused.headers["Location"]).get_data(True)
    assert _status(reports[0]) == ReportStatus.SUBMITTED

    done = browser.post(url, data={"csrf_token": token(page), "channel": "visit", "confirm": "y"})
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"{_queue_url(wave)}?channel=visit")
    message = browser.get(done.headers["Location"]).get_data(as_text=True)
    assert "2 rapport(s) validé(s) ; 1 laissé(s) à relire" in message
    assert [_status(r) for r in reports] == [
        ReportStatus.APPROVED,
        ReportStatus.SUBMITTED,
        ReportStatus.APPROVED,
    ]
