"""The analyst's results pages in Chromium: no serious or critical axe violation, and no
sideways scroll on a phone, charts included."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from server.extensions import db
from server.models import Role
from tests.browser.axe import assert_accessible, assert_no_horizontal_scroll
from tests.browser.conftest import login
from tests.server.services.test_results import Fieldwork

if TYPE_CHECKING:
    from playwright.sync_api import Page

FRAME = [("Préfecture", "Bretagne", 6), ("SIP", "Normandie", 6)]


@pytest.fixture
def campaign_id(app: Any, factory: Any) -> int:
    fieldwork = Fieldwork(factory, db.session)
    campaign = fieldwork.campaign(2026, FRAME, size=8, seed=2)
    wave = fieldwork.wave(campaign, {"visit": 1})
    fieldwork.play(wave, lambda _m: "approve", lambda m: 0.4 + (m.id % 4) / 10)
    db.session.commit()
    return int(campaign.id)


def test_results_ranking_and_scorecard_are_accessible(
    campaign_id: int, phone: Page, make_user: Any
) -> None:
    analyst = make_user(Role.ANALYST)
    login(phone, analyst.email)
    phone.set_viewport_size({"width": 1280, "height": 900})
    for path, note in (
        (f"/analyse/campagnes/{campaign_id}/resultats", "résultats"),
        (f"/analyse/campagnes/{campaign_id}/classement", "classement"),
    ):
        phone.goto(path)
        assert_accessible(phone, note)
    first_site = phone.locator("table a").first
    first_site.click()
    phone.wait_for_load_state()
    assert_accessible(phone, "fiche d’un site")
    phone.set_viewport_size({"width": 360, "height": 740})
    for path in (
        f"/analyse/campagnes/{campaign_id}/resultats",
        f"/analyse/campagnes/{campaign_id}/classement",
    ):
        phone.goto(path)
        assert_no_horizontal_scroll(phone, path)


def test_the_review_queue_and_a_report_to_review_are_accessible(
    app: Any, factory: Any, phone: Page, make_user: Any
) -> None:
    fieldwork = Fieldwork(factory, db.session)
    campaign = fieldwork.campaign(2026, FRAME, size=8, seed=2)
    wave = fieldwork.wave(campaign, {"visit": 1, "phone": 1})
    fieldwork.play(wave, lambda _m: "submit", lambda m: 0.5)
    db.session.commit()
    coordinator = make_user(Role.COORDINATOR)
    login(phone, coordinator.email)
    phone.set_viewport_size({"width": 1280, "height": 900})

    phone.goto(f"/coordination/vagues/{wave.id}/revue")
    assert_accessible(phone, "file de revue")
    phone.locator("table a[href*='/rapports/']").first.click()
    phone.wait_for_load_state()
    assert_accessible(phone, "rapport à revoir")
    phone.set_viewport_size({"width": 360, "height": 740})
    assert_no_horizontal_scroll(phone, "rapport à revoir à 360 px")
