"""The outbox: messages are written first, then delivered through SMTP by a job.

``enqueue`` inserts a message only if its key is new, so a job that runs twice (or two jobs
racing) never makes a second message. ``deliver_pending`` sends what is due, one message at
a time, and hands each step to the caller's ``checkpoint`` (the job commits there).

No message is sent twice and none is lost silently, wherever the process dies. Each step of
a delivery is committed before the next: the message is claimed as ``sending`` (its attempt
counted, its next attempt pushed back by the backoff); once all of its DATA but the final
dot is written, it is marked ``finalising``; after the server's 250, ``sent``. A server
keeps nothing of a transaction whose final dot it never read (RFC 5321 §4.1.1.4), so a
message a crash left in ``sending`` goes back to ``pending`` and is sent again. One left in
``finalising`` (or whose reply after the dot never came) was almost certainly accepted —
only the 3 bytes of the dot separated the commit from the end — but nobody can tell: it
becomes ``in_doubt`` and is never re-sent automatically; a coordinator checks with the
recipient and re-sends it or marks it sent (``server.services.outbox_doubt``). Each message
carries a stable ``Message-ID``, so a copy re-sent by hand is recognisable.

Recovery runs at the start of each delivery, in the scheduler holding the lease, and only
touches claims older than two SMTP timeouts (``SmtpSettings.longest_transaction``): a
scheduler that lost its lease is not waited for and may still be finishing its batch. Its
safety does not rest on that delay: every step is a conditional UPDATE on the state and
attempt the step before left, so a delivery whose claim was recovered under it stops
before its final dot (``ClaimLost``), and one whose 250 comes back after all turns
``in_doubt`` into ``sent``.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from sqlalchemy import CursorResult, Select, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.models import Mission, OutboxMessage, OutboxStatus
from server.services.outbox_smtp import DeliveryInDoubt, Mailer, SmtpSettings, describe_error

__all__ = ["Delivery", "SmtpSettings", "deliver_pending", "enqueue", "outbox_query"]

logger = logging.getLogger("barometre.outbox")

STATUS_LABELS = {
    OutboxStatus.PENDING: "En attente",
    OutboxStatus.SENDING: "Envoi en cours",
    OutboxStatus.FINALISING: "Confirmation en cours",
    OutboxStatus.IN_DOUBT: "Envoi incertain",
    OutboxStatus.SENT: "Envoyé",
    OutboxStatus.FAILED: "Abandonné",
}

IN_DOUBT_EXPLANATION = (
    "Envoi incertain : le serveur de courrier l’a très probablement reçu, mais le "
    "planificateur s’est arrêté avant la confirmation. Vérifiez auprès du destinataire."
)


@dataclass
class Delivery:
    """What one ``deliver_pending`` run did."""

    sent: int = 0
    #: Failed this time, to be tried again after the backoff.
    retried: int = 0
    #: Given up for good.
    failed: int = 0
    #: Left for a coordinator: maybe delivered, never re-sent automatically.
    in_doubt: int = 0
    #: Claims a dead process left before their final dot, pending again.
    recovered: int = 0
    errors: list[str] = field(default_factory=list)

    def as_counts(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "retried": self.retried,
            "failed": self.failed,
            "in_doubt": self.in_doubt,
            "recovered": self.recovered,
        }


def _insert_if_absent(session: Session, values: dict[str, Any]) -> int | None:
    """``INSERT … ON CONFLICT (key) DO NOTHING RETURNING id``: the new id, or None when a
    message with this key exists (committed, or being inserted by a concurrent transaction,
    which PostgreSQL waits for and SQLite's single writer serialises)."""
    dialect = session.get_bind(mapper=OutboxMessage.__mapper__).dialect.name
    insert: Any = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    statement = (
        insert(OutboxMessage.__table__)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(OutboxMessage.__table__.c.id)
    )
    return session.execute(statement).scalar()


def enqueue(
    session: Session,
    *,
    key: str,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    mission: Mission | None = None,
) -> OutboxMessage | None:
    """Queue a message unless one with ``key`` was ever queued; None when it was.

    ``key`` names the message's purpose, e.g. ``reminder:mission:42:user:7``: the same
    reminder twice is one message, whatever happens to the first (sent, failed, pending).
    """
    new_id = _insert_if_absent(
        session,
        {
            "key": key,
            "kind": kind,
            "recipient": recipient,
            "subject": subject,
            "body": body,
            "mission_id": mission.id if mission is not None else None,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
        },
    )
    if new_id is None:
        return None
    return session.get(OutboxMessage, new_id)


def outbox_query(status: OutboxStatus | str | None = None) -> Select[tuple[OutboxMessage]]:
    """Messages, newest first, optionally of one status (for the coordinator's page)."""
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    if status is not None:
        query = query.where(OutboxMessage.status == OutboxStatus(status))
    return query


def _due(now: datetime) -> Any:
    return or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now)


def deliver_pending(
    session: Session,
    *,
    smtp: SmtpSettings,
    now: datetime,
    batch: int = 50,
    checkpoint: Callable[[], None] = lambda: None,
) -> Delivery:
    """Recover what a dead delivery left, then send up to ``batch`` pending messages that
    are due, oldest first.

    ``checkpoint`` is called whenever the state written so far (flushed) must become
    durable: after the recovery, after a message is claimed, just before its final dot and
    after its outcome is recorded. The job passes ``session.commit``; the default leaves
    committing to the caller. Without an SMTP host nothing is sent and messages stay
    pending, readable in the outbox.
    """
    outcome = Delivery()

    def durable() -> None:
        session.flush()
        checkpoint()

    if _recover(session, smtp=smtp, now=now, outcome=outcome):
        durable()
    if not smtp.configured:
        return outcome
    ids = session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, _due(now))
        .order_by(OutboxMessage.id)
        .limit(batch)
    ).all()
    with Mailer(smtp) as mailer:
        for message_id in ids:
            message = session.get(OutboxMessage, message_id, populate_existing=True)
            if message is None or message.status != OutboxStatus.PENDING:
                continue
            if not _claim(session, message, smtp=smtp, now=now):
                continue
            durable()
            _send_one(
                session, mailer, message, smtp=smtp, now=now, outcome=outcome, durable=durable
            )
            durable()
            if mailer.unreachable:
                break  # the server itself is the problem: the others wait for the next run
    return outcome


def _recover(session: Session, *, smtp: SmtpSettings, now: datetime, outcome: Delivery) -> bool:
    """Claims left by a process that died: ``sending`` back to ``pending`` (its server kept
    nothing; ``failed`` if that was its last attempt), ``finalising`` to ``in_doubt``. Only
    claims older than any live delivery.

    The claim's time is its ``next_attempt_at`` less its backoff (both set by ``_claim``),
    which spares a column; few rows are ever in these states, so they are read in Python.
    """
    cutoff = now - smtp.longest_transaction
    left = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status.in_([OutboxStatus.SENDING, OutboxStatus.FINALISING]))
        .execution_options(populate_existing=True)
    ).all()
    changed = False
    for message in left:
        due = message.next_attempt_at
        if due is not None and due - smtp.backoff(message.attempts) > cutoff:
            continue  # maybe still being delivered by a process that lost the lease
        source = message.status
        values: dict[str, Any] = {}
        if source == OutboxStatus.FINALISING:
            target, error = OutboxStatus.IN_DOUBT, IN_DOUBT_EXPLANATION
        elif message.attempts >= smtp.max_attempts:
            target, values["next_attempt_at"] = OutboxStatus.FAILED, None
            error = (
                f"Abandon après {message.attempts} tentatives. "
                "La dernière tentative a été interrompue avant son compte rendu."
            )
        else:
            target, error = OutboxStatus.PENDING, "Envoi interrompu avant sa fin : il sera refait."
        if not _move(session, message, source, target, last_error=error, **values):
            continue
        changed = True
        if target == OutboxStatus.PENDING:
            outcome.recovered += 1
        elif target == OutboxStatus.FAILED:
            outcome.failed += 1
        else:
            outcome.in_doubt += 1
        logger.warning("message %s : %s → %s après un arrêt", message.key, source, target)
    return changed


def _move(
    session: Session,
    message: OutboxMessage,
    source: OutboxStatus | tuple[OutboxStatus, ...],
    target: OutboxStatus,
    **values: Any,
) -> bool:
    """``message`` to ``target`` if it is still in ``source`` at the same attempt (one
    conditional UPDATE: a recovery or a coordinator acting meanwhile wins)."""
    sources = source if isinstance(source, tuple) else (source,)
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message.id,
            OutboxMessage.status.in_(sources),
            OutboxMessage.attempts == message.attempts,
        )
        .values(status=target, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False  # not refreshed: ``message`` keeps the attempt this process claimed
    session.refresh(message)
    return True


def _claim(session: Session, message: OutboxMessage, *, smtp: SmtpSettings, now: datetime) -> bool:
    """Count an attempt, push the next one back by the backoff and mark it ``sending``, if
    the message is still pending, due and untouched (one atomic UPDATE, so two deliverers
    never both take it)."""
    attempts = message.attempts + 1
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message.id,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.attempts == message.attempts,
            _due(now),
        )
        .values(
            status=OutboxStatus.SENDING,
            attempts=attempts,
            next_attempt_at=now + smtp.backoff(attempts),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    session.refresh(message)
    return True


class ClaimLost(smtplib.SMTPException):
    """The message left ``sending`` while we sent it (recovered by another process)."""


def _send_one(
    session: Session,
    mailer: Mailer,
    message: OutboxMessage,
    *,
    smtp: SmtpSettings,
    now: datetime,
    outcome: Delivery,
    durable: Callable[[], None],
) -> None:
    def before_final_dot() -> None:
        if not _move(session, message, OutboxStatus.SENDING, OutboxStatus.FINALISING):
            raise ClaimLost("le message a été repris par un autre envoi : abandon avant le point")
        durable()

    try:
        mailer.send(_email(message, smtp), before_final_dot=before_final_dot)
    except DeliveryInDoubt as error:
        _move(
            session,
            message,
            OutboxStatus.FINALISING,
            OutboxStatus.IN_DOUBT,
            last_error=f"{IN_DOUBT_EXPLANATION} ({describe_error(error)})",
        )
        outcome.in_doubt += 1
        logger.warning("message %s : envoi incertain : %s", message.key, error)
        return
    except ClaimLost as error:
        logger.warning("message %s : %s", message.key, error)
        return
    except (smtplib.SMTPException, OSError) as error:
        _record_failure(session, message, error, smtp=smtp, outcome=outcome)
        return
    # A recovery that judged it in doubt meanwhile is overruled: the 250 came back.
    _move(
        session,
        message,
        (OutboxStatus.FINALISING, OutboxStatus.IN_DOUBT),
        OutboxStatus.SENT,
        sent_at=now,
        next_attempt_at=None,
    )
    outcome.sent += 1


def _record_failure(
    session: Session,
    message: OutboxMessage,
    error: BaseException,
    *,
    smtp: SmtpSettings,
    outcome: Delivery,
) -> None:
    """A refusal or a lost connection before the server kept the message: pending again
    after the backoff, or given up after the last attempt."""
    text = describe_error(error)
    outcome.errors.append(f"message n° {message.id} : {text}")
    state = (OutboxStatus.SENDING, OutboxStatus.FINALISING)
    if message.attempts >= smtp.max_attempts:
        _move(
            session,
            message,
            state,
            OutboxStatus.FAILED,
            next_attempt_at=None,
            last_error=f"Abandon après {message.attempts} tentatives. {text}",
        )
        outcome.failed += 1
        logger.warning(
            "message %s abandonné après %s tentatives : %s", message.key, message.attempts, text
        )
        return
    _move(session, message, state, OutboxStatus.PENDING, last_error=text)
    outcome.retried += 1
    logger.info("message %s non envoyé (tentative %s) : %s", message.key, message.attempts, text)


def _email(message: OutboxMessage, smtp: SmtpSettings) -> EmailMessage:
    email = EmailMessage()
    email["From"] = smtp.sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    domain = smtp.sender.rpartition("@")[2] or "localhost"
    # Stable across attempts: a copy re-sent by a coordinator is recognisable.
    email["Message-ID"] = f"<outbox-{message.id}@{domain}>"
    email.set_content(message.body)
    return email
