"""The reviewers' comment library: comments written once, picked for any decision after."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from server.models import ReviewComment, ReviewDecision, User
from server.services import audit
from server.services.errors import Conflict, Invalid, NotFound
from server.services.review import MAX_COMMENT


def comments_query(
    *, decision: ReviewDecision | str | None = None, active_only: bool = True
) -> Select[tuple[ReviewComment]]:
    """The library, alphabetically; ``decision`` keeps the comments written for it and those
    that suit any decision."""
    statement = select(ReviewComment)
    if active_only:
        statement = statement.where(ReviewComment.active.is_(True))
    if decision:
        wanted = ReviewDecision(decision)
        statement = statement.where(
            (ReviewComment.decision == wanted) | ReviewComment.decision.is_(None)
        )
    return statement.order_by(ReviewComment.text, ReviewComment.id)


def get_comment(session: Session, comment_id: int) -> ReviewComment:
    found = session.get(ReviewComment, comment_id)
    if found is None:
        raise NotFound(f"Commentaire {comment_id} introuvable dans la bibliothèque.")
    return found


def _same_text(session: Session, text: str) -> ReviewComment | None:
    return session.scalars(
        select(ReviewComment).where(func.lower(ReviewComment.text) == text.lower())
    ).first()


def add_comment(
    session: Session, text: str, *, decision: ReviewDecision | str | None = None, actor: User
) -> ReviewComment:
    """A new comment of the library; the same text twice (case and spaces aside) is a 409."""
    clean = " ".join((text or "").split())
    if not clean:
        raise Invalid("Le commentaire est vide.", {"text": ["Texte requis."]})
    if len(clean) > MAX_COMMENT:
        raise Invalid(
            f"Commentaire trop long : {MAX_COMMENT} caractères au plus.",
            {"text": [f"{MAX_COMMENT} caractères au plus."]},
        )
    same = _same_text(session, clean)
    if same is not None:
        raise Conflict(
            f"Ce commentaire est déjà dans la bibliothèque (n° {same.id}).",
            {"text": ["Déjà dans la bibliothèque."]},
        )
    comment = ReviewComment(
        text=clean,
        decision=ReviewDecision(decision) if decision else None,
        active=True,
        created_by_id=actor.id,
    )
    session.add(comment)
    session.flush()
    audit.record(session, "review_comment.create", actor=actor, entity=comment, text=clean)
    return comment


def remember(
    session: Session, text: str, *, decision: ReviewDecision | str | None, actor: User
) -> ReviewComment:
    """The library's comment of this text, added if it is not there yet (a reviewer ticking
    « add to the library » for a comment already in it is not an error)."""
    return _same_text(session, " ".join(text.split())) or add_comment(
        session, text, decision=decision, actor=actor
    )


def set_active(session: Session, comment: ReviewComment, active: bool, *, actor: User) -> None:
    """Switch a comment on or off (reviews keep their own copy of its text)."""
    if comment.active == active:
        return
    comment.active = active
    audit.record(session, "review_comment.update", actor=actor, entity=comment, active=active)


def compose(session: Session, comment_id: int | None, text: str | None) -> str:
    """The decision's comment: the library's text (if one is picked), then the reviewer's."""
    parts = []
    if comment_id is not None:
        parts.append(get_comment(session, comment_id).text)
    if text and text.strip():
        parts.append(text.strip())
    return "\n\n".join(parts)
