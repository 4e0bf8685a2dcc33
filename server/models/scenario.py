"""The scenario library: the user requests investigators play, per network and channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import UTCDateTime, utcnow


class Scenario(db.Model):  # type: ignore[name-defined,misc]
    """A realistic request ("renouveler une carte d’identité") for one network and channel."""

    __tablename__ = "scenarios"
    __table_args__ = (UniqueConstraint("network", "channel", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The network as written in the frame ("Préfecture", "SIP"…).
    network: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    #: What the investigator says or writes, played as an ordinary user would.
    text: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
