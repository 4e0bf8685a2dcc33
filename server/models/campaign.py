"""A campaign is one year's barometer: its frame, its sample, its waves and its results."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.types import UTCDateTime, utcnow


class Campaign(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(index=True)
    #: The stored référentiel version the campaign measures against.
    referentiel_id: Mapped[int] = mapped_column(ForeignKey("referentiels.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    referentiel: Mapped[Referentiel] = relationship()  # noqa: F821
    sites: Mapped[list[Site]] = relationship(  # noqa: F821
        back_populates="campaign", cascade="all, delete-orphan"
    )
    draws: Mapped[list[Draw]] = relationship(  # noqa: F821
        back_populates="campaign", cascade="all, delete-orphan"
    )
    waves: Mapped[list[Wave]] = relationship(  # noqa: F821
        back_populates="campaign", cascade="all, delete-orphan"
    )

    @property
    def referentiel_code(self) -> str:
        return self.referentiel.code

    @property
    def referentiel_version(self) -> int:
        return self.referentiel.version
