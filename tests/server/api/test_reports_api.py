"""The phone's report through the API: drafts, submission, replays, conflicts and evidence
(DESIGN.md §3.5, §3.11)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, find, settings
from sqlalchemy import func, select

from server.extensions import db
from server.models import (
    AuditEvent,
    Mission,
    MissionStatus,
    Report,
    ReportStatus,
    Review,
    ReviewDecision,
    User,
    WaveStatus,
)
from server.services import mission_lifecycle, report_lifecycle
from survey_schemas import shipped_questionnaire
from tests.factories import Factory
from tests.server.api.test_missions_api import _token
from tests.survey_schemas.test_scoring_properties import reports as valid_reports

Headers = Callable[..., dict[str, str]]


@cache
def valid_answers(code: str) -> dict[str, Any]:
    """Valid answers to a shipped questionnaire, from the generator of the scoring property
    tests (the simplest example it finds, the same on every run)."""
    return find(
        valid_reports(shipped_questionnaire(code, 1)),
        lambda answers: True,
        settings=settings(database=None, derandomize=True, suppress_health_check=list(HealthCheck)),
    )


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _mission(factory: Factory, channel: str) -> tuple[Mission, User]:
    campaign = factory.campaign(2026)
    factory.site(campaign, department="35")
    wave = factory.wave(campaign, plan={channel: 1})
    mission = factory.mission(wave)
    investigator = factory.investigator()
    mission_lifecycle.assign(db.session, mission, investigator, actor=None)
    db.session.commit()
    return mission, investigator


@pytest.fixture
def visit(factory: Factory) -> tuple[Mission, User]:
    return _mission(factory, "visit")


@pytest.fixture
def email(factory: Factory) -> tuple[Mission, User]:
    return _mission(factory, "email")


def _body(answers: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    body: dict[str, Any] = {
        "client_id": str(uuid.uuid4()),
        "answers": dict(valid_answers("marianne-visit") if answers is None else answers),
        "started_at": _iso(now - timedelta(minutes=40)),
        "ended_at": _iso(now - timedelta(minutes=5)),
        "position": {"latitude": 48.11, "longitude": -1.68, "accuracy_m": 15.0},
    }
    body.update(overrides)
    return body


def _url(mission: Mission, submit: bool = False) -> str:
    return f"/api/v1/missions/{mission.id}/report" + ("/submit" if submit else "")


def _events(action: str) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


def _reports() -> int:
    return db.session.scalar(select(func.count()).select_from(Report))


# --- access -------------------------------------------------------------------------------


def test_another_investigators_mission_is_404(
    client: FlaskClient, factory: Factory, visit: tuple[Mission, User]
) -> None:
    mission, _ = visit
    stranger = factory.investigator()
    db.session.commit()
    headers = _token(client, stranger)
    assert client.put(_url(mission), headers=headers, json=_body()).status_code == 404
    assert client.post(_url(mission, True), headers=headers, json=_body()).status_code == 404
    assert client.get(_url(mission), headers=headers).status_code == 404
    assert _reports() == 0


def test_a_coordinator_may_not_write_a_report_but_reads_it(
    client: FlaskClient, token_for: Headers, visit: tuple[Mission, User]
) -> None:
    mission, investigator = visit
    coordinator = token_for("coordinator")
    assert client.put(_url(mission), headers=coordinator, data=b"{bad").status_code == 403
    assert client.put(_url(mission), headers=coordinator, json=_body()).status_code == 403
    assert client.post(_url(mission, True), headers=coordinator, json=_body()).status_code == 403
    assert client.get(_url(mission), headers=coordinator).status_code == 404
    client.put(_url(mission), headers=_token(client, investigator), json=_body(answers={}))
    shown = client.get(_url(mission), headers=token_for("analyst"))
    assert shown.status_code == 200
    assert shown.json["status"] == "draft"


def test_no_report_yet_is_404(client: FlaskClient, visit: tuple[Mission, User]) -> None:
    mission, investigator = visit
    response = client.get(_url(mission), headers=_token(client, investigator))
    assert response.status_code == 404
    assert set(response.json) == {"code", "message", "errors"}


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"client_id": "pas-un-uuid", "answers": {}}, "client_id"),
        ({"answers": {}}, "client_id"),
        ({"client_id": str(uuid.uuid4()), "answers": []}, "answers"),
        ({"client_id": str(uuid.uuid4()), "base_version": "deux"}, "base_version"),
        ({"client_id": str(uuid.uuid4()), "started_at": "hier"}, "started_at"),
        ({"client_id": str(uuid.uuid4()), "started_at": "2026-03-03T10:00:00"}, "started_at"),
        (
            {"client_id": str(uuid.uuid4()), "position": {"latitude": 91, "longitude": 0}},
            "position",
        ),
        (
            {"client_id": str(uuid.uuid4()), "position": {"latitude": 48, "longitude": 181}},
            "position",
        ),
        (
            {
                "client_id": str(uuid.uuid4()),
                "position": {"latitude": 48, "longitude": 2, "accuracy_m": -1},
            },
            "position",
        ),
    ],
)
def test_bad_payloads_are_422_per_field(
    client: FlaskClient, visit: tuple[Mission, User], body: dict[str, Any], field: str
) -> None:
    mission, investigator = visit
    response = client.put(_url(mission), headers=_token(client, investigator), json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]["json"]
    assert _reports() == 0


def test_malformed_json_is_refused(client: FlaskClient, visit: tuple[Mission, User]) -> None:
    mission, investigator = visit
    headers = _token(client, investigator)
    for url in (_url(mission), _url(mission, True)):
        response = client.open(
            url,
            method="PUT" if url.endswith("report") else "POST",
            data=b"{not json",
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code in (400, 422)
        assert set(response.json) == {"code", "message", "errors"}


def test_unknown_question_and_wrong_type_are_422_per_question(
    client: FlaskClient, visit: tuple[Mission, User]
) -> None:
    mission, investigator = visit
    body = _body(
        answers={"v_inconnue": "oui", "v_attente_minutes": "longtemps", "v_site_ouvert": 1}
    )
    response = client.put(_url(mission), headers=_token(client, investigator), json=body)
    assert response.status_code == 422
    errors = response.json["errors"]["answers"]
    assert set(errors) == {"v_inconnue", "v_attente_minutes", "v_site_ouvert"}
    assert "inconnue" in errors["v_inconnue"][0]
    assert _reports() == 0


# --- drafts -------------------------------------------------------------------------------


def test_a_partial_draft_is_saved_then_replayed_without_change(
    client: FlaskClient, visit: tuple[Mission, User]
) -> None:
    mission, investigator = visit
    headers = _token(client, investigator)
    body = _body(answers={"v_site_ouvert": "OUI", "v_attente_minutes": "12"})
    first = client.put(_url(mission), headers=headers, json=body)
    assert first.status_code == 200, first.json
    assert first.json["version"] == 1
    assert first.json["answers"] == {"v_site_ouvert": "oui", "v_attente_minutes": 12}
    assert first.json["updated_at"]
    again = client.put(_url(mission), headers=headers, json=body)
    assert again.status_code == 200
    assert again.json["version"] == 1
    assert again.json["updated_at"] == first.json["updated_at"]
    assert _reports() == 1
    assert _events("report.save") == 1
    shown = client.get(_url(mission), headers=headers).json
    assert shown["client_id"] == body["client_id"]
    assert shown["position"] == {"latitude": 48.11, "longitude": -1.68, "accuracy_m": 15.0}
    assert shown["review"] is None


def test_a_save_on_the_current_version_raises_it(
    client: FlaskClient, visit: tuple[Mission, User]
) -> None:
    mission, investigator = visit
    headers = _token(client, investigator)
    body = _body(answers={"v_site_ouvert": "oui"})
    client.put(_url(mission), headers=headers, json=body)
    body.update(answers={"v_site_ouvert": "non"}, base_version=1)
    saved = client.put(_url(mission), headers=headers, json=body)
    assert saved.status_code == 200
    assert saved.json["version"] == 2
    assert saved.json["answers"] == {"v_site_ouvert": "non"}
    assert _events("report.save") == 2


def test_a_stale_base_version_with_other_content_is_409_with_the_server_copy(
    client: FlaskClient, visit: tuple[Mission, User]
) -> None:
    mission, investigator = visit
    headers = _token(client, investigator)
    body = _body(answers={"v_site_ouvert": "oui"})
    client.put(_url(mission), headers=headers, json=body)
    client.put(
        _url(mission),
        headers=headers,
        json={**body, "answers": {"v_site_ouvert": "non"}, "base_version": 1},
    )
    stale = {**body, "answers": {"v_site_ouvert": "oui", "v_place_pmr": "na"}, "base_version": 1}
    refused = client.put(_url(mission), headers=headers, json=stale)
    assert refused.status_code == 409
    assert refused.json["errors"]["server"]["answers"] == {"v_site_ouvert": "non"}
    assert refused.json["errors"]["server"]["version"] == 2
    # The same content as the server's is no conflict, whatever its base version.
    same = {**body, "answers": {"v_site_ouvert": "non"}, "base_version": 1}
    assert client.put(_url(mission), headers=headers, json=same).status_code == 200
    assert db.session.scalars(select(Report)).one().version == 2


def test_a_client_id_of_another_mission_or_investigator_is_refused(
    client: FlaskClient, factory: Factory, visit: tuple[Mission, User]
) -> None:
    mission, investigator = visit
    body = _body(answers={"v_site_ouvert": "oui"})
    client.put(_url(mission), headers=_token(client, investigator), json=body)
    other_mission, other = _mission(factory, "visit")
    refused = client.put(
        _url(other_mission), headers=_token(client, other), json={**body, "answers": {}}
    )
    assert refused.status_code in (404, 409)
    assert "server" not in refused.json["errors"]
    report = db.session.scalars(select(Report)).one()
    assert report.mission_id == mission.id
    assert report.answers == {"v_site_ouvert": "oui"}


def test_a_second_client_id_on_the_same_mission_gets_the_server_copy(
    client: FlaskClient, visit: tuple[Mission, User]
) -> None:
    mission, investigator = visit
    headers = _token(client, investigator)
    first = _body(answers={"v_site_ouvert": "oui"})
    client.put(_url(mission), headers=headers, json=first)
    refused = client.put(_url(mission), headers=headers, json=_body(answers={}))
    assert refused.status_code == 409
    assert refused.json["errors"]["server"]["client_id"] == first["client_id"]
    assert _reports() == 1


@pytest.mark.parametrize("closing", ["cancel", "wave"])
def test_a_cancelled_mission_or_closed_wave_refuses_reports(
    client: FlaskClient, visit: tuple[Mission, User], closing: str
) -> None:
    mission, investigator = visit
    if closing == "cancel":
        mission_lifecycle.cancel(db.session, mission, actor=None, reason="Site fermé")
    else:
        mission.wave.status = WaveStatus.CLOSED
    db.session.commit()
    headers = _token(client, investigator)
    for url in (_url(mission), _url(mission, True)):
        method = client.put if url.endswith("report") else client.post
        response = method(url, headers=headers, json=_body())
        assert response.status_code == 409, response.json
        assert "rapport" in response.json["message"]
    assert _reports() == 0


# --- evidence -----------------------------------------------------------------------------


def test_started_after_ended_is_422(client: FlaskClient, visit: tuple[Mission, User]) -> None:
    mission, investigator = visit
    now = datetime.now(UTC)
    body = _body(
        started_at=_iso(now - timedelta(minutes=5)), ended_at=_iso(now - timedelta(hours=1))
    )
    response = client.put(_url(mission), headers=_token(client, investigator), json=body)
    assert response.status_code == 422
    assert "ended_at" in response.json["errors"]


def test_times_in_the_future_are_422(client: FlaskClient, visit: tuple[Mission, User]) -> None:
    mission, investigator = visit
    now = datetime.now(UTC)
    body = _body(ended_at=_iso(now + timedelta(minutes=30)))
    response = client.put(_url(mission), headers=_token(client, investigator), json=body)
    assert response.status_code == 422
    assert "ended_at" in response.json["errors"]


def test_a_phone_clock_three_hours_ahead_is_corrected(
    client: FlaskClient, visit: tuple[Mission, User]
) -> None:
    mission, investigator = visit
    headers = _token(client, investigator)
    now = datetime.now(UTC).replace(microsecond=0)
    ahead = timedelta(hours=3)
    body = _body(
        started_at=_iso(now + ahead - timedelta(minutes=40)),
        ended_at=_iso(now + ahead - timedelta(minutes=5)),
        client_time=_iso(now + ahead),
    )
    saved = client.put(_url(mission), headers=headers, json=body)
    assert saved.status_code == 200, saved.json
    assert abs(saved.json["clock_offset_seconds"] - 3 * 3600) < 60
    ended = datetime.fromisoformat(saved.json["ended_at"])
    assert abs(ended - (now - timedelta(minutes=5))) < timedelta(minutes=1)
    # Replayed a little later (another offset measured): still the same content.
    replay = client.put(
        _url(mission),
        headers=headers,
        json={**body, "client_time": _iso(now + ahead + timedelta(seconds=30))},
    )
    assert replay.status_code == 200
    assert replay.json["version"] == 1
    submitted = client.post(_url(mission, True), headers=headers, json=body)
    assert submitted.status_code == 200, submitted.json
    assert submitted.json["status"] == "submitted"


def test_location_declined(client: FlaskClient, visit: tuple[Mission, User]) -> None:
    mission, investigator = visit
    headers = _token(client, investigator)
    both = client.put(_url(mission), headers=headers, json=_body(location_declined=True))
    assert both.status_code == 422
    assert "position" in both.json["errors"]
    declined = client.put(
        _url(mission), headers=headers, json=_body(location_declined=True, position=None)
    )
    assert declined.status_code == 200
    assert declined.json["location_declined"] is True
    assert declined.json["position"] is None


# --- submission ---------------------------------------------------------------------------


def test_submit_scores_moves_the_mission_and_replays_as_the_same_report(
    client: FlaskClient, visit: tuple[Mission, User]
) -> None:
    mission, investigator = visit
    headers = _token(client, investigator)
    body = _body()
    client.put(_url(mission), headers=headers, json=body)
    submitted = client.post(_url(mission, True), headers=headers, json={**body, "base_version": 1})
    assert submitted.status_code == 200, submitted.json
    assert submitted.json["status"] == "submitted"
    assert submitted.json["submitted_at"]
    assert set(submitted.json["scores"]) >= {"E01"}
    again = client.post(_url(mission, True), headers=headers, json=body)
    assert again.status_code == 200
    assert again.json["id"] == submitted.json["id"]
    assert again.json["submitted_at"] == submitted.json["submitted_at"]
    assert _reports() == 1
    assert _events("report.submit") == 1
    assert _events("mission.done") == 1
    assert db.session.get(Mission, mission.id).status == MissionStatus.DONE
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.submit")).one()
    report = db.session.scalars(select(Report)).one()
    assert event.details["fingerprint"] == report.submitted_fingerprint
    assert len(report.submitted_fingerprint) == 64


def test_submit_without_a_draft_first_creates_and_submits(
    client: FlaskClient, visit: tuple[Mission, User]
) -> None:
    mission, investigator = visit
    response = client.post(_url(mission, True), headers=_token(client, investigator), json=_body())
    assert response.status_code == 200, response.json
    assert response.json["status"] == "submitted"
    assert _reports() == 1


def test_a_different_payload_after_submission_is_409(
    client: FlaskClient, visit: tuple[Mission, User]
) -> None:
    mission, investigator = visit
    headers = _token(client, investigator)
    body = _body()
    client.post(_url(mission, True), headers=headers, json=body)
    changed = {**body, "answers": {**body["answers"], "v_observations": "autre chose"}}
    assert client.post(_url(mission, True), headers=headers, json=changed).status_code == 409
    # A submitted report is read-only for drafts too.
    assert (
        client.put(_url(mission), headers=headers, json={**changed, "base_version": 2}).status_code
        == 409
    )
    db.session.expire_all()
    assert db.session.scalars(select(Report)).one().answers.get("v_observations") != "autre chose"
    assert _events("report.submit") == 1


def test_an_incomplete_report_is_422_per_question(
    client: FlaskClient, visit: tuple[Mission, User]
) -> None:
    mission, investigator = visit
    headers = _token(client, investigator)
    answers = dict(valid_answers("marianne-visit"))
    del answers["v_site_ouvert"]
    answers["v_attente_minutes"] = 9999
    response = client.post(_url(mission, True), headers=headers, json=_body(answers=answers))
    assert response.status_code == 422
    errors = response.json["errors"]["answers"]
    assert "v_site_ouvert" in errors
    assert _reports() == 0
    assert db.session.get(Mission, mission.id).status == MissionStatus.ASSIGNED


def test_an_email_submission_awaits_its_reply_from_the_send_date(
    client: FlaskClient, email: tuple[Mission, User]
) -> None:
    mission, investigator = email
    today = datetime.now(ZoneInfo(mission.time_zone)).date()
    answers = {**valid_answers("marianne-email"), "m_date_envoi": today.isoformat()}
    body = _body(answers=answers)
    response = client.post(_url(mission, True), headers=_token(client, investigator), json=body)
    assert response.status_code == 200, response.json
    db.session.expire_all()
    stored = db.session.get(Mission, mission.id)
    assert stored.status == MissionStatus.AWAITING_REPLY
    assert stored.sent_at.astimezone(ZoneInfo(mission.time_zone)).date() == today


def test_an_email_already_recorded_as_sent_keeps_its_send_time(
    client: FlaskClient, email: tuple[Mission, User]
) -> None:
    mission, investigator = email
    sent = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    mission_lifecycle.mark_request_sent(db.session, mission, sent, actor=None)
    db.session.commit()
    body = _body(answers=valid_answers("marianne-email"))
    response = client.post(_url(mission, True), headers=_token(client, investigator), json=body)
    assert response.status_code == 200, response.json
    db.session.expire_all()
    assert db.session.get(Mission, mission.id).sent_at == sent
    assert _events("mission.request_sent") == 1


def test_a_returned_report_is_corrected_and_resubmitted(
    client: FlaskClient, factory: Factory, visit: tuple[Mission, User]
) -> None:
    mission, investigator = visit
    headers = _token(client, investigator)
    body = _body()
    client.post(_url(mission, True), headers=headers, json=body)
    report = db.session.scalars(select(Report)).one()
    first_print = report.submitted_fingerprint
    reviewer = factory.user("coordinator")
    report_lifecycle.return_for_correction(
        db.session, report, actor=reviewer, comment="Précisez l’attente."
    )
    db.session.add(
        Review(
            report=report,
            reviewer_id=reviewer.id,
            decision=ReviewDecision.RETURN,
            comment="Précisez l’attente.",
        )
    )
    db.session.commit()
    shown = client.get(_url(mission), headers=headers).json
    assert shown["status"] == "returned"
    assert shown["review"]["decision"] == "return"
    assert shown["review"]["comment"] == "Précisez l’attente."
    # The old submission arriving late is a replay, not a resubmission.
    late = client.post(_url(mission, True), headers=headers, json=body)
    assert late.status_code == 200
    assert late.json["status"] == "returned"
    corrected = {**body, "answers": {**body["answers"], "v_observations": "Attente précisée."}}
    draft = client.put(
        _url(mission), headers=headers, json={**corrected, "base_version": shown["version"]}
    )
    assert draft.status_code == 200, draft.json
    assert draft.json["status"] == "returned"
    again = client.post(
        _url(mission, True),
        headers=headers,
        json={**corrected, "base_version": draft.json["version"]},
    )
    assert again.status_code == 200, again.json
    assert again.json["status"] == "submitted"
    db.session.expire_all()
    report = db.session.scalars(select(Report)).one()
    assert report.submitted_fingerprint != first_print
    assert report.status == ReportStatus.SUBMITTED
    assert db.session.get(Mission, mission.id).status == MissionStatus.DONE
    assert _events("mission.done") == 1
    assert _events("report.submit") == 2


def test_two_racing_submits_end_with_one_submission(
    app: Flask, visit: tuple[Mission, User]
) -> None:
    """A double tap: two threads, each with its own client and database session."""
    mission, investigator = visit
    body = _body()
    headers = _token(app.test_client(), investigator)
    client = app.test_client()
    client.put(_url(mission), headers=headers, json=body)
    url = _url(mission, True)
    barrier = threading.Barrier(2)
    statuses: list[int | BaseException] = []

    def tap() -> None:
        tapper = app.test_client()
        barrier.wait()
        try:
            statuses.append(tapper.post(url, headers=headers, json=body).status_code)
        except BaseException as error:  # shown by the assertion below
            statuses.append(error)

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [200, 200]
    assert _reports() == 1
    assert _events("report.submit") == 1
    assert _events("mission.done") == 1
