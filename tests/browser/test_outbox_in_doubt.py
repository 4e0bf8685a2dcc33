"""The outbox's in-doubt messages in Chromium: the section passes axe, and « Renvoyer »
puts the message back in the queue through the real form (CSRF token included)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from server.extensions import db
from server.models import OutboxMessage, OutboxStatus, Role
from server.services import outbox
from tests.browser.axe import assert_accessible, assert_no_horizontal_scroll
from tests.browser.conftest import login

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_the_in_doubt_section_is_accessible_and_its_resend_works(
    app: Any, phone: Page, make_user: Any
) -> None:
    with app.app_context():
        message = outbox.enqueue(
            db.session,
            key="reminder:mission:7",
            kind="reminder",
            recipient="enqueteur7@example.fr",
            subject="Rappel : mission n° 7",
            body="Votre mission commence demain.",
        )
        assert message is not None
        message.status = OutboxStatus.IN_DOUBT
        message.attempts = 1
        message.last_error = outbox.IN_DOUBT_EXPLANATION
        db.session.commit()
        message_id = message.id
    coordinator = make_user(Role.COORDINATOR)
    login(phone, coordinator.email)
    phone.set_viewport_size({"width": 1280, "height": 900})

    phone.goto("/coordination/courriels")
    assert_accessible(phone, "courriels : envoi incertain")
    phone.set_viewport_size({"width": 360, "height": 740})
    assert_no_horizontal_scroll(phone, "courriels : envoi incertain à 360 px")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Renvoyer le message « Rappel : mission n° 7 »").click()

    assert "remis en attente" in phone.locator("body").inner_text()
    assert phone.get_by_role("heading", name="Envois incertains").count() == 0
    with app.app_context():
        stored = db.session.get(OutboxMessage, message_id)
        assert stored is not None
        assert stored.status == OutboxStatus.PENDING
