"""The investigator's report from a phone, end to end in Chromium: fill a visit report with
skip logic and a photo, lose the network, submit, reload offline, get the network back, and
find exactly one submitted report on the server with every answer."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image
from sqlalchemy import select

from server.extensions import db
from server.models import Mission, Photo, Report, ReportStatus, User
from tests.browser.axe import assert_accessible, assert_no_horizontal_scroll
from tests.browser.conftest import login

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

SITE = {"latitude": 48.1173, "longitude": -1.6778}


def _jpeg(path: Any, colour: tuple[int, int, int] = (200, 30, 30)) -> str:
    """A camera-sized JPEG (the phone reduces it to 1600 px before sending)."""
    image = Image.new("RGB", (3000, 2000), colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    path.write_bytes(buffer.getvalue())
    return str(path)


@pytest.fixture
def visit(app: Any, factory: Any) -> tuple[Mission, User]:
    mission, investigator = factory.assigned_mission("visit", **SITE)
    db.session.commit()
    return mission, investigator


def _phone(new_phone_context: Callable[..., BrowserContext]) -> Page:
    context = new_phone_context(
        permissions=["geolocation"],
        geolocation={"latitude": 48.1175, "longitude": -1.6780, "accuracy": 12},
    )
    return context.new_page()


def _wait_ready(page: Page) -> None:
    page.wait_for_function("window.BarometreReport && window.BarometreReport.current()")
    page.evaluate("window.BarometreReport.ready")


def _wait_saved_on_server(page: Page) -> None:
    page.wait_for_function(
        "(r => r.saved_revision === r.revision && r.base_version)(window.BarometreReport.current())"
    )


def _fill_closed_site_visit(page: Page, photo: str) -> None:
    """The visit of a site found closed: the skip logic hides the reception questions."""
    today = page.evaluate("new Date().toISOString().slice(0, 10)")
    page.locator("[name=v_date_visite]").fill(today)
    page.locator("[name=v_heure_arrivee]").fill("09:05")
    page.locator("[data-question=v_position] button").click()
    answer = page.locator("[data-question=v_position] .position-value")
    answer.filter(has_text="Position relevée").wait_for()
    page.locator("[name=v_site_ouvert][value=non]").check()
    page.locator("[data-question=v_attente_minutes]").wait_for(state="hidden")
    assert page.locator("[data-question=v_attente_minutes]").is_hidden()
    assert page.locator("[data-question=v_photo_horaires]").is_hidden()
    page.locator("[name=v_horaires_affiches][value=oui]").check()
    page.locator("[data-question=v_photo_horaires]").wait_for(state="visible")
    page.locator("[name=v_photo_horaires]").set_input_files(photo)
    page.locator("#photos-v_photo_horaires li").first.wait_for()
    page.locator("[name=v_horaires_conformes][value=oui]").check()
    page.locator("[name=v_signaletique_exterieure][value=oui]").check()
    page.locator("[name=v_acces_fauteuil]").first.check()
    page.locator("[name=v_place_pmr][value=na]").check()
    page.locator("[name=v_heure_sortie]").fill("09:30")
    page.locator("[name=v_observations]").fill("Porte close, affiche des horaires à l’entrée.")
    page.locator("#capture-position").click()
    page.locator("#position-status").filter(has_text="Position relevée").wait_for()


def _reports(app: Any, mission_id: int) -> list[Report]:
    with app.app_context():
        return list(db.session.scalars(select(Report).where(Report.mission_id == mission_id)))


def test_a_report_submitted_offline_is_sent_once_when_the_network_returns(
    app: Any, visit: tuple[Mission, User], new_phone_context: Any, tmp_path: Any
) -> None:
    mission, investigator = visit
    page = _phone(new_phone_context)
    login(page, investigator.email)
    page.get_by_role("link", name="Visite").first.click()
    _wait_ready(page)
    _fill_closed_site_visit(page, _jpeg(tmp_path / "horaires.jpg"))
    _wait_saved_on_server(page)

    page.context.set_offline(True)
    page.get_by_role("button", name="Envoyer", exact=True).click()
    page.locator("#report-banner").filter(has_text="en attente d’envoi").wait_for()
    assert page.locator("#pending-button").inner_text() == "1 en attente d’envoi"

    page.reload()
    _wait_ready(page)
    page.locator("#report-banner").filter(has_text="en attente d’envoi").wait_for()
    assert page.locator("[name=v_observations]").input_value().startswith("Porte close")
    assert _reports(app, mission.id)[0].status == ReportStatus.DRAFT

    page.context.set_offline(False)
    page.locator("#report-banner").filter(has_text="Rapport envoyé").wait_for(timeout=20_000)
    page.locator("#pending-button").wait_for(state="hidden")

    reports = _reports(app, mission.id)
    assert len(reports) == 1
    report = reports[0]
    assert report.status == ReportStatus.SUBMITTED
    assert report.answers["v_site_ouvert"] == "non"
    assert report.answers["v_observations"] == "Porte close, affiche des horaires à l’entrée."
    assert report.answers["v_position"]["latitude"] == pytest.approx(48.1175)
    assert "v_attente_minutes" not in report.answers
    assert report.latitude == pytest.approx(48.1175)
    assert report.scores
    with app.app_context():
        photos = list(db.session.scalars(select(Photo).where(Photo.report_id == report.id)))
    assert [p.sha256 for p in photos] == report.answers["v_photo_horaires"]
    assert max(photos[0].width, photos[0].height) == 1600


def test_the_agenda_and_the_form_are_accessible(
    visit: tuple[Mission, User], new_phone_context: Any
) -> None:
    _mission, investigator = visit
    page = _phone(new_phone_context)
    login(page, investigator.email)
    assert_accessible(page, "liste des missions")
    assert_no_horizontal_scroll(page, "liste des missions")
    page.get_by_role("link", name="Visite").first.click()
    _wait_ready(page)
    assert_accessible(page, "formulaire de visite")
    page.set_viewport_size({"width": 360, "height": 740})
    assert_no_horizontal_scroll(page, "formulaire de visite à 360 px")
