"""Writing to the audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from server.models import AuditEvent, User


def record(
    session: Session,
    action: str,
    *,
    actor: User | None,
    entity: object | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event for ``action`` by ``actor`` on ``entity`` (added, not committed)."""
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        entity_type=type(entity).__name__ if entity is not None else None,
        entity_id=str(getattr(entity, "id", "")) if entity is not None else None,
        details=details,
    )
    session.add(event)
    return event
