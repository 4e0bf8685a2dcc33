"""The investigator's report from a phone, end to end in Chromium: fill a visit report with
skip logic and a photo, lose the network, submit, reload offline, get the network back, and
find exactly one submitted report on the server with every answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Mission, Photo, ReportStatus, User
from tests.browser.axe import assert_accessible, assert_no_horizontal_scroll
from tests.browser.conftest import login
from tests.browser.phone.helpers import (
    camera_jpeg,
    fill_closed_site,
    phone_on_site,
    stored_reports,
    wait_ready,
    wait_saved_on_server,
)

if TYPE_CHECKING:
    pass


def test_a_report_submitted_offline_is_sent_once_when_the_network_returns(
    app: Any, visit: tuple[Mission, User], new_phone_context: Any, tmp_path: Any
) -> None:
    mission, investigator = visit
    page = phone_on_site(new_phone_context)
    login(page, investigator.email)
    page.get_by_role("link", name="Visite").first.click()
    wait_ready(page)
    fill_closed_site(
        page,
        observations="Porte close, affiche des horaires à l’entrée.",
        photo=camera_jpeg(tmp_path / "horaires.jpg"),
    )
    page.locator("#capture-position").click()
    page.locator("#position-status").filter(has_text="Position relevée").wait_for()
    wait_saved_on_server(page)

    page.context.set_offline(True)
    page.get_by_role("button", name="Envoyer", exact=True).click()
    page.locator("#report-banner").filter(has_text="en attente d’envoi").wait_for()
    pending = page.get_by_role("button", name="1 en attente d’envoi")
    pending.wait_for()

    page.reload()
    wait_ready(page)
    page.locator("#report-banner").filter(has_text="en attente d’envoi").wait_for()
    assert page.locator("[name=v_observations]").input_value().startswith("Porte close")
    assert stored_reports(app, mission.id)[0].status == ReportStatus.DRAFT

    page.context.set_offline(False)
    page.locator("#report-banner").filter(has_text="Rapport envoyé").wait_for(timeout=20_000)
    page.locator("#pending-button").wait_for(state="hidden")

    reports = stored_reports(app, mission.id)
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
    page = phone_on_site(new_phone_context)
    login(page, investigator.email)
    assert_accessible(page, "liste des missions")
    assert_no_horizontal_scroll(page, "liste des missions")
    page.get_by_role("link", name="Visite").first.click()
    wait_ready(page)
    assert_accessible(page, "formulaire de visite")
    page.set_viewport_size({"width": 360, "height": 740})
    assert_no_horizontal_scroll(page, "formulaire de visite à 360 px")
