"""The reviewers' comment library: reusable comments for returning or rejecting a report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.report import ReviewDecision
from server.models.types import UTCDateTime, enum_column, utcnow


class ReviewComment(db.Model):  # type: ignore[name-defined,misc]
    """A comment a reviewer picks instead of typing it again (« Photo de l’espace d’attente
    floue : reprenez-la. »). Switched off rather than deleted: reviews keep their own copy
    of the text, so the library may change freely."""

    __tablename__ = "review_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    #: The decision it is written for (return, reject…); None when it suits any.
    decision: Mapped[ReviewDecision | None] = mapped_column(enum_column(ReviewDecision))
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
