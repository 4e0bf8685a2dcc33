"""A report's life cycle: one function per transition, each checking where from.

    draft ──submit──▶ submitted ──approve──▶ approved
                          │ ├──return──▶ returned ──submit──▶ submitted
                          │ └──reject──▶ rejected

Only approved reports count in the barometer (DESIGN.md §3.12). A returned report goes back to
its investigator with the reviewer's comment, to be corrected and sent again; an approved or
rejected one is final. What happens to the mission is the mission's own life cycle.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.models import Report, ReportStatus, User
from server.models.types import utcnow
from server.services import audit
from server.services.errors import Conflict

R = ReportStatus

STATUS_LABELS = {
    R.DRAFT: "Brouillon",
    R.SUBMITTED: "Envoyé",
    R.APPROVED: "Validé",
    R.RETURNED: "Renvoyé pour correction",
    R.REJECTED: "Rejeté",
}


def _move(
    session: Session,
    report: Report,
    allowed: frozenset[ReportStatus],
    to: ReportStatus,
    action: str,
    verb: str,
    actor: User | None,
    **details: object,
) -> None:
    if report.status not in allowed:
        raise Conflict(
            f"Rapport n° {report.id} : impossible de {action}, il est "
            f"« {STATUS_LABELS[report.status]} ».",
            {"status": [report.status.value]},
        )
    before = report.status
    report.status = to
    audit.record(
        session,
        f"report.{verb}",
        actor=actor,
        entity=report,
        before=before.value,
        after=to.value,
        **details,
    )


def submit(session: Session, report: Report, *, actor: User | None, **details: object) -> None:
    """The investigator sends a draft, or a returned report once corrected (``details``, e.g.
    the submitted payload's fingerprint, go into the same audit event)."""
    _move(
        session,
        report,
        frozenset({R.DRAFT, R.RETURNED}),
        R.SUBMITTED,
        "l’envoyer",
        "submit",
        actor,
        **details,
    )
    report.submitted_at = utcnow()


def approve(session: Session, report: Report, *, actor: User | None, comment: str = "") -> None:
    _move(
        session,
        report,
        frozenset({R.SUBMITTED}),
        R.APPROVED,
        "le valider",
        "approve",
        actor,
        comment=comment,
    )


def return_for_correction(
    session: Session, report: Report, *, actor: User | None, comment: str
) -> None:
    _move(
        session,
        report,
        frozenset({R.SUBMITTED}),
        R.RETURNED,
        "le renvoyer",
        "return",
        actor,
        comment=comment,
    )


def reject(session: Session, report: Report, *, actor: User | None, comment: str) -> None:
    _move(
        session,
        report,
        frozenset({R.SUBMITTED}),
        R.REJECTED,
        "le rejeter",
        "reject",
        actor,
        comment=comment,
    )
