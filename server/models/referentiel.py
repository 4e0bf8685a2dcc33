"""Référentiels (sets of engagements) and questionnaires, stored as versioned documents.

The documents themselves are validated by ``survey_schemas``; the database keeps each version
as loaded, with a fingerprint, so a report is always validated and scored with the exact
version it was filled with.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.types import UTCDateTime, utcnow


class Referentiel(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "referentiels"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: SHA-256 of the canonical JSON content: the same version can never change silently.
    fingerprint: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    questionnaires: Mapped[list[Questionnaire]] = relationship(back_populates="referentiel")


class Questionnaire(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "questionnaires"
    __table_args__ = (
        UniqueConstraint("referentiel_id", "channel", "version"),
        UniqueConstraint("code", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The questionnaire's own identity with ``version`` (e.g. ``marianne-visit``).
    code: Mapped[str] = mapped_column(String(50))
    referentiel_id: Mapped[int] = mapped_column(ForeignKey("referentiels.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    referentiel: Mapped[Referentiel] = relationship(back_populates="questionnaires")
