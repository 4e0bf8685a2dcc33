"""The outbox: messages are written first, then delivered through SMTP by a job.

``enqueue`` inserts a message only if its key is new, so a job that runs twice (or two jobs
racing) never makes a second message. ``deliver_pending`` sends what is due, one message at
a time, and hands each step to the caller's ``checkpoint`` (the job commits there).

Delivery is at least once, with the duplicate window made as small as it can be: a message is
*claimed* before it is sent (its attempt counted and its next attempt pushed back by the
backoff, committed), then marked sent right after the SMTP server accepted it (committed
again). A crash between the two — after the server accepted the message, before the sent mark
was committed — is the only way to send a message twice, and even then it goes out again only
after the backoff, never in a tight loop. Each message carries a stable ``Message-ID`` so a
mail client can recognise that rare duplicate.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from sqlalchemy import CursorResult, Select, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.models import Mission, OutboxMessage, OutboxStatus

logger = logging.getLogger("barometre.outbox")

STATUS_LABELS = {
    OutboxStatus.PENDING: "En attente",
    OutboxStatus.SENT: "Envoyé",
    OutboxStatus.FAILED: "Abandonné",
}


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server, and how hard to try. ``host=None``: no delivery at all."""

    host: str | None
    port: int = 587
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    timeout: float = 20
    sender: str = "barometre@localhost"
    #: Attempts before a message is given up (``failed``).
    max_attempts: int = 8
    #: Wait after the first failed attempt; doubled after each next one, up to ``retry_max``.
    retry: timedelta = timedelta(minutes=1)
    retry_max: timedelta = timedelta(hours=1)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings:
        return cls(
            host=config.get("SMTP_HOST"),
            port=config.get("SMTP_PORT", 587),
            user=config.get("SMTP_USER"),
            password=config.get("SMTP_PASSWORD"),
            starttls=config.get("SMTP_STARTTLS", True),
            timeout=config.get("SMTP_TIMEOUT_SECONDS", 20),
            sender=config.get("MAIL_FROM", "barometre@localhost"),
            max_attempts=config.get("OUTBOX_MAX_ATTEMPTS", 8),
            retry=timedelta(seconds=config.get("OUTBOX_RETRY_SECONDS", 60)),
            retry_max=timedelta(seconds=config.get("OUTBOX_RETRY_MAX_SECONDS", 3600)),
        )

    @property
    def configured(self) -> bool:
        return bool(self.host)

    def backoff(self, attempts: int) -> timedelta:
        """Wait before the attempt after ``attempts`` ones: 1, 2, 4, 8… × ``retry``, capped."""
        return min(self.retry * (2 ** max(attempts - 1, 0)), self.retry_max)


@dataclass
class Delivery:
    """What one ``deliver_pending`` run did."""

    sent: int = 0
    #: Failed this time, to be tried again after the backoff.
    retried: int = 0
    #: Given up for good.
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_counts(self) -> dict[str, int]:
        return {"sent": self.sent, "retried": self.retried, "failed": self.failed}


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
    """Send up to ``batch`` pending messages that are due, oldest first.

    ``checkpoint`` is called whenever the state written so far (flushed) must become
    durable: after a message is claimed (before its SMTP send) and after its outcome is
    recorded. The job passes ``session.commit``; the default leaves committing to the
    caller. Without an SMTP host nothing is sent and messages stay pending, readable in the
    outbox.
    """
    outcome = Delivery()
    if not smtp.configured:
        return outcome

    def durable() -> None:
        session.flush()
        checkpoint()

    ids = session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, _due(now))
        .order_by(OutboxMessage.id)
        .limit(batch)
    ).all()
    with _Mailer(smtp) as mailer:
        for message_id in ids:
            message = session.get(OutboxMessage, message_id, populate_existing=True)
            if message is None or message.status != OutboxStatus.PENDING:
                continue
            if message.attempts >= smtp.max_attempts:
                # Its last allowed attempt was claimed but never reported back (a crash).
                _give_up(message, "La dernière tentative a été interrompue avant son compte rendu.")
                outcome.failed += 1
                durable()
                continue
            if not _claim(session, message, smtp=smtp, now=now):
                continue
            durable()
            _send_one(mailer, message, smtp=smtp, now=now, outcome=outcome)
            durable()
            if mailer.unreachable:
                break  # the server itself is the problem: the others wait for the next run
    return outcome


def _claim(session: Session, message: OutboxMessage, *, smtp: SmtpSettings, now: datetime) -> bool:
    """Count an attempt and push the next one back by the backoff, if the message is still
    pending, due and untouched (one atomic UPDATE, so two deliverers never both take it)."""
    attempts = message.attempts + 1
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message.id,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.attempts == message.attempts,
            _due(now),
        )
        .values(attempts=attempts, next_attempt_at=now + smtp.backoff(attempts))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    session.refresh(message)
    return True


def _send_one(
    mailer: _Mailer, message: OutboxMessage, *, smtp: SmtpSettings, now: datetime, outcome: Delivery
) -> None:
    try:
        mailer.send(_email(message, smtp))
    except (smtplib.SMTPException, OSError) as error:
        message.last_error = describe_error(error)
        outcome.errors.append(f"message n° {message.id} : {message.last_error}")
        if message.attempts >= smtp.max_attempts:
            _give_up(message, message.last_error)
            outcome.failed += 1
            logger.warning(
                "message %s abandonné après %s tentatives : %s",
                message.key,
                message.attempts,
                message.last_error,
            )
        else:
            outcome.retried += 1
            logger.info(
                "message %s non envoyé (tentative %s) : %s",
                message.key,
                message.attempts,
                message.last_error,
            )
        return
    message.status = OutboxStatus.SENT
    message.sent_at = now
    message.next_attempt_at = None
    outcome.sent += 1


def _give_up(message: OutboxMessage, error: str) -> None:
    message.status = OutboxStatus.FAILED
    message.next_attempt_at = None
    message.last_error = f"Abandon après {message.attempts} tentatives. {error}"


def describe_error(error: BaseException) -> str:
    """A line a coordinator can read: what went wrong in French, then the exception's class
    and text."""
    name = type(error).__name__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        details = "; ".join(
            f"{address} : {code} {_text(reply)}"
            for address, (code, reply) in error.recipients.items()
        )
        return f"Destinataire refusé par le serveur SMTP ({name}) : {details}"
    if isinstance(error, smtplib.SMTPResponseException):
        return (
            f"Message refusé par le serveur SMTP ({name}) : {error.smtp_code} "
            f"{_text(error.smtp_error)}"
        )
    if isinstance(error, StartTlsUnavailable | ssl.SSLError):
        return f"Connexion chiffrée impossible ({name}) : {error}"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"Connexion au serveur SMTP interrompue ({name}) : {error}"
    if isinstance(error, smtplib.SMTPException):
        return f"Échec de l’envoi SMTP ({name}) : {error}"
    if isinstance(error, OSError):
        return f"Serveur SMTP injoignable ({name}) : {error}"
    return f"Échec de l’envoi ({name}) : {error}"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


class StartTlsUnavailable(smtplib.SMTPException):
    """STARTTLS is required by the settings but the server does not offer it."""


def _email(message: OutboxMessage, smtp: SmtpSettings) -> EmailMessage:
    email = EmailMessage()
    email["From"] = smtp.sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    domain = smtp.sender.rpartition("@")[2] or "localhost"
    # Stable across retries: a duplicate after a crash is recognisable as the same message.
    email["Message-ID"] = f"<outbox-{message.id}@{domain}>"
    email.set_content(message.body)
    return email


class _Mailer:
    """One SMTP connection for a batch, opened on first use and reopened after an error."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.connection: smtplib.SMTP | None = None
        #: Connecting, STARTTLS or login failed: no point trying the rest of the batch.
        self.unreachable = False

    def __enter__(self) -> _Mailer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._close()

    def _open(self) -> smtplib.SMTP:
        settings = self.settings
        assert settings.host is not None
        connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        try:
            connection.ehlo()
            if settings.starttls:
                if not connection.has_extn("starttls"):
                    raise StartTlsUnavailable(
                        f"le serveur {settings.host}:{settings.port} ne propose pas STARTTLS "
                        "alors que SMTP_STARTTLS est activé (désactivez-le seulement pour un "
                        "serveur local de confiance)."
                    )
                connection.starttls()
                connection.ehlo()
            if settings.user:
                connection.login(settings.user, settings.password or "")
        except BaseException:
            connection.close()
            raise
        return connection

    def send(self, email: EmailMessage) -> None:
        if self.connection is None:
            try:
                self.connection = self._open()
            except BaseException:
                self.unreachable = True
                raise
        try:
            self.connection.send_message(email)
        except BaseException:
            self._close()  # its state is unknown after an error: start afresh for the next one
            raise

    def _close(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.quit()
        except (smtplib.SMTPException, OSError):
            self.connection.close()
        self.connection = None
