"""Waves of fieldwork and the missions (single tests) they are made of."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.types import UTCDateTime, enum_column, utcnow


class WaveStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Wave(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "waves"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("draws.id"))
    name: Mapped[str] = mapped_column(String(200))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    #: Tests per site and channel, e.g. {"visit": 2, "phone": 9, ...}; per-network overrides.
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Number of later waves during which an investigator may not return to a site.
    lockout_waves: Mapped[int] = mapped_column(default=1)
    status: Mapped[WaveStatus] = mapped_column(enum_column(WaveStatus), default=WaveStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="waves")  # noqa: F821
    missions: Mapped[list[Mission]] = relationship(
        back_populates="wave", cascade="all, delete-orphan"
    )


class MissionStatus(enum.StrEnum):
    UNASSIGNED = "unassigned"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"
    REJECTED = "rejected"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"


class Mission(db.Model):  # type: ignore[name-defined,misc]
    """One test of one site through one channel, played by one investigator."""

    __tablename__ = "missions"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    scenario: Mapped[str] = mapped_column(Text, default="")
    questionnaire_id: Mapped[int | None] = mapped_column(ForeignKey("questionnaires.id"))
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[MissionStatus] = mapped_column(
        enum_column(MissionStatus), default=MissionStatus.UNASSIGNED
    )
    #: Why nobody could take this test (capacity, distance, lockout), in French.
    reason: Mapped[str | None] = mapped_column(Text)
    #: For email and letter tests: when the request left and when the reply arrived.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reply_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reply_due_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    wave: Mapped[Wave] = relationship(back_populates="missions")
    site: Mapped[Site] = relationship()  # noqa: F821
    assignee: Mapped[User | None] = relationship()  # noqa: F821
    reports: Mapped[list[Report]] = relationship(  # noqa: F821
        back_populates="mission", cascade="all, delete-orphan"
    )
