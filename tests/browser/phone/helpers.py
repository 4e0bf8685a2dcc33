"""Helpers of the phone-flow browser tests: a phone with a position, waiting for the report
form's script, reading what the server stored."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image
from sqlalchemy import select

from server.extensions import db
from server.models import Report

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

#: Where the test site is, and where the phone says it stands (about 25 m away).
SITE = {"latitude": 48.1173, "longitude": -1.6778}
ON_SITE = {"latitude": 48.1175, "longitude": -1.6780, "accuracy": 12}


def camera_jpeg(path: Path, colour: tuple[int, int, int] = (200, 30, 30)) -> str:
    """A camera-sized JPEG (3000 × 2000: the phone reduces it to 1600 px before sending)."""
    buffer = io.BytesIO()
    Image.new("RGB", (3000, 2000), colour).save(buffer, "JPEG", quality=80)
    path.write_bytes(buffer.getvalue())
    return str(path)


def phone_on_site(new_phone_context: Callable[..., BrowserContext]) -> Page:
    """A new phone that lets the page read its position, standing by the test site."""
    context = new_phone_context(permissions=["geolocation"], geolocation=ON_SITE)
    return context.new_page()


def wait_ready(page: Page) -> None:
    """Until the report form has read its local copy and heard from the server."""
    page.wait_for_function("() => window.BarometreReport && window.BarometreReport.current()")
    page.evaluate("window.BarometreReport.ready")


def wait_saved_on_server(page: Page) -> None:
    """Until the server acknowledged the draft's latest change."""
    page.wait_for_function(
        "() => (r => r.saved_revision === r.revision && r.base_version)"
        "(window.BarometreReport.current())"
    )


def wait_sent(page: Page) -> None:
    page.locator("#report-banner").filter(has_text="Rapport envoyé").wait_for(timeout=20_000)


def stored_reports(app: Any, mission_id: int) -> list[Report]:
    with app.app_context():
        db.session.expire_all()
        return list(db.session.scalars(select(Report).where(Report.mission_id == mission_id)))


def fill_closed_site(page: Page, *, observations: str = "Fermé.", photo: str | None = None) -> None:
    """Every required answer of a visit to a site found closed: the skip logic hides the
    reception questions. With ``photo``, the opening hours are posted and photographed."""
    today = page.evaluate("new Date().toISOString().slice(0, 10)")
    page.locator("[name=v_date_visite]").fill(today)
    page.locator("[name=v_heure_arrivee]").fill("09:05")
    page.locator("[data-question=v_position] button").click()
    answer = page.locator("[data-question=v_position] .position-value")
    answer.filter(has_text="Position relevée").wait_for()
    page.locator("[name=v_site_ouvert][value=non]").check()
    page.locator("[data-question=v_attente_minutes]").wait_for(state="hidden")
    assert page.locator("[data-question=v_photo_horaires]").is_hidden()
    if photo is None:
        page.locator("[name=v_horaires_affiches][value=non]").check()
    else:
        page.locator("[name=v_horaires_affiches][value=oui]").check()
        page.locator("[data-question=v_photo_horaires]").wait_for(state="visible")
        page.locator("[name=v_photo_horaires]").set_input_files(photo)
        page.locator("#photos-v_photo_horaires li").first.wait_for()
        page.locator("[name=v_horaires_conformes][value=oui]").check()
    page.locator("[name=v_signaletique_exterieure][value=oui]").check()
    page.locator("[name=v_acces_fauteuil]").first.check()
    page.locator("[name=v_place_pmr][value=na]").check()
    page.locator("[name=v_heure_sortie]").fill("09:30")
    page.locator("[name=v_observations]").fill(observations)
