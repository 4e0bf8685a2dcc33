"""The outbox page: every message with its status, attempts and last error, filtered by
status and paginated, and whether SMTP is configured (without it, messages stay here)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, OutboxMessage, OutboxStatus, User
from server.services import outbox

pytestmark = pytest.mark.usefixtures("session")

Login = Callable[..., tuple[FlaskClient, User]]

PAGE = "/coordination/courriels"


def squash(html: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", html)


def message(n: int, **changes: Any) -> OutboxMessage:
    queued = outbox.enqueue(
        db.session,
        key=f"reminder:mission:{n}",
        kind="reminder",
        recipient=f"enqueteur{n}@example.fr",
        subject=f"Rappel : mission n° {n}",
        body="Votre mission commence demain.",
    )
    assert queued is not None
    for name, value in changes.items():
        setattr(queued, name, value)
    db.session.flush()
    return queued


@pytest.fixture
def messages() -> list[OutboxMessage]:
    made = [
        message(1),
        message(
            2,
            status=OutboxStatus.SENT,
            attempts=1,
            sent_at=datetime(2026, 3, 3, 7, 5, tzinfo=UTC),
        ),
        message(
            3,
            status=OutboxStatus.FAILED,
            attempts=8,
            last_error="Serveur SMTP injoignable (ConnectionRefusedError) : refusé",
        ),
    ]
    db.session.commit()
    return made


def test_the_outbox_lists_messages_with_their_status_attempts_and_errors(
    login_as: Login, messages: list[OutboxMessage]
) -> None:
    browser, _ = login_as("coordinator")
    html = squash(browser.get(PAGE).get_data(as_text=True))
    assert "Messages 1–3 sur 3" in html
    assert "Rappel : mission n° 3" in html
    assert "enqueteur3@example.fr" in html
    assert "<td>En attente</td>" in html
    assert "<td>Envoyé</td>" in html
    assert "<td>Abandonné</td>" in html
    assert '<td class="num">8</td>' in html
    assert "Serveur SMTP injoignable (ConnectionRefusedError) : refusé" in html
    assert "mar. 03/03/2026 à 08:05" in html  # sent at 07:05 UTC, shown in Paris time
    assert 'role="region" aria-label="Messages" tabindex="0"' in html


def test_without_smtp_the_page_says_messages_stay_here(
    app: Flask, login_as: Login, messages: list[OutboxMessage], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SMTP_HOST", None)
    browser, _ = login_as("coordinator")
    html = browser.get(PAGE).get_data(as_text=True)
    assert "Aucun serveur SMTP n’est configuré" in html
    assert "ils restent ici en attente" in html


def test_with_smtp_the_page_names_the_server(
    app: Flask, login_as: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.fr")
    browser, _ = login_as("coordinator")
    html = browser.get(PAGE).get_data(as_text=True)
    assert "les messages partent par le serveur SMTP <strong>smtp.example.fr</strong>" in html
    assert "Aucun message." in html


def test_the_outbox_filters_by_status(login_as: Login, messages: list[OutboxMessage]) -> None:
    browser, _ = login_as("coordinator")
    html = squash(browser.get(PAGE, query_string={"status": "failed"}).get_data(as_text=True))
    assert "Messages 1–1 sur 1 (abandonné)" in html
    assert "Rappel : mission n° 3" in html
    assert "Rappel : mission n° 1<" not in html
    assert '<option value="failed" selected>Abandonné</option>' in html
    unknown = browser.get(PAGE, query_string={"status": "lost"}).get_data(as_text=True)
    assert "Messages 1–3 sur 3" in squash(unknown)


def test_the_outbox_is_paginated_and_keeps_its_filter(login_as: Login) -> None:
    for n in range(51):
        message(n)
    db.session.commit()
    browser, _ = login_as("coordinator")
    html = squash(browser.get(PAGE, query_string={"status": "pending"}).get_data(as_text=True))
    assert "Messages 1–50 sur 51 (en attente)" in html
    assert f'href="{PAGE}?page=2&amp;status=pending" rel="next"' in html
    second = squash(
        browser.get(PAGE, query_string={"status": "pending", "page": 2}).get_data(as_text=True)
    )
    assert "Messages 51–51 sur 51" in second


@pytest.mark.parametrize("role", ["analyst", "investigator"])
def test_only_coordinators_read_the_outbox(login_as: Login, role: str) -> None:
    browser, _ = login_as(role)
    assert browser.get(PAGE).status_code == 403


def test_strangers_are_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# --- messages in doubt -------------------------------------------------------------------


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.fixture
def in_doubt() -> OutboxMessage:
    doubtful = message(
        7,
        status=OutboxStatus.IN_DOUBT,
        attempts=2,
        last_error=outbox.IN_DOUBT_EXPLANATION,
        next_attempt_at=datetime(2026, 3, 3, 7, 6, tzinfo=UTC),
    )
    db.session.commit()
    return doubtful


def test_messages_in_doubt_are_listed_with_an_explanation_and_two_actions(
    login_as: Login, messages: list[OutboxMessage], in_doubt: OutboxMessage
) -> None:
    browser, _ = login_as("coordinator")
    html = squash(browser.get(PAGE).get_data(as_text=True))
    assert "Envois incertains : à vous de décider (1)" in html
    assert (
        "Envoi incertain : le serveur de courrier l’a très probablement reçu, mais le "
        "planificateur s’est arrêté avant la confirmation. Vérifiez auprès du destinataire."
    ) in html
    assert f'action="{PAGE}/{in_doubt.id}/renvoi"' in html
    assert f'action="{PAGE}/{in_doubt.id}/envoye"' in html
    assert 'Renvoyer<span class="visually-hidden"> le message « Rappel : mission n° 7 »' in html
    assert "<td>Envoi incertain</td>" in html
    assert '<option value="in_doubt">Envoi incertain</option>' in html
    assert 'role="region" aria-label="Envois incertains" tabindex="0"' in html


def test_without_messages_in_doubt_the_section_is_absent(
    login_as: Login, messages: list[OutboxMessage]
) -> None:
    browser, _ = login_as("coordinator")
    assert "Envois incertains" not in browser.get(PAGE).get_data(as_text=True)


def test_resend_puts_the_message_back_in_the_queue_with_its_attempts_audited(
    login_as: Login, in_doubt: OutboxMessage
) -> None:
    browser, user = login_as("coordinator")
    token = csrf(browser.get(PAGE).get_data(as_text=True))

    response = browser.post(
        f"{PAGE}/{in_doubt.id}/renvoi", data={"csrf_token": token, "status": "in_doubt"}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"{PAGE}?status=in_doubt"
    db.session.expire_all()
    stored = db.session.get(OutboxMessage, in_doubt.id)
    assert stored.status == OutboxStatus.PENDING
    assert stored.attempts == 2
    assert stored.sent_at is None
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox.resend")).one()
    assert (event.actor_id, event.entity_type, event.entity_id) == (
        user.id,
        "OutboxMessage",
        str(in_doubt.id),
    )
    followed = squash(browser.get(response.headers["Location"]).get_data(as_text=True))
    assert "remis en attente : il repartira au prochain envoi" in followed


def test_mark_sent_closes_the_message_audited(login_as: Login, in_doubt: OutboxMessage) -> None:
    browser, user = login_as("coordinator")
    token = csrf(browser.get(PAGE).get_data(as_text=True))

    response = browser.post(f"{PAGE}/{in_doubt.id}/envoye", data={"csrf_token": token})

    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(OutboxMessage, in_doubt.id)
    assert stored.status == OutboxStatus.SENT
    assert stored.sent_at is not None
    assert stored.next_attempt_at is None
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "outbox.mark_sent")
    ).one()
    assert event.actor_id == user.id
    again = browser.post(f"{PAGE}/{in_doubt.id}/renvoi", data={"csrf_token": token})
    assert again.status_code == 409
    assert "n’est plus en envoi incertain (envoyé)" in again.get_data(as_text=True)
    assert db.session.get(OutboxMessage, in_doubt.id).status == OutboxStatus.SENT


def test_the_actions_need_the_csrf_token_and_a_coordinator(
    login_as: Login, in_doubt: OutboxMessage
) -> None:
    browser, _ = login_as("coordinator")
    assert browser.post(f"{PAGE}/{in_doubt.id}/envoye").status_code == 400
    assert browser.post(f"{PAGE}/{in_doubt.id}/renvoi", data={"csrf_token": "x"}).status_code == 400
    analyst, _ = login_as("analyst")
    token = csrf(analyst.get("/", follow_redirects=True).get_data(as_text=True))
    assert (
        analyst.post(f"{PAGE}/{in_doubt.id}/envoye", data={"csrf_token": token}).status_code == 403
    )
    db.session.expire_all()
    assert db.session.get(OutboxMessage, in_doubt.id).status == OutboxStatus.IN_DOUBT
    outbox_events = select(AuditEvent).where(AuditEvent.action.like("outbox.%"))
    assert db.session.scalars(outbox_events).all() == []


def test_an_unknown_message_is_a_clear_404(login_as: Login, in_doubt: OutboxMessage) -> None:
    browser, _ = login_as("coordinator")
    token = csrf(browser.get(PAGE).get_data(as_text=True))
    response = browser.post(f"{PAGE}/{in_doubt.id + 1000}/envoye", data={"csrf_token": token})
    assert response.status_code == 404
    assert "introuvable dans la boîte d’envoi" in response.get_data(as_text=True)
