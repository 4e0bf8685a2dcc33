"""Reviewing reports: the three decisions, their Review rows and audit events, refusals
(a report that is not submitted, a missing comment, a stale version, a closed wave), two
reviewers at once, bulk approval, the comment library and the audit trail."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.extensions import db
from server.models import (
    AuditEvent,
    Mission,
    Report,
    ReportStatus,
    Review,
    ReviewDecision,
    User,
    Wave,
    WaveStatus,
)
from server.services import mission_lifecycle, review, review_comments
from server.services.errors import Conflict, Invalid
from server.services.review_queue import QueueFilters
from tests.factories import Factory

#: Tuesday 3 March 2026, 09:00 in Paris: in the factory sites' opening hours.
TUESDAY_9H = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


def clean_report(
    factory: Factory, mission: Mission, investigator: User, *, day: int = 0, **overrides: Any
) -> Report:
    """A submitted visit report with no automatic flag: 20 minutes in opening hours, at the
    site (the factory's sites are all in Rennes), ``day`` days after Tuesday 3 March 2026."""
    start = TUESDAY_9H + timedelta(days=day)
    values: dict[str, Any] = {
        "status": ReportStatus.SUBMITTED,
        "questionnaire_id": mission.questionnaire_id,
        "started_at": start,
        "ended_at": start + timedelta(minutes=20),
        "latitude": 48.11,
        "longitude": -1.68,
        "position_accuracy_m": 10.0,
        "submitted_at": start + timedelta(hours=1),
    }
    values.update(overrides)
    return factory.report(mission, investigator, **values)


def wave_with_reports(factory: Factory, count: int, channel: str = "visit") -> tuple[Wave, list]:
    """A wave of ``count`` sites, one assigned visit each, with one clean report each (one
    investigator, one weekday after the other)."""
    campaign = factory.campaign()
    factory.sites(campaign, count)
    wave = factory.wave(campaign, plan={"default": {channel: 1}})
    person = factory.investigator()
    reports = []
    for day, mission in enumerate(sorted(wave.missions, key=lambda m: m.id)):
        mission_lifecycle.assign(db.session, mission, person, actor=None)
        reports.append(clean_report(factory, mission, person, day=day))
    return wave, reports


@pytest.fixture
def submitted(factory: Factory) -> tuple[Report, User]:
    _, (report,) = wave_with_reports(factory, 1)
    return report, factory.user("coordinator")


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- decisions --------------------------------------------------------------------------------


def test_approval_creates_the_review_and_audits_the_move(submitted: tuple[Report, User]) -> None:
    report, reviewer = submitted
    made = review.review(db.session, report, decision="approve", comment="", actor=reviewer)
    db.session.flush()
    assert report.status == ReportStatus.APPROVED
    assert (made.decision, made.reviewer_id, made.report_id) == (
        ReviewDecision.APPROVE,
        reviewer.id,
        report.id,
    )
    (event,) = events("report.approve")
    assert event.actor_id == reviewer.id
    assert (event.details["before"], event.details["after"]) == ("submitted", "approved")
    assert event.details["review_id"] == made.id
    assert event.details["version"] == report.version
    assert event.details["flags"] == []


@pytest.mark.parametrize(
    ("decision", "status"),
    [("return", ReportStatus.RETURNED), ("reject", ReportStatus.REJECTED)],
)
def test_return_and_reject_keep_their_comment(
    submitted: tuple[Report, User], decision: str, status: ReportStatus
) -> None:
    report, reviewer = submitted
    review.review(db.session, report, decision=decision, comment="  Photo floue. ", actor=reviewer)
    db.session.flush()
    assert report.status == status
    assert report.reviews[-1].comment == "Photo floue."
    assert events(f"report.{decision}")[0].details["comment"] == "Photo floue."


@pytest.mark.parametrize("decision", ["return", "reject"])
def test_return_and_reject_need_a_comment(submitted: tuple[Report, User], decision: str) -> None:
    report, reviewer = submitted
    with pytest.raises(Invalid) as refused:
        review.review(db.session, report, decision=decision, comment="  ", actor=reviewer)
    assert "comment" in refused.value.errors
    assert report.status == ReportStatus.SUBMITTED


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (ReportStatus.DRAFT, "Brouillon"),
        (ReportStatus.APPROVED, "Validé"),
        (ReportStatus.RETURNED, "Renvoyé pour correction"),
        (ReportStatus.REJECTED, "Rejeté"),
    ],
)
def test_only_a_submitted_report_is_reviewed(
    submitted: tuple[Report, User], status: ReportStatus, label: str
) -> None:
    report, reviewer = submitted
    report.status = status
    db.session.flush()
    with pytest.raises(Conflict) as refused:
        review.review(db.session, report, decision="approve", comment="", actor=reviewer)
    assert f"« {label} »" in refused.value.message
    assert refused.value.errors == {"status": [status.value]}
    assert db.session.scalar(select(func.count()).select_from(Review)) == 0


def test_a_stale_version_is_refused(submitted: tuple[Report, User]) -> None:
    report, reviewer = submitted
    with pytest.raises(Conflict) as refused:
        review.review(
            db.session,
            report,
            decision="approve",
            comment="",
            actor=reviewer,
            expected_version=report.version + 1,
        )
    assert "a changé depuis que vous l’avez ouvert" in refused.value.message
    assert "version" in refused.value.errors


def test_a_report_of_a_closed_wave_cannot_be_returned(submitted: tuple[Report, User]) -> None:
    report, reviewer = submitted
    report.mission.wave.status = WaveStatus.CLOSED
    db.session.flush()
    with pytest.raises(Conflict, match="Validez-le ou rejetez-le"):
        review.review(db.session, report, decision="return", comment="À revoir.", actor=reviewer)
    review.review(db.session, report, decision="reject", comment="Hors délai.", actor=reviewer)
    assert report.status == ReportStatus.REJECTED


def test_the_flags_shown_are_kept_in_the_audit_event(submitted: tuple[Report, User]) -> None:
    report, reviewer = submitted
    report.latitude = 48.2  # 10 km away
    db.session.flush()
    review.review(db.session, report, decision="approve", comment="Vu.", actor=reviewer)
    db.session.flush()
    (event,) = events("report.approve")
    assert [flag["code"] for flag in event.details["flags"]] == ["far_from_site"]


# --- two reviewers at once --------------------------------------------------------------------


def test_two_reviewers_at_once_one_wins_the_other_gets_409(
    app: Any, submitted: tuple[Report, User], factory: Factory
) -> None:
    """The first reviewer's transaction is open when the second one decides: the second waits
    (row lock on PostgreSQL, the writer's lock on SQLite), then finds the report decided."""
    report, first = submitted
    second = factory.user("coordinator")
    db.session.commit()
    report_id, first_id, second_id = report.id, first.id, second.id
    outcomes: list[object] = []
    one, other = Session(db.engine), Session(db.engine)
    try:
        review.review(
            one,
            one.get(Report, report_id),
            decision="approve",
            comment="",
            actor=one.get(User, first_id),
        )

        def late() -> None:
            with app.app_context():
                try:
                    outcomes.append(
                        review.review(
                            other,
                            other.get(Report, report_id),
                            decision="return",
                            comment="Trop court.",
                            actor=other.get(User, second_id),
                        )
                    )
                except Exception as error:  # shown by the assertion below
                    outcomes.append(error)

        thread = threading.Thread(target=late)
        thread.start()
        time.sleep(0.5)
        one.commit()
        thread.join(timeout=30)
        other.rollback()
    finally:
        one.close()
        other.close()
    assert len(outcomes) == 1
    assert isinstance(outcomes[0], Conflict), outcomes
    assert "« Validé »" in outcomes[0].message
    db.session.expire_all()
    assert db.session.get(Report, report_id).status == ReportStatus.APPROVED
    assert [r.decision for r in db.session.scalars(select(Review))] == [ReviewDecision.APPROVE]
    assert len(events("report.approve")) == 1
    assert events("report.return") == []


# --- bulk approval ----------------------------------------------------------------------------


def test_bulk_approval_skips_flagged_reports(factory: Factory) -> None:
    wave, reports = wave_with_reports(factory, 4)
    reports[1].ended_at = reports[1].started_at + timedelta(minutes=2)  # too short
    reports[2].status = ReportStatus.DRAFT
    coordinator = factory.user("coordinator")
    db.session.flush()

    outcome = review.approve_unflagged(db.session, wave, QueueFilters(), actor=coordinator)
    db.session.flush()

    assert outcome.as_dict() == {
        "approved": 2,
        "skipped_flagged": 1,
        "skipped_decided": 0,
        "approved_ids": [reports[0].id, reports[3].id],
    }
    assert [r.status for r in reports] == [
        ReportStatus.APPROVED,
        ReportStatus.SUBMITTED,
        ReportStatus.DRAFT,
        ReportStatus.APPROVED,
    ]
    approvals = events("report.approve")
    assert sorted(int(e.entity_id) for e in approvals) == [reports[0].id, reports[3].id]
    assert all(e.details["bulk"] is True and e.actor_id == coordinator.id for e in approvals)
    (summary,) = events("review.approve_unflagged")
    assert summary.details["approved"] == 2
    assert summary.details["skipped_flagged"] == 1


def test_bulk_approval_keeps_to_its_filters(factory: Factory) -> None:
    wave, reports = wave_with_reports(factory, 2)
    other = factory.investigator()
    reports[1].investigator_id = other.id
    coordinator = factory.user("coordinator")
    db.session.flush()
    outcome = review.approve_unflagged(
        db.session,
        wave,
        QueueFilters(investigator_id=other.id, network="Préfecture"),
        actor=coordinator,
    )
    assert outcome.approved == [reports[1].id]
    assert reports[0].status == ReportStatus.SUBMITTED
    assert (
        review.approve_unflagged(
            db.session, wave, QueueFilters(channel="phone"), actor=coordinator
        ).as_dict()["approved"]
        == 0
    )


# --- the comment library ----------------------------------------------------------------------


def test_library_comments_are_added_listed_and_switched_off(factory: Factory) -> None:
    coordinator = factory.user("coordinator")
    kept = review_comments.add_comment(
        db.session, "Photo floue :  reprenez-la.", decision="return", actor=coordinator
    )
    review_comments.add_comment(db.session, "Visite hors horaires.", actor=coordinator)
    with pytest.raises(Conflict):
        review_comments.add_comment(db.session, "photo floue : reprenez-la.", actor=coordinator)
    with pytest.raises(Invalid):
        review_comments.add_comment(db.session, "   ", actor=coordinator)
    listed = db.session.scalars(review_comments.comments_query(decision="return")).all()
    assert [c.text for c in listed] == ["Photo floue : reprenez-la.", "Visite hors horaires."]
    assert [
        c.text for c in db.session.scalars(review_comments.comments_query(decision="reject"))
    ] == ["Visite hors horaires."]
    again = review_comments.remember(
        db.session, "Visite  hors horaires.", decision=None, actor=coordinator
    )
    assert again.text == "Visite hors horaires."
    review_comments.set_active(db.session, kept, False, actor=coordinator)
    assert kept not in db.session.scalars(review_comments.comments_query()).all()
    assert review_comments.compose(db.session, kept.id, " Merci. ") == (
        "Photo floue : reprenez-la.\n\nMerci."
    )
    assert len(events("review_comment.create")) == 2
    assert len(events("review_comment.update")) == 1


# --- the audit trail --------------------------------------------------------------------------


def test_the_audit_trail_lists_the_reports_events_in_order(
    submitted: tuple[Report, User],
) -> None:
    report, reviewer = submitted
    from server.services import audit

    audit.record(db.session, "report.submit", actor=None, entity=report, before="draft")
    db.session.flush()
    review.review(db.session, report, decision="return", comment="À compléter.", actor=reviewer)
    db.session.flush()
    trail = review.report_audit(db.session, report)
    assert [e.action for e in trail] == ["report.submit", "report.return"]
    assert review.actor_names(db.session, trail) == {reviewer.id: reviewer.name}
