"""A coordinator's decision on a message in doubt (see ``server.services.outbox``): the
delivery never re-sends one by itself, since it was most likely delivered already."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from server.models import OutboxMessage, OutboxStatus, User
from server.services import audit
from server.services.errors import Conflict, NotFound
from server.services.outbox import STATUS_LABELS


def _in_doubt(session: Session, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"Message n° {message_id} introuvable dans la boîte d’envoi.")
    if message.status != OutboxStatus.IN_DOUBT:
        raise Conflict(
            f"Le message n° {message_id} n’est plus en envoi incertain "
            f"({STATUS_LABELS[message.status].lower()}) : rechargez la page."
        )
    return message


def resend(session: Session, message_id: int, *, actor: User, now: datetime) -> OutboxMessage:
    """Send an in-doubt message again at the next delivery (its attempts kept): the
    coordinator checked that the recipient did not get it."""
    message = _in_doubt(session, message_id)
    message.status = OutboxStatus.PENDING
    message.next_attempt_at = now
    message.last_error = None
    audit.record(
        session,
        "outbox.resend",
        actor=actor,
        entity=message,
        key=message.key,
        before=OutboxStatus.IN_DOUBT.value,
        after=OutboxStatus.PENDING.value,
    )
    session.flush()
    return message


def mark_sent(session: Session, message_id: int, *, actor: User, now: datetime) -> OutboxMessage:
    """Close an in-doubt message as sent: the recipient got it."""
    message = _in_doubt(session, message_id)
    message.status = OutboxStatus.SENT
    message.sent_at = now
    message.next_attempt_at = None
    audit.record(
        session,
        "outbox.mark_sent",
        actor=actor,
        entity=message,
        key=message.key,
        before=OutboxStatus.IN_DOUBT.value,
        after=OutboxStatus.SENT.value,
    )
    session.flush()
    return message
