"""The demo ends with a complete barometer: 2025 played and closed, most of 2026 approved, a
review queue and a few rejected reports left, the work-in-progress investigators untouched."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import func, select

import survey_schemas
from server.demo.build import DemoReport, build_demo
from server.extensions import db
from server.models import (
    Campaign,
    Mission,
    MissionStatus,
    Photo,
    Questionnaire,
    Report,
    ReportStatus,
    Review,
    ReviewDecision,
    Role,
    User,
    Wave,
    WaveStatus,
)
from server.services import accounts
from server.services.definitions import questionnaire_model
from server.services.results import barometer_data
from tests.conftest import PASSWORD, _empty_tables
from tests.server.api.test_barometer_api import close

NEWCOMER = "enqueteur01@demo.barometre.fr"
BUILD_SECONDS: dict[str, float] = {}


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """Overrides the suite's per-test cleaning: the demo is built once for this module."""
    return


@pytest.fixture(scope="module")
def demo(app: Flask) -> Iterator[DemoReport]:
    with app.app_context():
        started = time.perf_counter()
        report = build_demo(db.session, progress=lambda _message: None, barometer=True)
        db.session.commit()
        BUILD_SECONDS["first"] = time.perf_counter() - started
        print(f"\ndemo with barometer built in {BUILD_SECONDS['first']:.1f} s")
    yield report
    with app.app_context():
        db.session.remove()
        _empty_tables()


def _campaign(year: int) -> Campaign:
    campaign = db.session.scalar(select(Campaign).where(Campaign.year == year))
    assert campaign is not None
    return campaign


def _statuses(year: int) -> dict[ReportStatus, int]:
    return dict(
        db.session.execute(
            select(Report.status, func.count(Report.id))
            .join(Mission, Mission.id == Report.mission_id)
            .join(Wave, Wave.id == Mission.wave_id)
            .join(Campaign, Campaign.id == Wave.campaign_id)
            .where(Campaign.year == year)
            .group_by(Report.status)
        ).all()
    )


def test_the_2026_barometer_has_a_national_grade_its_change_and_two_years(
    app: Flask, demo: DemoReport
) -> None:
    with app.app_context():
        data = barometer_data(db.session, _campaign(2026))
        national = data.national
        assert national.estimate is not None
        assert national.ci_low is not None
        assert national.ci_high is not None
        assert national.ci_low < national.estimate < national.ci_high
        assert 6.0 <= national.estimate <= 8.0
        assert 0.95 * data.sampled_sites <= data.responding_sites < data.sampled_sites
        grades = [s.grade for s in data.sites if s.grade is not None]
        assert min(grades) < 4.5
        assert max(grades) > 8.5
        assert data.change is not None
        assert data.change.estimate is not None
        assert data.change.ci_low is not None
        assert data.change.ci_high is not None
        assert data.change.shared_sites > 100
        assert [year.year for year in data.evolution] == [2025, 2026]
        last_year = barometer_data(db.session, _campaign(2025))
        assert last_year.national.estimate is not None
        assert last_year.responding_sites >= 0.98 * last_year.sampled_sites


def test_2025_is_approved_and_closed_2026_keeps_a_queue_and_rejected_reports(
    app: Flask, demo: DemoReport
) -> None:
    with app.app_context():
        last = db.session.scalars(select(Wave).join(Campaign).where(Campaign.year == 2025)).one()
        assert last.status == WaveStatus.CLOSED
        before = _statuses(2025)
        assert before.get(ReportStatus.APPROVED, 0) >= 0.95 * 580 * 7
        now = _statuses(2026)
        assert now[ReportStatus.APPROVED] > 10_000
        assert now[ReportStatus.SUBMITTED] > 100  # the review queue
        assert now[ReportStatus.REJECTED] > 10
        assert now[ReportStatus.RETURNED] == 1
        approved = db.session.scalar(
            select(func.count(Review.id)).where(Review.decision == ReviewDecision.APPROVE)
        )
        assert approved == now[ReportStatus.APPROVED] + before[ReportStatus.APPROVED]


def test_the_work_in_progress_investigators_are_untouched(app: Flask, demo: DemoReport) -> None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == NEWCOMER))
        assert user is not None
        wave = db.session.scalars(select(Wave).join(Campaign).where(Campaign.year == 2026)).one()
        untouched = db.session.scalar(
            select(func.count(Mission.id)).where(
                Mission.wave_id == wave.id,
                Mission.assignee_id == user.id,
                Mission.status == MissionStatus.ASSIGNED,
                ~select(Report.id).where(Report.mission_id == Mission.id).exists(),
            )
        )
        assert untouched > 100
        statuses = list(
            db.session.scalars(
                select(Report.status)
                .join(Mission, Mission.id == Report.mission_id)
                .where(Mission.wave_id == wave.id, Report.investigator_id == user.id)
            )
        )
        assert statuses.count(ReportStatus.DRAFT) >= 1
        assert statuses.count(ReportStatus.RETURNED) == 1
        assert ReportStatus.APPROVED not in statuses
        assert len(statuses) <= 10


def test_bulk_reports_are_valid_scored_and_in_their_window(app: Flask, demo: DemoReport) -> None:
    with app.app_context():
        sample = db.session.scalars(
            select(Report)
            .where(Report.status != ReportStatus.DRAFT)
            .order_by(Report.id)
            .limit(40_000)
        ).all()[::97]
        assert len(sample) > 100
        cache: dict[int, survey_schemas.Questionnaire] = {}
        for report in sample:
            mission = report.mission
            key = report.questionnaire_id
            assert key == mission.questionnaire_id
            if key not in cache:
                row = db.session.get(Questionnaire, key)
                assert row is not None
                cache[key] = questionnaire_model(row)
            errors = survey_schemas.validate_answers(cache[key], report.answers)
            assert errors == {}, (report.id, errors)
            assert report.scores
            assert report.started_at is not None
            assert report.ended_at is not None
            assert mission.window_start <= report.started_at < report.ended_at
            assert report.ended_at <= mission.window_end
            assert mission.status == MissionStatus.DONE
            assert report.submitted_fingerprint
            if mission.channel in ("email", "letter"):
                assert mission.sent_at is not None
                assert mission.reply_outcome is not None
            for question in cache[key].questions:
                if question.type == "photo" and question.id in report.answers:
                    stored = {str(p.id) for p in report.photos if p.question_id == question.id}
                    assert set(report.answers[question.id]) == stored


def test_building_the_demo_again_adds_no_report(app: Flask, demo: DemoReport) -> None:
    def counts() -> dict[str, object]:
        return {
            "reports": dict(
                db.session.execute(
                    select(Report.status, func.count(Report.id)).group_by(Report.status)
                ).all()
            ),
            "photos": db.session.scalar(select(func.count(Photo.id))),
            "reviews": db.session.scalar(select(func.count(Review.id))),
            "waves": db.session.scalar(select(func.count(Wave.id))),
        }

    with app.app_context():
        first = counts()
        started = time.perf_counter()
        build_demo(db.session, progress=lambda _message: None, barometer=True)
        db.session.commit()
        print(f"\ndemo rebuilt in {time.perf_counter() - started:.1f} s")
        assert counts() == first


def test_the_demo_workbook_has_every_sheet_and_chart_and_equals_the_results_api(
    app: Flask, demo: DemoReport
) -> None:
    """The deliverable a newcomer downloads: read back, every figure equals ``/results``."""
    with app.app_context():
        campaign_id = _campaign(2026).id
        accounts.create_user(
            db.session,
            email="lecture-classeur@example.fr",
            name="Lecture du classeur",
            password=PASSWORD,
            role=Role.ANALYST,
        )
        db.session.commit()
    client = app.test_client()
    token = client.post(
        "/api/v1/auth/token", json={"email": "lecture-classeur@example.fr", "password": PASSWORD}
    ).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    results = client.get(f"/api/v1/campaigns/{campaign_id}/results", headers=headers).json
    response = client.get(f"/api/v1/campaigns/{campaign_id}/barometer.xlsx", headers=headers)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))

    assert book.sheetnames == [
        "Synthèse", "Engagements", "Réseaux", "Régions", "Canaux",
        "Sites", "Tests", "Évolution", "Méthodologie",
    ]  # fmt: skip
    for sheet in ("Engagements", "Réseaux", "Régions", "Canaux", "Évolution"):
        assert book[sheet]._charts, sheet
    keys = ["estimate", "se", "ci_low", "ci_high", "n", "df"]
    for sheet, view in (
        ("Engagements", "by_engagement"),
        ("Réseaux", "by_network"),
        ("Régions", "by_region"),
        ("Canaux", "by_channel"),
    ):
        rows = list(book[sheet].iter_rows(min_row=2, values_only=True))
        assert [row[0] for row in rows] == [figure["key"] for figure in results[view]]
        for row, figure in zip(rows, results[view], strict=True):
            assert all(close(w, figure[k]) for w, k in zip(row[2:8], keys, strict=True)), sheet
    assert len(list(book["Sites"].iter_rows(min_row=2))) == results["sampled_sites"]
    assert len(list(book["Tests"].iter_rows(min_row=2))) == results["approved_tests"]
