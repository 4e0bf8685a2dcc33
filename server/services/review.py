"""Reviewing submitted reports (DOMAIN.md §6): one decision, bulk approval, the audit trail.

A decision (approve, return for correction, reject) creates the ``Review`` row the phone
reads (``reports.latest_review``: a returned report goes back with its comment) and moves the
report through ``report_lifecycle``, whose audit event of the move also records the review id,
the report version decided on and the automatic flags shown at that moment.

Two reviewers at once: the report row is read locked (``FOR UPDATE``, PostgreSQL), then
claimed by a conditional UPDATE on its id, status ``submitted`` and the version read (both
engines: SQLite serialises writers, PostgreSQL re-checks the condition once the first
reviewer's transaction ends). The second reviewer matches no row, or finds the report decided,
and gets a 409 naming its status. ``expected_version`` is the version the reviewer's page
showed: a report corrected and sent again since then is a 409 too, never decided unread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from server.models import (
    AuditEvent,
    Mission,
    MissionStatus,
    Photo,
    Report,
    ReportStatus,
    Review,
    ReviewDecision,
    User,
    Wave,
    WaveStatus,
)
from server.models.types import utcnow
from server.services import audit, report_lifecycle
from server.services.errors import Conflict, Invalid, NotFound
from server.services.review_flags import Flag, FlagSettings
from server.services.review_queue import QueueFilters, reports_query, user_names, wave_flags

#: Longest comment kept (the phone shows it whole).
MAX_COMMENT = 2000
DECISION_LABELS = {
    ReviewDecision.APPROVE: "Valider",
    ReviewDecision.RETURN: "Renvoyer pour correction",
    ReviewDecision.REJECT: "Rejeter",
}
#: What each audit event of a report's trail means, in French.
AUDIT_LABELS = {
    "report.save": "Brouillon enregistré",
    "report.submit": "Rapport envoyé",
    "report.approve": "Rapport validé",
    "report.return": "Rapport renvoyé pour correction",
    "report.reject": "Rapport rejeté",
    "photo.upload": "Photo reçue",
}
_MOVES = {
    ReviewDecision.APPROVE: ("approve", report_lifecycle.approve),
    ReviewDecision.RETURN: ("return", report_lifecycle.return_for_correction),
    ReviewDecision.REJECT: ("reject", report_lifecycle.reject),
}
#: Missions whose report can no longer be corrected (returning one would strand it).
_CLOSED_MISSIONS = frozenset({MissionStatus.CANCELLED, MissionStatus.NOT_DONE})


def get_report(session: Session, report_id: int) -> Report:
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"Rapport {report_id} introuvable.")
    return report


def _status_conflict(report: Report, *, raced: bool = False) -> Conflict:
    label = report_lifecycle.STATUS_LABELS[report.status]
    if report.status == ReportStatus.DRAFT:
        what = "il n’a pas encore été envoyé"
    elif raced:
        what = "un autre relecteur vient de le revoir"
    else:
        what = "il a déjà été revu"
    return Conflict(
        f"Rapport n° {report.id} « {label} » : {what} ; seul un rapport « Envoyé » se revoit.",
        {"status": [report.status.value]},
    )


def _version_conflict(report: Report, expected: int) -> Conflict:
    return Conflict(
        f"Le rapport n° {report.id} a changé depuis que vous l’avez ouvert (version "
        f"{report.version}, la vôtre : {expected}) : relisez-le avant de décider.",
        {"version": [f"Version actuelle : {report.version}."]},
    )


def _clean_comment(decision: ReviewDecision, comment: str | None) -> str:
    text = (comment or "").strip()
    if decision != ReviewDecision.APPROVE and not text:
        verb = "renvoyer" if decision == ReviewDecision.RETURN else "rejeter"
        raise Invalid(
            f"Un commentaire est requis pour {verb} un rapport : dites à l’enquêteur pourquoi.",
            {"comment": ["Commentaire requis."]},
        )
    if len(text) > MAX_COMMENT:
        raise Invalid(
            f"Commentaire trop long : {MAX_COMMENT} caractères au plus.",
            {"comment": [f"{MAX_COMMENT} caractères au plus."]},
        )
    return text


def _check_correctable(report: Report) -> None:
    """A returned report must be one its investigator can still send again."""
    mission = report.mission
    if mission.wave.status == WaveStatus.CLOSED:
        raise Conflict(
            f"La vague « {mission.wave.name} » est close : le rapport ne pourrait plus être "
            "corrigé. Validez-le ou rejetez-le.",
            {"decision": ["La vague est close."]},
        )
    if mission.status in _CLOSED_MISSIONS:
        raise Conflict(
            f"La mission n° {mission.id} ne reçoit plus de rapport : le rapport ne pourrait "
            "plus être corrigé. Validez-le ou rejetez-le.",
            {"decision": ["Mission close."]},
        )


def _locked(session: Session, report_id: int) -> Report:
    report = session.scalars(
        select(Report)
        .where(Report.id == report_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if report is None:
        raise NotFound(f"Rapport {report_id} introuvable.")
    return report


def _claim(session: Session, report: Report) -> bool:
    """Take the report for this decision: True unless another one got there first."""
    done = session.execute(
        update(Report)
        .where(
            Report.id == report.id,
            Report.status == ReportStatus.SUBMITTED,
            Report.version == report.version,
        )
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount == 1)


def _transition_event(session: Session, report: Report, verb: str) -> AuditEvent | None:
    """The audit event ``report_lifecycle`` just added for the move (not flushed yet)."""
    for item in session.new:
        if (
            isinstance(item, AuditEvent)
            and item.action == f"report.{verb}"
            and item.entity_id == str(report.id)
        ):
            return item
    return None


def _decide(
    session: Session,
    report: Report,
    decision: ReviewDecision,
    comment: str,
    actor: User,
    flags: Sequence[Flag],
    **details: Any,
) -> Review:
    verb, move = _MOVES[decision]
    version = report.version
    move(session, report, actor=actor, comment=comment)
    review = Review(report=report, reviewer_id=actor.id, decision=decision, comment=comment)
    session.add(review)
    event = _transition_event(session, report, verb)
    session.flush()
    if event is not None:
        event.details = {
            **(event.details or {}),
            "review_id": review.id,
            "version": version,
            "flags": [flag.as_dict() for flag in flags],
            **details,
        }
    return review


def review(
    session: Session,
    report: Report,
    *,
    decision: ReviewDecision | str,
    comment: str | None,
    actor: User,
    expected_version: int | None = None,
    settings: FlagSettings | None = None,
) -> Review:
    """Decide on a submitted report (see the module); returns the new ``Review``."""
    decision = ReviewDecision(decision)
    text = _clean_comment(decision, comment)
    report = _locked(session, report.id)
    if report.status != ReportStatus.SUBMITTED:
        raise _status_conflict(report)
    if expected_version is not None and expected_version != report.version:
        raise _version_conflict(report, expected_version)
    if decision == ReviewDecision.RETURN:
        _check_correctable(report)
    flags = wave_flags(session, report.mission.wave, [report.id], settings).get(report.id, [])
    read = report.version
    if not _claim(session, report):
        session.refresh(report)
        if report.status == ReportStatus.SUBMITTED:  # sent again meanwhile (new version)
            raise _version_conflict(report, expected_version or read)
        raise _status_conflict(report, raced=True)
    return _decide(session, report, decision, text, actor, flags)


# --- bulk approval --------------------------------------------------------------------------


@dataclass
class BulkOutcome:
    approved: list[int] = field(default_factory=list)
    skipped_flagged: list[int] = field(default_factory=list)
    #: Decided by someone else while the bulk approval ran.
    skipped_decided: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "approved": len(self.approved),
            "skipped_flagged": len(self.skipped_flagged),
            "skipped_decided": len(self.skipped_decided),
            "approved_ids": self.approved,
        }


def approve_unflagged(
    session: Session,
    wave: Wave,
    filters: QueueFilters,
    *,
    actor: User,
    comment: str = "",
    settings: FlagSettings | None = None,
) -> BulkOutcome:
    """Approve, one by one (each reviewed and audited), the wave's submitted reports the
    filters keep that carry no flag; flagged ones are left for a person to read."""
    filters = QueueFilters(
        status=ReportStatus.SUBMITTED.value,
        channel=filters.channel,
        network=filters.network,
        region=filters.region,
        investigator_id=filters.investigator_id,
    ).checked()
    text = _clean_comment(ReviewDecision.APPROVE, comment)
    statement = reports_query(wave, filters).with_for_update(of=Report)
    reports = session.scalars(statement.execution_options(populate_existing=True)).all()
    flags = wave_flags(session, wave, [r.id for r in reports], settings) if reports else {}
    outcome = BulkOutcome()
    for report in reports:
        if flags.get(report.id):
            outcome.skipped_flagged.append(report.id)
        elif report.status != ReportStatus.SUBMITTED or not _claim(session, report):
            outcome.skipped_decided.append(report.id)
        else:
            _decide(session, report, ReviewDecision.APPROVE, text, actor, [], bulk=True)
            outcome.approved.append(report.id)
    audit.record(
        session,
        "review.approve_unflagged",
        actor=actor,
        entity=wave,
        filters={k: v for k, v in vars(filters).items() if v is not None},
        **{k: v for k, v in outcome.as_dict().items() if k != "approved_ids"},
    )
    return outcome


# --- reading --------------------------------------------------------------------------------


def mission_reports(session: Session, mission: Mission) -> list[Report]:
    """Every report of the mission (whoever wrote it), latest first."""
    return list(
        session.scalars(
            select(Report).where(Report.mission_id == mission.id).order_by(Report.id.desc())
        )
    )


def report_audit(session: Session, report: Report) -> list[AuditEvent]:
    """The report's audit trail, oldest first: its saves, submissions and reviews, and the
    uploads of its photos."""
    photos = session.scalars(select(Photo.id).where(Photo.report_id == report.id))
    photo_ids = [str(photo_id) for photo_id in photos]
    conditions = [(AuditEvent.entity_type == "Report") & (AuditEvent.entity_id == str(report.id))]
    if photo_ids:
        conditions.append((AuditEvent.entity_type == "Photo") & AuditEvent.entity_id.in_(photo_ids))
    return list(
        session.scalars(
            select(AuditEvent).where(or_(*conditions)).order_by(AuditEvent.at, AuditEvent.id)
        )
    )


def actor_names(session: Session, events: Sequence[AuditEvent]) -> dict[int, str]:
    return user_names(session, (event.actor_id for event in events))
