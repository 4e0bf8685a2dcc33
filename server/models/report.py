"""Reports filled by investigators, their photos and the reviews they go through."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.types import UTCDateTime, enum_column, utcnow


class ReportStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"
    REJECTED = "rejected"


class Report(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(
        ForeignKey("missions.id", ondelete="CASCADE"), index=True
    )
    investigator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: UUID made by the phone, so a save or submit replayed after a lost connection is
    #: recognised and never creates a second report.
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    #: The questionnaire version the report was filled with; always validated and scored with it.
    questionnaire_id: Mapped[int | None] = mapped_column(ForeignKey("questionnaires.id"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Raised by every saved change: a phone saving over an older version than the server's,
    #: with other content, gets a 409 carrying the server's copy (DESIGN.md §3.11).
    version: Mapped[int] = mapped_column(default=1)
    #: SHA-256 of the canonical submitted payload: the same submit replayed is recognised, a
    #: different one under the same client id is a conflict.
    submitted_fingerprint: Mapped[str | None] = mapped_column(String(64))
    #: Engagement code → grade /10 for this test, computed at submission.
    scores: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    position_accuracy_m: Mapped[float | None] = mapped_column(Float)
    #: The investigator declined to share the position (recorded as such, never guessed).
    location_declined: Mapped[bool] = mapped_column(default=False)
    #: Phone clock minus server clock, in seconds, measured when the report was saved.
    clock_offset_seconds: Mapped[float | None] = mapped_column(Float)
    status: Mapped[ReportStatus] = mapped_column(
        enum_column(ReportStatus), default=ReportStatus.DRAFT
    )
    #: Automatic quality flags (far from site, outside opening hours, implausible duration…).
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    mission: Mapped[Mission] = relationship(back_populates="reports")  # noqa: F821
    photos: Mapped[list[Photo]] = relationship(
        back_populates="report", cascade="all, delete-orphan"
    )
    reviews: Mapped[list[Review]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="Review.created_at"
    )


class Photo(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "photos"
    __table_args__ = (UniqueConstraint("report_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    #: The photo question it answers, if any (e.g. the waiting area).
    question_id: Mapped[str | None] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    #: Content hash: a photo re-sent after a lost connection is recognised, not stored twice.
    sha256: Mapped[str] = mapped_column(String(64))
    storage_path: Mapped[str] = mapped_column(String(500))
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    width: Mapped[int | None]
    height: Mapped[int | None]
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    report: Mapped[Report] = relationship(back_populates="photos")


class ReviewDecision(enum.StrEnum):
    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"


class Review(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision: Mapped[ReviewDecision] = mapped_column(enum_column(ReviewDecision))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    report: Mapped[Report] = relationship(back_populates="reviews")
