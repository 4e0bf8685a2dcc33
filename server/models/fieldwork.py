"""Waves of fieldwork and the missions (single tests) they are made of.

A mission's status is about fieldwork only (was the test played, is a reply awaited); what
happens to the report it produced is the report's own status (``server.models.report``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.types import UTCDateTime, enum_column, utcnow


class WaveStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Wave(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "waves"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    #: The sample the wave tests; opening the wave locks it (its weights are then published).
    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    #: Tests per site and channel: ``{"default": {"visit": 2, ...}, "networks": {name: {...}}}``.
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Working days a site has to answer, per channel: ``{"email": 5, "letter": 15}``.
    reply_days: Mapped[dict[str, int]] = mapped_column(JSON)
    #: Number of earlier waves (the previous campaign's included) during which an
    #: investigator may not return to a site they visited.
    lockout_waves: Mapped[int] = mapped_column(default=1)
    #: Hard rules of the assignment, each switchable (see ``services.assignment.Rules``).
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[WaveStatus] = mapped_column(enum_column(WaveStatus), default=WaveStatus.OPEN)
    #: Counts made when the wave was closed (missions closed as not done, per channel).
    closing: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    campaign: Mapped[Campaign] = relationship(back_populates="waves")  # noqa: F821
    draw: Mapped[Draw] = relationship()  # noqa: F821
    missions: Mapped[list[Mission]] = relationship(
        back_populates="wave", cascade="all, delete-orphan"
    )
    assignment_runs: Mapped[list[AssignmentRun]] = relationship(
        back_populates="wave", cascade="all, delete-orphan", order_by="AssignmentRun.id"
    )


class MissionStatus(enum.StrEnum):
    UNASSIGNED = "unassigned"
    ASSIGNED = "assigned"
    #: An email or letter went out; the site's reply is awaited until its deadline.
    AWAITING_REPLY = "awaiting_reply"
    DONE = "done"
    #: Its window passed without a submitted report: listed for reassignment.
    OVERDUE = "overdue"
    #: Still open when the wave closed: counted, never played.
    NOT_DONE = "not_done"
    CANCELLED = "cancelled"


class ReplyOutcome(enum.StrEnum):
    RECEIVED = "received"
    #: The deadline passed without a reply: the delay criterion scores 0 (DOMAIN.md §4).
    NO_REPLY = "no_reply"


class Mission(db.Model):  # type: ignore[name-defined,misc]
    """One test of one sampled site through one channel, played by one investigator."""

    __tablename__ = "missions"
    __table_args__ = (UniqueConstraint("wave_id", "sampled_site_id", "channel", "ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    #: The site as drawn in the wave's sample: its stratum and weight come with it.
    sampled_site_id: Mapped[int] = mapped_column(
        ForeignKey("sampled_sites.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(20))
    #: 1, 2, … among the tests of this site and channel in the wave (generation is idempotent).
    ordinal: Mapped[int]
    scenario_id: Mapped[int | None] = mapped_column(ForeignKey("scenarios.id", ondelete="SET NULL"))
    #: The scenario's text as it was when the mission was generated (the library may change).
    scenario: Mapped[str] = mapped_column(Text, default="")
    questionnaire_id: Mapped[int | None] = mapped_column(ForeignKey("questionnaires.id"))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    #: IANA zone the window is shown in (the site's: Europe/Paris, Indian/Reunion…).
    time_zone: Mapped[str] = mapped_column(String(40), default="Europe/Paris")
    #: The site's opening hours were unknown: the window uses default hours.
    default_hours: Mapped[bool] = mapped_column(default=False)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[MissionStatus] = mapped_column(
        enum_column(MissionStatus), default=MissionStatus.UNASSIGNED, index=True
    )
    #: Why nobody could take this test, for people (French) and for programs (a rule code).
    reason: Mapped[str | None] = mapped_column(Text)
    rule: Mapped[str | None] = mapped_column(String(40))
    #: Email and letter tests: when the request left, its deadline, and the reply.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reply_due_on: Mapped[date | None] = mapped_column(Date)
    reply_outcome: Mapped[ReplyOutcome | None] = mapped_column(enum_column(ReplyOutcome))
    reply_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reply_text: Mapped[str | None] = mapped_column(Text)
    #: Stored scan of a letter's reply (path under the upload folder), if one was attached.
    reply_scan_path: Mapped[str | None] = mapped_column(String(500))
    reply_recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: Working days the reply took (counted in the site's department), once it arrived.
    reply_working_days: Mapped[int | None]
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    wave: Mapped[Wave] = relationship(back_populates="missions")
    sampled_site: Mapped[SampledSite] = relationship()  # noqa: F821
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])  # noqa: F821
    reports: Mapped[list[Report]] = relationship(  # noqa: F821
        back_populates="mission", cascade="all, delete-orphan"
    )

    @property
    def site(self) -> Site:  # noqa: F821
        return self.sampled_site.site

    @property
    def is_remote(self) -> bool:
        return self.channel != "visit"


class AssignmentRun(db.Model):  # type: ignore[name-defined,misc]
    """One run of the optimiser on a wave, kept so a coordinator sees what it did and why."""

    __tablename__ = "assignment_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    assigned: Mapped[int]
    #: Missions already started, left with their investigator.
    kept: Mapped[int]
    unassignable: Mapped[int]
    total_km: Mapped[float] = mapped_column(Float)
    mean_km: Mapped[float | None] = mapped_column(Float)
    solve_seconds: Mapped[float] = mapped_column(Float)
    #: max / min over investigators of load / capacity.
    fairness: Mapped[float | None] = mapped_column(Float)
    #: Investigator id → {"load", "visits", "capacity", "visit_capacity", "km"}.
    loads: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Rule code → number of missions it blocked.
    blocked_by_rule: Mapped[dict[str, int]] = mapped_column(JSON)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)

    wave: Mapped[Wave] = relationship(back_populates="assignment_runs")
