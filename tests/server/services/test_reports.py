"""The report service's own rules: partial checks of drafts, the phone's clock, the
fingerprint and the conditional write that keeps two racing submits from both landing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from server.extensions import db
from server.models import Report, ReportStatus
from server.services import mission_lifecycle, reports
from server.services.errors import Invalid
from survey_schemas import shipped_questionnaire
from tests.factories import Factory

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def test_drafts_refuse_only_unknown_ids_and_unreadable_values() -> None:
    questionnaire = shipped_questionnaire("marianne-visit", 1)
    assert reports.draft_answers(questionnaire, {"v_site_ouvert": True, "v_place_pmr": ""}) == {
        "v_site_ouvert": "oui"
    }
    with pytest.raises(Invalid) as refused:
        reports.draft_answers(questionnaire, {"v_nope": 1, "v_nombre_agents": "deux"})
    assert set(refused.value.errors["answers"]) == {"v_nope", "v_nombre_agents"}


def test_times_are_corrected_by_the_phone_clock_offset() -> None:
    ahead = timedelta(hours=3)
    payload = reports.ReportPayload(
        client_id=str(uuid.uuid4()),
        started_at=NOW + ahead - timedelta(minutes=30),
        ended_at=NOW + ahead - timedelta(minutes=1),
        client_time=NOW + ahead,
    )
    evidence = reports.check_evidence(payload, now=NOW)
    assert evidence.clock_offset_seconds == 3 * 3600
    assert evidence.ended_at == NOW - timedelta(minutes=1)


def test_without_client_time_a_future_time_is_refused() -> None:
    payload = reports.ReportPayload(
        client_id=str(uuid.uuid4()), started_at=NOW, ended_at=NOW + timedelta(minutes=11)
    )
    with pytest.raises(Invalid) as refused:
        reports.check_evidence(payload, now=NOW)
    assert "ended_at" in refused.value.errors
    tolerated = reports.ReportPayload(
        client_id=payload.client_id, ended_at=NOW + timedelta(minutes=9)
    )
    assert reports.check_evidence(tolerated, now=NOW).ended_at == NOW + timedelta(minutes=9)


def test_the_fingerprint_is_canonical() -> None:
    one = reports.fingerprint("c", {"answers": {"a": 1, "b": 2}, "x": None})
    other = reports.fingerprint("c", {"x": None, "answers": {"b": 2, "a": 1}})
    assert one == other
    assert len(one) == 64
    assert reports.fingerprint("d", {"answers": {"a": 1, "b": 2}, "x": None}) != one


def test_a_write_over_a_version_changed_meanwhile_matches_no_row(factory: Factory) -> None:
    """What the loser of two racing submits meets: the row moved on since it was read."""
    mission = factory.mission()
    investigator = factory.investigator()
    mission_lifecycle.assign(db.session, mission, investigator, actor=None)
    report = factory.report(mission, investigator, version=1)
    # Another transaction wrote version 2 (the object in this session still says 1).
    db.session.execute(
        update(Report)
        .where(Report.id == report.id)
        .values(version=2, status=ReportStatus.SUBMITTED)
        .execution_options(synchronize_session=False)
    )
    payload = reports.ReportPayload(client_id=report.client_id, base_version=1)
    with pytest.raises(reports.StaleVersion):
        reports._write(db.session, report, payload, {"answers": {"x": 1}})
    assert report.version == 2
    assert report.answers == {}
    assert report.status == ReportStatus.SUBMITTED
