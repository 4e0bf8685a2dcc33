"""The outbox when the delivering process is SIGKILLed for real, at each step of a delivery.

The delivery runs in a child process (its own app, engine and SMTP connection) that kills
itself with SIGKILL at one checkpoint: the database keeps only what it had committed, the
SMTP server sees its connection drop. Then this process runs the next deliveries, as a
restarted scheduler would, and the real SMTP server (aiosmtpd) says what was received.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.extensions import db
from server.models import AuditEvent, OutboxMessage, OutboxStatus, User
from server.services import outbox, outbox_doubt
from server.services.errors import Conflict
from server.services.outbox import SmtpSettings
from tests.server.test_outbox import NOW, SmtpServer, queue, reload

#: ``deliver_pending``'s checkpoints for one message: 1 claimed (``sending``), 2 just before
#: the final dot (``finalising`` is written, committed there), 3 its outcome (``sent``).
CLAIMED, BEFORE_FINAL_DOT, OUTCOME = 1, 2, 3


def _deliver_and_die(
    database_url: str, uploads: str, smtp: SmtpSettings, step: int, commit_first: bool
) -> None:
    """In the child: deliver, and SIGKILL this process at checkpoint ``step``."""
    from server.app import create_app

    app = create_app(
        {
            "ENV_PROFILE": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": uploads,
        }
    )
    with app.app_context():
        session = db.session
        calls = 0

        def checkpoint() -> None:
            nonlocal calls
            calls += 1
            if calls == step and not commit_first:
                os.kill(os.getpid(), signal.SIGKILL)
            session.commit()
            if calls == step:
                os.kill(os.getpid(), signal.SIGKILL)

        outbox.deliver_pending(session, smtp=smtp, now=NOW, checkpoint=checkpoint)


def killed_at(
    app: Flask, tmp_path: Path, smtp: SmtpSettings, step: int, *, commit_first: bool
) -> None:
    child = multiprocessing.get_context("spawn").Process(
        target=_deliver_and_die,
        args=(app.config["SQLALCHEMY_DATABASE_URI"], str(tmp_path), smtp, step, commit_first),
    )
    child.start()
    child.join(timeout=60)
    assert child.exitcode == -signal.SIGKILL, "the child should have died by SIGKILL"


@pytest.fixture
def smtp_server() -> Any:
    with SmtpServer() as server:
        yield server


def deliver(session: Any, server: SmtpServer, now: datetime) -> outbox.Delivery:
    session.expire_all()
    return outbox.deliver_pending(
        session, smtp=server.settings(), now=now, checkpoint=session.commit
    )


def test_killed_before_the_final_dot_the_message_is_sent_once_later(
    app: Flask, session: Any, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    message = queue(session)
    session.commit()

    killed_at(app, tmp_path, smtp_server.settings(), BEFORE_FINAL_DOT, commit_first=False)

    assert smtp_server.messages == []  # the server discarded the unfinished DATA
    assert reload(session, message).status == OutboxStatus.SENDING
    outcome = deliver(session, smtp_server, NOW + timedelta(minutes=1))
    deliver(session, smtp_server, NOW + timedelta(days=1))
    assert outcome.recovered == 1
    assert outcome.sent == 1
    assert [m["Message-ID"] for m in smtp_server.messages] == [
        f"<outbox-{message.id}@example.gouv.fr>"
    ]
    message = reload(session, message)
    assert message.status == OutboxStatus.SENT
    assert message.attempts == 2


def test_killed_after_the_sent_reply_the_message_is_in_doubt_and_never_resent(
    app: Flask, session: Any, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    message = queue(session)
    session.commit()

    killed_at(app, tmp_path, smtp_server.settings(), OUTCOME, commit_first=False)

    assert len(smtp_server.messages) == 1
    outcome = deliver(session, smtp_server, NOW + timedelta(minutes=1))
    for hours in (1, 24, 24 * 7):
        deliver(session, smtp_server, NOW + timedelta(hours=hours))
    assert outcome.in_doubt == 1
    assert len(smtp_server.messages) == 1
    message = reload(session, message)
    assert message.status == OutboxStatus.IN_DOUBT
    assert message.attempts == 1


def test_killed_just_after_finalising_is_committed_the_coordinator_resends_it(
    app: Flask, session: Any, smtp_server: SmtpServer, tmp_path: Path, make_user: Any
) -> None:
    """The few bytes of the final dot never left: in doubt though not received; the
    coordinator checks with the recipient and re-sends it, once."""
    message = queue(session)
    session.commit()
    coordinator = make_user("coordinator")

    killed_at(app, tmp_path, smtp_server.settings(), BEFORE_FINAL_DOT, commit_first=True)

    assert reload(session, message).status == OutboxStatus.FINALISING
    deliver(session, smtp_server, NOW + timedelta(minutes=1))
    deliver(session, smtp_server, NOW + timedelta(days=1))
    assert smtp_server.messages == []
    assert reload(session, message).status == OutboxStatus.IN_DOUBT

    actor = session.get(User, coordinator.id)
    outbox_doubt.resend(session, message.id, actor=actor, now=NOW + timedelta(days=1))
    session.commit()
    with pytest.raises(Conflict):
        outbox_doubt.mark_sent(session, message.id, actor=actor, now=NOW + timedelta(days=1))
    session.rollback()
    deliver(session, smtp_server, NOW + timedelta(days=1))
    deliver(session, smtp_server, NOW + timedelta(days=2))

    assert len(smtp_server.messages) == 1
    message = reload(session, message)
    assert message.status == OutboxStatus.SENT
    assert message.attempts == 2  # the attempts are kept across the coordinator's decision
    events = session.scalars(select(AuditEvent).where(AuditEvent.action.like("outbox.%"))).all()
    assert [(e.action, e.entity_id, e.actor_id) for e in events] == [
        ("outbox.resend", str(message.id), coordinator.id)
    ]


def test_the_states_left_by_a_kill_are_counted_once(
    app: Flask, session: Any, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """Killed right after the claim: pending again once the claim is old enough, sent once;
    nothing of it is left in ``sending`` or ``finalising``."""
    message = queue(session)
    session.commit()

    killed_at(app, tmp_path, smtp_server.settings(), CLAIMED, commit_first=True)

    deliver(session, smtp_server, NOW + timedelta(minutes=1))
    assert len(smtp_server.messages) == 1
    left = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.status.in_([OutboxStatus.SENDING, OutboxStatus.FINALISING])
        )
    ).all()
    assert left == []
    assert reload(session, message).status == OutboxStatus.SENT


def test_a_delivery_whose_claim_was_recovered_meanwhile_stops_before_the_final_dot(
    app: Flask, session: Any, smtp_server: SmtpServer
) -> None:
    """A scheduler that lost its lease may still be sending when the new one recovers its
    old claim and delivers the message: the old one then finds its claim gone and drops
    the connection before the final dot. Received once."""
    message = queue(session)
    session.commit()
    settings = smtp_server.settings()
    steps = 0

    def checkpoint() -> None:
        nonlocal steps
        steps += 1
        session.commit()
        if steps == 1:  # claimed; the other scheduler runs now, much later
            with Session(db.engine) as other:
                taken = outbox.deliver_pending(
                    other, smtp=settings, now=NOW + timedelta(hours=1), checkpoint=other.commit
                )
            assert (taken.recovered, taken.sent) == (1, 1)

    outcome = outbox.deliver_pending(session, smtp=settings, now=NOW, checkpoint=checkpoint)

    assert outcome.sent == 0
    assert len(smtp_server.messages) == 1
    message = reload(session, message)
    assert message.status == OutboxStatus.SENT
    assert message.attempts == 2
