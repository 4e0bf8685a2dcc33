"""Sites of a campaign's frame: the public-service offices that can be sampled and tested."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.types import UTCDateTime, utcnow


class Site(db.Model):  # type: ignore[name-defined,misc]
    """One line of the frame the ministry sent for a campaign's year.

    A site is identified across years by its ``code`` (the frame's ``site_id``); each year's
    frame is kept as imported, so a network renamed next year does not rewrite this year.
    """

    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    #: The frame's ``site_id`` / ``code_site``: stable across years.
    code: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(300))
    network: Mapped[str] = mapped_column(String(200), index=True)
    region: Mapped[str] = mapped_column(String(200), index=True)
    department: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(String(400))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    #: Size measure for probability-proportional-to-size draws (e.g. yearly visitors).
    size: Mapped[float | None] = mapped_column(Float)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(50))
    #: Weekday (0 = Monday) → list of ["HH:MM", "HH:MM"] opening intervals.
    opening_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    #: Frame columns we do not know, kept as imported.
    extra: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: Permanent random number in [0, 1): given at the site's first import ever and reused
    #: for the same code in every later campaign, which is what makes panel rotation work.
    permanent_random_number: Mapped[float] = mapped_column(Float)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="sites")  # noqa: F821
