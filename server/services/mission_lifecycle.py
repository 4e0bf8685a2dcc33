"""A mission's fieldwork life cycle: one function per transition, each checking where from.

    unassigned ──assign──▶ assigned ──submit (visit, phone, website)──▶ done
        ▲  │                 │  ▲ └──request sent (email, letter)──▶ awaiting_reply ──reply──▶ done
        │  │                 │  │                                         └──no reply──▶ done
        │  │        window passed│reassign
        │  │                 ▼  │
        └──┴──unassign──── overdue
    open missions (unassigned, assigned, overdue) ──cancel──▶ cancelled
                                                 ──wave closes──▶ not_done

What happens to the report a mission produced (submitted, approved, returned…) is the report's
own life cycle; a returned report leaves its mission done.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from server.models import Mission, MissionStatus, ReplyOutcome, User
from server.models.types import utcnow
from server.services import audit
from server.services.errors import Conflict
from server.services.mission_plan import REPLY_CHANNELS

S = MissionStatus

#: Statuses of a mission still to be played (listed for assignment and reassignment).
OPEN = frozenset({S.UNASSIGNED, S.ASSIGNED, S.OVERDUE})
#: A mission whose investigator has begun: the optimiser never moves it.
STARTED = frozenset({S.AWAITING_REPLY, S.DONE})

STATUS_LABELS = {
    S.UNASSIGNED: "Non attribuée",
    S.ASSIGNED: "Attribuée",
    S.AWAITING_REPLY: "Réponse attendue",
    S.DONE: "Réalisée",
    S.OVERDUE: "En retard",
    S.NOT_DONE: "Non réalisée",
    S.CANCELLED: "Annulée",
}


def _require(mission: Mission, allowed: frozenset[MissionStatus], action: str) -> None:
    if mission.status not in allowed:
        raise Conflict(
            f"Mission n° {mission.id} : impossible de {action}, elle est "
            f"« {STATUS_LABELS[mission.status]} ».",
            {"status": [mission.status.value]},
        )


def _moved(
    session: Session, mission: Mission, to: MissionStatus, verb: str, actor: User | None, **details
) -> None:
    before = mission.status
    mission.status = to
    audit.record(
        session,
        f"mission.{verb}",
        actor=actor,
        entity=mission,
        before=before.value,
        after=to.value,
        **details,
    )


def assign(
    session: Session,
    mission: Mission,
    investigator: User,
    *,
    actor: User | None,
    forced_rule: str | None = None,
) -> None:
    """Give an open mission to an investigator (a reassignment when it had one)."""
    _require(mission, OPEN, "l’attribuer")
    previous = mission.assignee_id
    mission.assignee_id = investigator.id
    mission.reason = None
    mission.rule = None
    _moved(
        session,
        mission,
        S.ASSIGNED,
        "assign",
        actor,
        investigator_id=investigator.id,
        previous_investigator_id=previous,
        forced_rule=forced_rule,
    )


def unassign(
    session: Session, mission: Mission, *, actor: User | None, reason: str, rule: str | None
) -> None:
    """Take an open mission back (nobody could take it, or its investigator left)."""
    _require(mission, OPEN, "la retirer")
    previous = mission.assignee_id
    mission.assignee_id = None
    mission.reason = reason
    mission.rule = rule
    _moved(
        session,
        mission,
        S.UNASSIGNED,
        "unassign",
        actor,
        previous_investigator_id=previous,
        rule=rule,
    )


def mark_overdue(session: Session, mission: Mission, *, actor: User | None) -> None:
    _require(mission, frozenset({S.ASSIGNED}), "la déclarer en retard")
    _moved(session, mission, S.OVERDUE, "overdue", actor)


def mark_request_sent(
    session: Session, mission: Mission, sent_at: datetime, *, actor: User | None
) -> None:
    """An email or letter left: its reply is now awaited until ``reply_due_on``."""
    if mission.channel not in REPLY_CHANNELS:
        raise Conflict(
            f"Mission n° {mission.id} : seul un courriel ou un courrier attend une réponse."
        )
    _require(mission, frozenset({S.ASSIGNED, S.OVERDUE}), "enregistrer l’envoi")
    mission.sent_at = sent_at
    _moved(session, mission, S.AWAITING_REPLY, "request_sent", actor, sent_at=sent_at.isoformat())


def mark_done(
    session: Session, mission: Mission, *, actor: User | None, at: datetime | None = None
) -> None:
    """The test was played (visit, call, website check) or its reply settled (email, letter)."""
    allowed = (
        frozenset({S.AWAITING_REPLY})
        if mission.channel in REPLY_CHANNELS
        else frozenset({S.ASSIGNED, S.OVERDUE})
    )
    _require(mission, allowed, "la déclarer réalisée")
    mission.done_at = at or utcnow()
    _moved(session, mission, S.DONE, "done", actor)


def record_no_reply(
    session: Session, mission: Mission, *, actor: User | None, at: datetime | None = None
) -> None:
    """The deadline passed (or the wave closed) without a reply: the delay criterion scores 0."""
    _require(mission, frozenset({S.AWAITING_REPLY}), "la déclarer sans réponse")
    mission.reply_outcome = ReplyOutcome.NO_REPLY
    mission.done_at = at or utcnow()
    _moved(session, mission, S.DONE, "no_reply", actor, due_on=str(mission.reply_due_on))


def cancel(session: Session, mission: Mission, *, actor: User | None, reason: str) -> None:
    _require(mission, OPEN, "l’annuler")
    mission.reason = reason
    _moved(session, mission, S.CANCELLED, "cancel", actor, reason=reason)


def close_as_not_done(session: Session, mission: Mission, *, actor: User | None) -> None:
    """The wave closed while the mission was still open: counted, never played."""
    _require(mission, OPEN, "la clore")
    _moved(session, mission, S.NOT_DONE, "not_done", actor)


def assign_in_bulk(
    session: Session,
    assignments: list[tuple[Mission, int]],
    unassignable: list[tuple[Mission, str, str]],
    *,
    actor: User | None,
) -> None:
    """The ``assign`` and ``unassign`` transitions for a whole optimiser run at once.

    Each mission is checked as ``assign`` would; the run itself (``AssignmentRun`` and one
    audit event) records what changed, instead of one audit row per mission of a
    15,000-mission wave.
    """
    now = utcnow()
    changes: list[dict[str, object]] = []
    for mission, investigator_id in assignments:
        _require(mission, OPEN, "l’attribuer")
        if mission.assignee_id != investigator_id or mission.status != S.ASSIGNED:
            changes.append(
                {
                    "id": mission.id,
                    "assignee_id": investigator_id,
                    "status": S.ASSIGNED,
                    "reason": None,
                    "rule": None,
                    "updated_at": now,
                }
            )
    for mission, reason, rule in unassignable:
        _require(mission, OPEN, "la retirer")
        changes.append(
            {
                "id": mission.id,
                "assignee_id": None,
                "status": S.UNASSIGNED,
                "reason": reason,
                "rule": rule,
                "updated_at": now,
            }
        )
    if changes:
        # One executemany by primary key; objects in the session reload on their next use.
        session.execute(update(Mission), changes)
        session.expire_all()
