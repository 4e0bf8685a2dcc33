"""The demo investigators have work in progress: missions to fill, drafts, submitted reports
and one report returned for correction, all valid against their questionnaire version."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import func, select

import survey_schemas
from server.demo.build import DEMO_PASSWORD, WAVE_END, WAVE_START, DemoReport, build_demo
from server.demo.reports import RETURN_COMMENT
from server.extensions import db
from server.models import (
    Mission,
    MissionStatus,
    Photo,
    Questionnaire,
    Report,
    ReportStatus,
    Review,
    ReviewDecision,
    User,
)
from server.services.definitions import questionnaire_model
from server.services.reports import latest_review
from tests.conftest import _empty_tables

NEWCOMER = "enqueteur01@demo.barometre.fr"


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """Overrides the suite's per-test cleaning: the demo is built once for this module."""
    return


@pytest.fixture(scope="module")
def demo(app: Flask) -> Iterator[DemoReport]:
    with app.app_context():
        report = build_demo(db.session, progress=lambda _message: None)
        db.session.commit()
    yield report
    with app.app_context():
        db.session.remove()
        _empty_tables()


def _reports(email: str) -> list[Report]:
    return list(
        db.session.scalars(
            select(Report).join(User, User.id == Report.investigator_id).where(User.email == email)
        )
    )


def _today(mission: Mission) -> object:
    return datetime.now(ZoneInfo(mission.time_zone)).date()


def test_the_newcomer_has_missions_to_fill_drafts_and_one_returned_report(
    app: Flask, demo: DemoReport
) -> None:
    assert demo.investigator == NEWCOMER  # the account README and ``barometre demo`` name
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == NEWCOMER))
        assert user is not None
        untouched = db.session.scalar(
            select(func.count(Mission.id)).where(
                Mission.assignee_id == user.id,
                Mission.status == MissionStatus.ASSIGNED,
                ~select(Report.id).where(Report.mission_id == Mission.id).exists(),
            )
        )
        assert untouched > 100  # most of the work is still to do
        statuses = [report.status for report in _reports(NEWCOMER)]
        assert statuses.count(ReportStatus.DRAFT) >= 1
        assert statuses.count(ReportStatus.SUBMITTED) >= 1
        assert statuses.count(ReportStatus.RETURNED) == 1
        returned = db.session.scalars(
            select(Report).where(Report.status == ReportStatus.RETURNED)
        ).one()  # the only one of the whole demo
        assert returned.investigator_id == user.id
        review = latest_review(returned)
        assert review is not None
        assert review.decision == ReviewDecision.RETURN
        assert review.comment == RETURN_COMMENT
        assert review.reviewer_id == db.session.scalar(
            select(User.id).where(User.email == "coordination@demo.barometre.fr")
        )
        assert returned.mission.channel == "visit"
        answers = returned.answers
        arrived, left = (
            datetime.strptime(answers[key], "%H:%M")
            for key in ("v_heure_arrivee", "v_heure_sortie")
        )
        # What the comment is about: a wait longer than the whole visit.
        assert answers["v_attente_minutes"] > (left - arrived).total_seconds() / 60
        others = {r.investigator_id for r in db.session.scalars(select(Report))} - {user.id}
        assert 3 <= len(others) <= 5


def test_the_newcomer_reads_the_returned_report_and_its_comment_on_the_phone(
    app: Flask, demo: DemoReport
) -> None:
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"email": NEWCOMER, "password": DEMO_PASSWORD})
    assert token.status_code == 201, token.json
    headers = {"Authorization": f"Bearer {token.json['token']}"}
    with app.app_context():
        mission_id = db.session.scalar(
            select(Report.mission_id).where(Report.status == ReportStatus.RETURNED)
        )
    shown = client.get(f"/api/v1/missions/{mission_id}/report", headers=headers)
    assert shown.status_code == 200, shown.json
    assert shown.json["status"] == "returned"
    assert shown.json["review"]["comment"] == RETURN_COMMENT
    photo_ids = shown.json["answers"]["v_photo_attente"]
    with client.get(f"/api/v1/photos/{photo_ids[0]}", headers=headers) as picture:
        assert picture.status_code == 200
        assert picture.mimetype == "image/jpeg"


def test_every_handed_in_report_is_scored_valid_and_played_in_its_window(
    app: Flask, demo: DemoReport
) -> None:
    start = datetime.combine(WAVE_START, datetime.min.time(), tzinfo=UTC)
    with app.app_context():
        reports = db.session.scalars(select(Report)).all()
        assert len(reports) >= 15
        handed_in = [r for r in reports if r.status != ReportStatus.DRAFT]
        assert len(handed_in) >= 8
        for report in reports:
            mission = report.mission
            row = db.session.get(Questionnaire, report.questionnaire_id)
            assert row is not None
            assert report.questionnaire_id == mission.questionnaire_id
            questionnaire = questionnaire_model(row)
            errors = survey_schemas.validate_answers(
                questionnaire, report.answers, today=_today(mission)
            )
            shown = set(survey_schemas.visible_question_ids(questionnaire, report.answers))
            assert set(report.answers) <= shown, report.id  # skip logic respected
            assert report.started_at is not None
            assert mission.window_start <= report.started_at <= mission.window_end
            assert start <= report.started_at
            assert report.started_at.date() <= WAVE_END
            if report.status == ReportStatus.DRAFT:
                # A draft only misses answers: nothing it holds is refused.
                assert not set(errors) & set(report.answers), (report.id, errors)
                assert report.scores is None
                continue
            assert errors == {}, (report.id, errors)
            assert report.scores, report.id
            assert report.ended_at is not None
            assert report.started_at < report.ended_at <= mission.window_end
            assert mission.status == MissionStatus.DONE
            for question in questionnaire.questions:
                if question.type == "photo" and question.id in report.answers:
                    stored = {str(p.id) for p in report.photos if p.question_id == question.id}
                    assert set(report.answers[question.id]) == stored
            if mission.channel == "visit":
                site = mission.site
                assert report.latitude is not None
                assert report.longitude is not None
                metres = 111_320 * math.hypot(
                    report.latitude - site.latitude,
                    (report.longitude - site.longitude) * math.cos(math.radians(site.latitude)),
                )
                assert metres < 100, (report.id, metres)


def test_building_the_demo_again_adds_no_report(app: Flask, demo: DemoReport) -> None:
    def counts() -> dict[str, object]:
        return {
            "reports": dict(
                db.session.execute(
                    select(Report.status, func.count(Report.id)).group_by(Report.status)
                ).all()
            ),
            "versions": sorted(db.session.execute(select(Report.id, Report.version)).all()),
            "photos": db.session.scalar(select(func.count(Photo.id))),
            "reviews": db.session.scalar(select(func.count(Review.id))),
        }

    with app.app_context():
        first = counts()
        again = build_demo(db.session, progress=lambda _message: None)
        db.session.commit()
        assert counts() == first
        assert again.investigator == NEWCOMER
