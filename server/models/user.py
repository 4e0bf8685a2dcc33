"""Accounts: people who log in, their role, their API tokens and the login throttle."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.types import UTCDateTime, enum_column, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    ANALYST = "analyst"
    INVESTIGATOR = "investigator"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "Administrateur",
    Role.COORDINATOR: "Coordination",
    Role.ANALYST: "Analyse",
    Role.INVESTIGATOR: "Enquêteur",
}


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased so logins are case-insensitive on both engines.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    #: A deactivated account can no longer log in nor use its tokens; its history stays.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Bumped when an admin resets the password or deactivates the account: it is part of
    #: ``get_id()``, kept in the session cookie, so every session opened before stops matching.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    investigator_profile: Mapped[InvestigatorProfile | None] = relationship(  # noqa: F821
        back_populates="user", uselist=False
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users.
        return self.active

    def get_id(self) -> str:
        """Flask-Login's session id: ``"<id>:<session_version>"`` (see ``session_version``)."""
        return f"{self.id}:{self.session_version or 0}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"


class ApiToken(db.Model):  # type: ignore[name-defined,misc]
    """A bearer token for the JSON API. Only its SHA-256 is kept, so a leaked table is useless."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")


class LoginThrottle(db.Model):  # type: ignore[name-defined,misc]
    """Failed logins per e-mail address, known or not, to slow down password guessing.

    Kept in the database (not in process memory) so every gunicorn worker sees the same count,
    and keyed by the address typed so that unknown and known accounts behave alike.
    """

    __tablename__ = "login_throttles"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
