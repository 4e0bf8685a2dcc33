"""An email test on the phone: the request is reported when sent, and the site's reply is
recorded when it arrives, days later, from the same mission page."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from server.extensions import db
from server.models import Mission, MissionStatus, ReplyOutcome
from tests.browser.axe import assert_accessible
from tests.browser.conftest import login
from tests.browser.phone.helpers import phone_on_site, wait_ready, wait_sent

if TYPE_CHECKING:
    from playwright.sync_api import Page


def _mission(app: Any, mission_id: int) -> Mission:
    with app.app_context():
        db.session.expire_all()
        mission = db.session.get(Mission, mission_id)
        assert mission is not None
        db.session.expunge(mission)
        return mission


def test_an_email_request_then_its_reply_are_recorded_from_the_phone(
    app: Any, factory: Any, new_phone_context: Any
) -> None:
    mission, investigator = factory.assigned_mission("email")
    db.session.commit()
    page: Page = phone_on_site(new_phone_context)
    login(page, investigator.email)
    page.goto(f"/missions/{mission.id}")
    wait_ready(page)
    today = page.evaluate("new Date().toISOString().slice(0, 10)")
    page.locator("[name=m_date_envoi]").fill(today)
    page.locator("[name=m_adresse]").fill("enqueteur.mystere@example.fr")
    page.locator("[name=m_reponse_recue][value=non]").check()
    assert page.locator("[data-question=m_reponse_fond]").is_hidden()
    page.get_by_role("button", name="Envoyer", exact=True).click()
    wait_sent(page)
    assert _mission(app, mission.id).status == MissionStatus.AWAITING_REPLY
    with app.app_context():  # the request left two days ago
        db.session.get(Mission, mission.id).sent_at -= timedelta(days=2)
        db.session.commit()
    yesterday = page.evaluate(
        "new Date(Date.now() - 86400000).toLocaleDateString('sv', {timeZone: 'Europe/Paris'})"
    )

    page.reload()
    wait_ready(page)
    page.get_by_role("heading", name="La réponse du site").wait_for()
    assert_accessible(page, "réponse à un courriel")
    page.context.set_offline(True)
    page.get_by_label("Reçue le").fill(f"{yesterday}T11:30")
    page.get_by_label("Texte ou résumé").fill("Merci pour votre message, voici la réponse.")
    page.get_by_role("button", name="Enregistrer la réponse").click()
    page.locator("#reply-status").filter(has_text="en attente d’envoi").wait_for()
    page.context.set_offline(False)
    page.locator("#reply-status").filter(has_text="Réponse enregistrée").wait_for(timeout=20_000)

    stored = _mission(app, mission.id)
    assert stored.reply_outcome == ReplyOutcome.RECEIVED
    assert stored.reply_text == "Merci pour votre message, voici la réponse."
