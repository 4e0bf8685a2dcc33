"""The field profile of an investigator account: where they live, what they can take on."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.user import User

CHANNEL_LABELS = {
    "visit": "Visite",
    "phone": "Appel",
    "email": "Courriel",
    "letter": "Courrier",
    "website": "Site internet",
}


class InvestigatorProfile(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "investigator_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    #: Investigators never test a site in their own home commune (they could be recognised).
    home_commune: Mapped[str] = mapped_column(String(200))
    #: INSEE code of the home commune, when known: compared before the commune's name.
    home_insee: Mapped[str | None] = mapped_column(String(5))
    home_latitude: Mapped[float]
    home_longitude: Mapped[float]
    #: Maximum number of tests per wave, all channels.
    capacity: Mapped[int]
    #: Maximum number of visits per wave (visits cost travel; remote tests do not).
    visit_capacity: Mapped[int]
    #: ISO dates on which this person cannot test.
    unavailable_dates: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Channels this person may run, a subset of ``survey_schemas.CHANNELS``.
    channels: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)

    user: Mapped[User] = relationship(back_populates="investigator_profile")
