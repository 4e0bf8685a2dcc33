"""Recorded sample draws and the sites they selected, with their design weights."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.types import UTCDateTime, utcnow


class Draw(db.Model):  # type: ignore[name-defined,misc]
    """A sample draw, with everything needed to reproduce it.

    A campaign has at most one current draw; replacing it keeps the old one as superseded.
    A draw used by a wave is locked and cannot be replaced.
    """

    __tablename__ = "draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    #: size, strata, allocation, minimum, draw method, overlap target, previous draw id…
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    seed: Mapped[int]
    #: One row per stratum: population, sample size, inclusion probability, weight.
    allocation_table: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: Per-stratum overlap achieved with the previous draw, when rotation was asked.
    overlap_achieved: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    #: Stratum → PRN start of an srs draw: a later draw rotates from it by a fixed shift.
    starts: Mapped[dict[str, float] | None] = mapped_column(JSON(none_as_null=True))
    code_version: Mapped[str] = mapped_column(String(50))
    is_current: Mapped[bool] = mapped_column(default=True)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    campaign: Mapped[Campaign] = relationship(back_populates="draws")  # noqa: F821
    created_by: Mapped[User | None] = relationship()  # noqa: F821
    sampled_sites: Mapped[list[SampledSite]] = relationship(
        back_populates="draw", cascade="all, delete-orphan"
    )


class SampledSite(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "sampled_sites"
    __table_args__ = (UniqueConstraint("draw_id", "site_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    stratum: Mapped[str] = mapped_column(String(400))
    inclusion_probability: Mapped[float] = mapped_column(Float)
    #: Design weight, the inverse of the inclusion probability.
    weight: Mapped[float] = mapped_column(Float)
    certainty: Mapped[bool] = mapped_column(default=False)

    draw: Mapped[Draw] = relationship(back_populates="sampled_sites")
    site: Mapped[Site] = relationship()  # noqa: F821
