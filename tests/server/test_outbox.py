"""The outbox against a real SMTP server (aiosmtpd on a free local port), never a mock."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask import Flask
from sqlalchemy import func, insert, select

from server.extensions import db
from server.models import OutboxMessage, OutboxStatus
from server.services import outbox
from server.services.outbox import SmtpSettings
from tests.factories import aware

NOW = aware(2026, 3, 2, 8)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    """aiosmtpd handler keeping what it accepted; ``refuse_rcpt`` / ``refuse_data`` make it
    answer with that reply instead."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse_rcpt: str | None = None
        self.refuse_data: str | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_data:
            return self.refuse_data
        self.messages.append(
            message_from_bytes(envelope.original_content, policy=policy.default)  # type: ignore[arg-type]
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server on 127.0.0.1 for the time of a ``with`` block."""

    def __init__(self, **controller_options: Any) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port, **controller_options
        )

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        return self.mailbox.messages

    def settings(self, **overrides: Any) -> SmtpSettings:
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.port,
            "starttls": False,
            "timeout": 5,
            "sender": "barometre@example.gouv.fr",
        }
        values.update(overrides)
        return SmtpSettings(**values)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def queue(session: Any, key: str = "reminder:mission:1:user:1", **overrides: Any) -> Any:
    values = {
        "key": key,
        "kind": "reminder",
        "recipient": "enqueteur@example.fr",
        "subject": "Rappel : visite — Préfecture d’Ille-et-Vilaine",
        "body": "Bonjour,\n\nVotre mission approche : fenêtre de 08:30 à 12:00.",
    }
    values.update(overrides)
    return outbox.enqueue(session, **values)


def reload(session: Any, message: OutboxMessage) -> OutboxMessage:
    session.expire_all()
    return session.get(OutboxMessage, message.id)


# --- enqueue -----------------------------------------------------------------------------


def test_the_same_key_makes_one_message(session: Any) -> None:
    first = queue(session)
    second = queue(session, body="autre texte")

    assert first is not None
    assert first.status == OutboxStatus.PENDING
    assert first.attempts == 0
    assert second is None
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_a_concurrent_insert_of_the_same_key_does_not_fail_the_job(app: Flask) -> None:
    """Another transaction inserts the key and commits while ours is inserting it."""
    outcome: dict[str, Any] = {}

    def job() -> None:
        with app.app_context():
            try:
                outcome["message"] = queue(db.session)
                db.session.commit()
            except Exception as error:  # reported to the test below
                outcome["error"] = error

    with app.app_context():
        with db.engine.connect() as other:
            other.execute(
                insert(OutboxMessage.__table__).values(
                    key="reminder:mission:1:user:1",
                    kind="reminder",
                    recipient="autre@example.fr",
                    subject="s",
                    body="b",
                    status="pending",
                    attempts=0,
                    created_at=NOW,
                )
            )
            racer = threading.Thread(target=job)
            racer.start()
            time.sleep(0.3)  # the job's insert is now waiting for ours
            other.commit()
        racer.join(timeout=20)
        assert not racer.is_alive()
        assert "error" not in outcome, outcome.get("error")
        assert outcome["message"] is None
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert [row.recipient for row in rows] == ["autre@example.fr"]


def test_outbox_query_filters_by_status(session: Any) -> None:
    pending = queue(session, key="a")
    sent = queue(session, key="b")
    sent.status = OutboxStatus.SENT
    session.flush()

    assert session.scalars(outbox.outbox_query("pending")).all() == [pending]
    assert session.scalars(outbox.outbox_query(OutboxStatus.SENT)).all() == [sent]
    assert len(session.scalars(outbox.outbox_query()).all()) == 2


# --- delivery ----------------------------------------------------------------------------


def test_a_message_is_delivered_once(session: Any, smtp_server: SmtpServer) -> None:
    message = queue(session)
    session.commit()

    first = outbox.deliver_pending(session, smtp=smtp_server.settings(), now=NOW)
    second = outbox.deliver_pending(
        session, smtp=smtp_server.settings(), now=NOW + timedelta(hours=1)
    )

    assert first.as_counts() == {
        "sent": 1,
        "retried": 0,
        "failed": 0,
        "in_doubt": 0,
        "recovered": 0,
    }
    assert second.as_counts() == {
        "sent": 0,
        "retried": 0,
        "failed": 0,
        "in_doubt": 0,
        "recovered": 0,
    }
    assert len(smtp_server.messages) == 1
    delivered = smtp_server.messages[0]
    assert delivered["To"] == "enqueteur@example.fr"
    assert delivered["From"] == "barometre@example.gouv.fr"
    assert delivered["Subject"] == "Rappel : visite — Préfecture d’Ille-et-Vilaine"
    assert "fenêtre de 08:30 à 12:00" in delivered.get_content()
    assert delivered["Message-ID"] == f"<outbox-{message.id}@example.gouv.fr>"
    message = reload(session, message)
    assert message.status == OutboxStatus.SENT
    assert message.sent_at == NOW
    assert message.attempts == 1
    assert message.last_error is None


def test_one_connection_carries_a_batch(session: Any, smtp_server: SmtpServer) -> None:
    for n in range(3):
        queue(session, key=f"k{n}", recipient=f"enqueteur{n}@example.fr")
    session.commit()

    outcome = outbox.deliver_pending(session, smtp=smtp_server.settings(), now=NOW, batch=2)

    assert outcome.sent == 2
    assert [m["To"] for m in smtp_server.messages] == [
        "enqueteur0@example.fr",
        "enqueteur1@example.fr",
    ]


@pytest.mark.parametrize(
    ("refusal", "reply", "error_class"),
    [
        ("refuse_rcpt", "550 5.1.1 Mailbox unknown", "SMTPRecipientsRefused"),
        ("refuse_data", "554 5.7.1 Message rejected", "SMTPDataError"),
    ],
)
def test_a_refusal_keeps_the_message_queued_for_a_later_attempt(
    session: Any, smtp_server: SmtpServer, refusal: str, reply: str, error_class: str
) -> None:
    setattr(smtp_server.mailbox, refusal, reply)
    message = queue(session)
    session.commit()

    outcome = outbox.deliver_pending(session, smtp=smtp_server.settings(), now=NOW)

    assert outcome.retried == 1
    message = reload(session, message)
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert error_class in message.last_error
    assert reply in message.last_error
    assert message.last_error.startswith(
        "Destinataire refusé" if refusal == "refuse_rcpt" else "Message refusé"
    )
    assert message.next_attempt_at == NOW + timedelta(minutes=1)
    assert smtp_server.messages == []


def test_an_unreachable_server_keeps_the_message_queued(session: Any) -> None:
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False, timeout=5)
    message = queue(session)
    session.commit()

    outbox.deliver_pending(session, smtp=settings, now=NOW)

    message = reload(session, message)
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert message.last_error.startswith("Serveur SMTP injoignable (ConnectionRefusedError)")
    assert message.next_attempt_at == NOW + timedelta(minutes=1)


def test_retries_wait_for_the_backoff_which_doubles(session: Any) -> None:
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False, timeout=5)
    message = queue(session)
    session.commit()
    outbox.deliver_pending(session, smtp=settings, now=NOW)

    outbox.deliver_pending(session, smtp=settings, now=NOW + timedelta(seconds=59))
    assert reload(session, message).attempts == 1

    outbox.deliver_pending(session, smtp=settings, now=NOW + timedelta(minutes=1))
    message = reload(session, message)
    assert message.attempts == 2
    assert message.next_attempt_at == NOW + timedelta(minutes=3)  # 1 + 2 minutes


def test_the_backoff_is_capped() -> None:
    settings = SmtpSettings(host=None, retry=timedelta(minutes=1), retry_max=timedelta(minutes=10))

    assert [settings.backoff(n) for n in range(1, 7)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 10, 10)
    ]


def test_a_message_fails_after_the_last_attempt(session: Any, smtp_server: SmtpServer) -> None:
    smtp_server.mailbox.refuse_rcpt = "550 5.1.1 Mailbox unknown"
    settings = smtp_server.settings(max_attempts=3)
    message = queue(session)
    session.commit()

    now = NOW
    for _ in range(3):
        outcome = outbox.deliver_pending(session, smtp=settings, now=now)
        now = reload(session, message).next_attempt_at or now
    assert outcome.failed == 1
    message = reload(session, message)
    assert message.status == OutboxStatus.FAILED
    assert message.attempts == 3
    assert message.next_attempt_at is None
    assert message.last_error.startswith("Abandon après 3 tentatives. Destinataire refusé")

    outbox.deliver_pending(session, smtp=settings, now=now + timedelta(days=1))
    assert reload(session, message).attempts == 3


def test_starttls_against_a_server_without_it_is_a_clear_error(
    session: Any, smtp_server: SmtpServer
) -> None:
    message = queue(session)
    session.commit()

    outbox.deliver_pending(session, smtp=smtp_server.settings(starttls=True), now=NOW)

    message = reload(session, message)
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert message.last_error.startswith("Connexion chiffrée impossible (StartTlsUnavailable)")
    assert "ne propose pas STARTTLS" in message.last_error
    assert "SMTP_STARTTLS" in message.last_error
    assert smtp_server.messages == []


def test_an_unreachable_server_stops_the_batch(session: Any) -> None:
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False, timeout=5)
    first, second = queue(session, key="a"), queue(session, key="b")
    session.commit()

    outbox.deliver_pending(session, smtp=settings, now=NOW)

    assert reload(session, first).attempts == 1
    assert reload(session, second).attempts == 0  # not tried against a server known down


def test_without_smtp_messages_stay_pending(session: Any) -> None:
    message = queue(session)
    session.commit()

    outcome = outbox.deliver_pending(session, smtp=SmtpSettings(host=None), now=NOW)

    assert outcome.as_counts() == {
        "sent": 0,
        "retried": 0,
        "failed": 0,
        "in_doubt": 0,
        "recovered": 0,
    }
    message = reload(session, message)
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 0
    assert session.scalars(outbox.outbox_query("pending")).all() == [message]


def test_the_settings_come_from_the_config(app: Flask) -> None:
    settings = SmtpSettings.from_config({**app.config, "SMTP_HOST": "smtp.example.fr"})

    assert settings.configured
    assert settings.port == 587
    assert settings.starttls is True
    assert settings.max_attempts == app.config["OUTBOX_MAX_ATTEMPTS"]
    assert not SmtpSettings.from_config(app.config).configured  # no SMTP_HOST in tests


class Accounts:
    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"barometre",
            b"secret",
        )
        return AuthResult(success=ok, handled=False)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize(("password", "sent"), [("secret", 1), ("faux", 0)])
def test_login_when_a_user_is_set(session: Any, password: str, sent: int) -> None:
    message = queue(session)
    session.commit()
    with SmtpServer(authenticator=Accounts(), auth_required=True, auth_require_tls=False) as server:
        outbox.deliver_pending(
            session, smtp=server.settings(user="barometre", password=password), now=NOW
        )

        assert len(server.messages) == sent
    message = reload(session, message)
    if sent:
        assert message.status == OutboxStatus.SENT
    else:
        assert message.last_error.startswith("Message refusé par le serveur SMTP")
        assert "SMTPAuthenticationError" in message.last_error


# --- crashes -----------------------------------------------------------------------------


class Crash(Exception):
    """The process dies here: what was not committed is lost."""


def crashing_at(session: Any, step: int, *, commit_first: bool) -> Any:
    calls = 0

    def checkpoint() -> None:
        nonlocal calls
        calls += 1
        if calls == step:
            if commit_first:
                session.commit()
            raise Crash
        session.commit()

    return checkpoint


def test_a_crash_before_the_send_retries_after_the_backoff(
    session: Any, smtp_server: SmtpServer
) -> None:
    message = queue(session)
    session.commit()
    with pytest.raises(Crash):  # claimed and committed, then the process died before sending
        outbox.deliver_pending(
            session,
            smtp=smtp_server.settings(),
            now=NOW,
            checkpoint=crashing_at(session, 1, commit_first=True),
        )
    session.rollback()

    outbox.deliver_pending(session, smtp=smtp_server.settings(), now=NOW + timedelta(seconds=30))
    assert smtp_server.messages == []

    outbox.deliver_pending(session, smtp=smtp_server.settings(), now=NOW + timedelta(minutes=1))
    assert len(smtp_server.messages) == 1
    assert reload(session, message).status == OutboxStatus.SENT


def test_a_crash_after_the_final_dot_leaves_the_message_in_doubt_never_resent(
    session: Any, smtp_server: SmtpServer
) -> None:
    """Accepted by the server, the process died before the sent mark: in doubt, not resent."""
    message = queue(session)
    session.commit()
    with pytest.raises(Crash):  # checkpoints: claim, before the final dot, outcome
        outbox.deliver_pending(
            session,
            smtp=smtp_server.settings(),
            now=NOW,
            checkpoint=crashing_at(session, 3, commit_first=False),
        )
    session.rollback()
    assert len(smtp_server.messages) == 1
    assert reload(session, message).status == OutboxStatus.FINALISING

    outcome = outbox.deliver_pending(
        session, smtp=smtp_server.settings(), now=NOW + timedelta(minutes=1)
    )
    outbox.deliver_pending(session, smtp=smtp_server.settings(), now=NOW + timedelta(days=1))

    assert outcome.in_doubt == 1
    assert len(smtp_server.messages) == 1
    message = reload(session, message)
    assert message.status == OutboxStatus.IN_DOUBT
    assert message.attempts == 1
    assert message.last_error.startswith("Envoi incertain : le serveur de courrier")


def test_a_live_claim_is_left_alone_by_the_recovery(session: Any, smtp_server: SmtpServer) -> None:
    """Within two SMTP timeouts of its claim a message may still be in a live delivery
    (a scheduler that lost its lease finishing its batch): the recovery waits."""
    message = queue(session)
    session.commit()
    with pytest.raises(Crash):
        outbox.deliver_pending(
            session,
            smtp=smtp_server.settings(),
            now=NOW,
            checkpoint=crashing_at(session, 2, commit_first=True),
        )
    session.rollback()

    outbox.deliver_pending(session, smtp=smtp_server.settings(), now=NOW + timedelta(seconds=9))
    assert reload(session, message).status == OutboxStatus.FINALISING  # timeout 5 s: ×2

    outbox.deliver_pending(session, smtp=smtp_server.settings(), now=NOW + timedelta(seconds=10))
    assert reload(session, message).status == OutboxStatus.IN_DOUBT
    assert smtp_server.messages == []  # the final dot never left: the server kept nothing


def test_the_new_states_are_stored_on_this_engine(session: Any) -> None:
    """Plain string column, no CHECK constraint: no migration for the new states."""
    for n, status in enumerate(OutboxStatus):
        message = queue(session, key=f"k{n}")
        message.status = status
    session.commit()
    session.expire_all()
    stored = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.status for m in stored] == list(OutboxStatus)


def test_a_reply_lost_after_the_final_dot_is_in_doubt(session: Any) -> None:
    """The server swallows the final dot and hangs up without a reply: in doubt at once."""
    with _HangUpAfterDot() as server:
        settings = SmtpSettings(host="127.0.0.1", port=server.port, starttls=False, timeout=5)
        message = queue(session)
        session.commit()

        outcome = outbox.deliver_pending(session, smtp=settings, now=NOW)
        outbox.deliver_pending(session, smtp=settings, now=NOW + timedelta(days=1))

    assert outcome.in_doubt == 1
    assert server.transactions == 1
    message = reload(session, message)
    assert message.status == OutboxStatus.IN_DOUBT
    assert "DeliveryInDoubt" in message.last_error


class _HangUpAfterDot:
    """A minimal SMTP server (a real socket) that reads a whole transaction, then closes
    the connection instead of answering the final dot."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.transactions = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> _HangUpAfterDot:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.listener.close()
        self.thread.join(timeout=10)

    def _serve(self) -> None:
        try:
            connection, _ = self.listener.accept()
        except OSError:
            return
        with connection, connection.makefile("rb") as lines:
            connection.sendall(b"220 test\r\n")
            in_data = False
            for line in lines:
                if in_data:
                    if line == b".\r\n":
                        self.transactions += 1
                        return  # hang up: no 250
                    continue
                verb = line[:4].upper()
                if verb == b"EHLO":
                    connection.sendall(b"250 test\r\n")
                elif verb == b"DATA":
                    connection.sendall(b"354 go\r\n")
                    in_data = True
                else:
                    connection.sendall(b"250 OK\r\n")


def test_a_crash_on_the_last_attempt_gives_the_message_up(
    session: Any, smtp_server: SmtpServer
) -> None:
    settings = smtp_server.settings(max_attempts=1)
    message = queue(session)
    session.commit()
    with pytest.raises(Crash):
        outbox.deliver_pending(
            session, smtp=settings, now=NOW, checkpoint=crashing_at(session, 1, commit_first=True)
        )
    session.rollback()

    outcome = outbox.deliver_pending(session, smtp=settings, now=NOW + timedelta(minutes=1))

    assert outcome.failed == 1
    message = reload(session, message)
    assert message.status == OutboxStatus.FAILED
    assert message.attempts == 1
    assert "interrompue" in message.last_error
    assert smtp_server.messages == []


def test_the_outbox_is_readable_through_the_api(client: Any, token_for: Any, session: Any) -> None:
    from server.services import outbox

    outbox.enqueue(
        session,
        key="reminder:test:1",
        kind="reminder",
        recipient="a@exemple.fr",
        subject="Rappel",
        body="Votre mission commence demain.",
    )
    session.commit()
    headers = token_for("coordinator")
    listed = client.get("/api/v1/outbox?status=pending", headers=headers)
    assert listed.status_code == 200
    assert [m["key"] for m in listed.json] == ["reminder:test:1"]
    assert listed.json[0]["status"] == "pending"
    assert client.get("/api/v1/outbox?status=perdu", headers=headers).status_code == 422
    assert client.get("/api/v1/outbox", headers=token_for("analyst")).status_code == 403


def test_the_api_filters_and_lists_the_new_states(
    client: Any, token_for: Any, session: Any
) -> None:
    for n, status in enumerate(OutboxStatus):
        message = queue(session, key=f"k{n}")
        message.status = status
    session.commit()
    headers = token_for("coordinator")

    doubtful = client.get("/api/v1/outbox?status=in_doubt", headers=headers)
    everything = client.get("/api/v1/outbox", headers=headers)

    assert doubtful.status_code == 200
    assert [m["status"] for m in doubtful.json] == ["in_doubt"]
    assert sorted(m["status"] for m in everything.json) == sorted(s.value for s in OutboxStatus)
    spec = client.get("/api/v1/openapi.json").json
    listed = spec["components"]["schemas"]["OutboxMessage"]["properties"]["status"]["enum"]
    assert set(listed) >= {"sending", "finalising", "in_doubt"}


@pytest.mark.parametrize(("smtputf8", "sent"), [(True, 1), (False, 0)])
def test_a_non_ascii_recipient_needs_smtputf8(session: Any, smtputf8: bool, sent: int) -> None:
    message = queue(session, recipient="enquêteur@exemple.fr")
    session.commit()
    with SmtpServer(enable_SMTPUTF8=smtputf8) as server:
        outbox.deliver_pending(session, smtp=server.settings(), now=NOW)

        assert len(server.messages) == sent
    message = reload(session, message)
    if sent:
        assert server.messages[0]["To"] == "enquêteur@exemple.fr"
        assert message.status == OutboxStatus.SENT
    else:
        assert message.status == OutboxStatus.PENDING
        assert "SMTPNotSupportedError" in message.last_error


def test_a_body_line_starting_with_a_dot_arrives_whole(
    session: Any, smtp_server: SmtpServer
) -> None:
    """Dot-stuffing: a line holding a single dot must not end the DATA early."""
    queue(session, body="Avant\n.\n..deux points\nAprès")
    session.commit()

    outbox.deliver_pending(session, smtp=smtp_server.settings(), now=NOW)

    lines = smtp_server.messages[0].get_content().splitlines()
    assert lines == ["Avant", ".", "..deux points", "Après"]
