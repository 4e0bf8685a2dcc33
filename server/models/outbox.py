"""The outbox: every message is written here first, then delivered by a job.

Writing first, with a unique key per mission and message kind, is what makes a reminder
impossible to send twice, even when a job runs again after a crash.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import UTCDateTime, enum_column, utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    #: Claimed by a delivery, before the end of its SMTP DATA: the server has kept nothing
    #: yet, so a message left here by a crash is safe to send again.
    SENDING = "sending"
    #: About to send the final dot of its DATA: a message left here by a crash was almost
    #: certainly accepted; it becomes ``in_doubt`` and is never re-sent automatically.
    FINALISING = "finalising"
    #: A coordinator decides: re-send it, or mark it sent.
    IN_DOUBT = "in_doubt"
    SENT = "sent"
    #: Gave up after the last retry; kept with its error for a coordinator to see.
    FAILED = "failed"


class OutboxMessage(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: e.g. ``reminder:mission:42`` — one message per mission and kind, ever.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(50))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    mission_id: Mapped[int | None] = mapped_column(
        ForeignKey("missions.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus), default=OutboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
