"""Reviewing reports through the API: who may decide, refusals (unknown, not submitted,
stale version, two reviewers at once), the queue with its flags, bulk approval, the comment
library, the audit trail, and a returned report back on the investigator's phone."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.extensions import db
from server.models import Report, ReportStatus, Review, Wave
from server.services import mission_lifecycle
from tests.factories import Factory
from tests.server.api.test_missions_api import _token
from tests.server.api.test_reports_api import _body
from tests.server.services.test_review import wave_with_reports

Headers = Callable[..., dict[str, str]]


@pytest.fixture
def queue(factory: Factory) -> tuple[Wave, list[Report]]:
    """A wave of three clean submitted visit reports (committed)."""
    wave, reports = wave_with_reports(factory, 3)
    db.session.commit()
    return wave, reports


def _review_url(report: Report | int) -> str:
    return f"/api/v1/reports/{getattr(report, 'id', report)}/review"


def _reviews() -> int:
    return db.session.scalar(select(func.count()).select_from(Review))


# --- who may decide ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["analyst", "investigator"])
def test_only_coordinators_decide(
    client: FlaskClient, token_for: Headers, queue: tuple[Wave, list[Report]], role: str
) -> None:
    wave, (report, *_) = queue
    headers = token_for(role)
    response = client.post(_review_url(report), headers=headers, json={"decision": "approve"})
    assert response.status_code == 403
    assert set(response.json) == {"code", "message", "errors"}
    bulk = client.post(
        f"/api/v1/waves/{wave.id}/review/approve-unflagged", headers=headers, json={}
    )
    assert bulk.status_code == 403
    library = client.post("/api/v1/review-comments", headers=headers, json={"text": "Photo floue."})
    assert library.status_code == 403
    assert _reviews() == 0


def test_investigators_do_not_read_the_queue(
    client: FlaskClient, token_for: Headers, queue: tuple[Wave, list[Report]]
) -> None:
    wave, (report, *_) = queue
    headers = token_for("investigator")
    assert client.get(f"/api/v1/waves/{wave.id}/review-queue", headers=headers).status_code == 403
    assert client.get(f"/api/v1/reports/{report.id}/audit", headers=headers).status_code == 403
    assert client.get(f"/api/v1/reports/{report.id}", headers=headers).status_code == 403


def test_anonymous_callers_get_401(client: FlaskClient, queue: tuple[Wave, list[Report]]) -> None:
    wave, (report, *_) = queue
    assert client.post(_review_url(report), json={"decision": "approve"}).status_code == 401
    assert client.get(f"/api/v1/waves/{wave.id}/review-queue").status_code == 401
    assert client.get("/api/v1/review-comments").status_code == 401


def test_an_unknown_report_or_wave_is_404(client: FlaskClient, token_for: Headers) -> None:
    headers = token_for("coordinator")
    response = client.post(_review_url(999_999), headers=headers, json={"decision": "approve"})
    assert response.status_code == 404
    assert "introuvable" in response.json["message"]
    assert client.get("/api/v1/waves/999999/review-queue", headers=headers).status_code == 404
    assert client.get("/api/v1/reports/999999/audit", headers=headers).status_code == 404


# --- deciding ---------------------------------------------------------------------------------


def test_a_coordinator_approves_with_the_version_read(
    client: FlaskClient, token_for: Headers, queue: tuple[Wave, list[Report]]
) -> None:
    _, (report, *_) = queue
    headers = token_for("coordinator")
    shown = client.get(f"/api/v1/reports/{report.id}", headers=headers).json
    response = client.post(
        _review_url(report),
        headers=headers,
        json={"decision": "approve", "version": shown["version"]},
    )
    assert response.status_code == 200, response.json
    assert response.json["status"] == "approved"
    assert response.json["reviews"][-1]["decision"] == "approve"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "return"}, "comment"),
        ({"decision": "reject", "comment": "   "}, "comment"),
        ({"decision": "valider"}, "decision"),
        ({"decision": "approve", "version": 0}, "version"),
        ({"decision": "approve", "comment": "x" * 2001}, "comment"),
    ],
)
def test_bad_decisions_are_422_per_field(
    client: FlaskClient,
    token_for: Headers,
    queue: tuple[Wave, list[Report]],
    body: dict[str, Any],
    field: str,
) -> None:
    _, (report, *_) = queue
    response = client.post(_review_url(report), headers=token_for("coordinator"), json=body)
    assert response.status_code == 422, response.json
    errors = response.json["errors"]
    assert field in errors.get("json", errors)
    assert _reviews() == 0


#: Past PostgreSQL's INTEGER (found by the fuzz run: a DataError, so a 500, there only).
HUGE = 2**40


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("post", "review", {"decision": "approve", "comment_id": -HUGE}, "comment_id"),
        ("post", "review", {"decision": "approve", "version": HUGE}, "version"),
        ("get", "queue", None, "investigator_id"),
        ("post", "bulk", {"investigator_id": HUGE}, "investigator_id"),
    ],
)
def test_an_integer_past_the_database_range_is_422_not_a_500(
    client: FlaskClient,
    token_for: Headers,
    queue: tuple[Wave, list[Report]],
    method: str,
    url: str,
    body: dict[str, Any] | None,
    field: str,
) -> None:
    wave, (report, *_) = queue
    urls = {
        "review": _review_url(report),
        "queue": f"/api/v1/waves/{wave.id}/review-queue?investigator_id={HUGE}",
        "bulk": f"/api/v1/waves/{wave.id}/review/approve-unflagged",
    }
    response = client.open(
        urls[url], method=method.upper(), headers=token_for("coordinator"), json=body
    )
    assert response.status_code == 422, response.json
    errors = response.json["errors"]
    assert field in errors.get("json", errors.get("query", errors))
    assert _reviews() == 0


def test_a_report_that_is_not_submitted_is_409_naming_its_status(
    client: FlaskClient, token_for: Headers, queue: tuple[Wave, list[Report]]
) -> None:
    _, (report, *_) = queue
    headers = token_for("coordinator")
    first = client.post(_review_url(report), headers=headers, json={"decision": "approve"})
    assert first.status_code == 200
    again = client.post(
        _review_url(report), headers=headers, json={"decision": "reject", "comment": "Non."}
    )
    assert again.status_code == 409
    assert "« Validé »" in again.json["message"]
    assert again.json["errors"] == {"status": ["approved"]}
    assert _reviews() == 1


def test_a_stale_version_is_409(
    client: FlaskClient, token_for: Headers, queue: tuple[Wave, list[Report]]
) -> None:
    _, (report, *_) = queue
    response = client.post(
        _review_url(report),
        headers=token_for("coordinator"),
        json={"decision": "approve", "version": report.version + 1},
    )
    assert response.status_code == 409
    assert "version" in response.json["errors"]
    db.session.expire_all()
    assert db.session.get(Report, report.id).status == ReportStatus.SUBMITTED


def test_two_reviewers_at_once_one_wins(
    app: Flask, token_for: Headers, queue: tuple[Wave, list[Report]]
) -> None:
    _, (report, *_) = queue
    url, version = _review_url(report), report.version
    people = [token_for("coordinator"), token_for("coordinator")]
    bodies = [
        {"decision": "approve", "version": version},
        {"decision": "return", "comment": "Précisez l’attente.", "version": version},
    ]
    barrier = threading.Barrier(2)
    statuses: list[int | BaseException] = []

    def decide(headers: dict[str, str], body: dict[str, Any]) -> None:
        reviewer = app.test_client()
        barrier.wait()
        try:
            statuses.append(reviewer.post(url, headers=headers, json=body).status_code)
        except BaseException as error:  # shown by the assertion below
            statuses.append(error)

    threads = [
        threading.Thread(target=decide, args=pair) for pair in zip(people, bodies, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses, key=str) == [200, 409]
    assert _reviews() == 1


# --- back on the phone ------------------------------------------------------------------------


def test_a_returned_report_goes_back_to_the_phone_with_its_comment(
    client: FlaskClient, factory: Factory, token_for: Headers
) -> None:
    campaign = factory.campaign()
    factory.site(campaign)
    mission = factory.mission(factory.wave(campaign, plan={"visit": 1}))
    investigator = factory.investigator()
    mission_lifecycle.assign(db.session, mission, investigator, actor=None)
    db.session.commit()
    phone = _token(client, investigator)
    url = f"/api/v1/missions/{mission.id}/report"
    sent = client.post(url + "/submit", headers=phone, json=_body())
    assert sent.status_code == 200, sent.json

    decided = client.post(
        _review_url(sent.json["id"]),
        headers=token_for("coordinator"),
        json={"decision": "return", "comment": "Précisez le temps d’attente.", "version": 1},
    )
    assert decided.status_code == 200, decided.json

    shown = client.get(url, headers=phone).json
    assert shown["status"] == "returned"
    assert shown["review"]["decision"] == "return"
    assert shown["review"]["comment"] == "Précisez le temps d’attente."
    agenda = client.get("/api/v1/me/missions", headers=phone).json
    assert mission.id in [m["id"] for m in agenda]


# --- the queue, bulk approval -----------------------------------------------------------------


def test_the_queue_lists_submitted_reports_with_their_flags(
    client: FlaskClient, token_for: Headers, queue: tuple[Wave, list[Report]]
) -> None:
    wave, reports = queue
    reports[1].latitude = 48.2  # 10 km from the site
    db.session.commit()
    headers = token_for("analyst")
    url = f"/api/v1/waves/{wave.id}/review-queue"
    listed = client.get(url, headers=headers, query_string={"page_size": 2})
    assert listed.status_code == 200
    assert json.loads(listed.headers["X-Pagination"])["total"] == 3
    assert [r["id"] for r in listed.json] == [reports[0].id, reports[1].id]
    assert listed.json[0]["flags"] == []
    (flag,) = listed.json[1]["flags"]
    assert flag["code"] == "far_from_site"
    assert flag["label"] == "Loin du site"
    assert "du site" in flag["message"]
    flagged = client.get(url, headers=headers, query_string={"flag": "any"}).json
    assert [r["id"] for r in flagged] == [reports[1].id]
    summary = client.get(url + "/summary", headers=headers).json
    assert summary == {
        "considered": 3,
        "flagged": 1,
        "unflagged": 2,
        "by_flag": {"far_from_site": 1},
    }
    assert client.get(url, headers=headers, query_string={"flag": "rien"}).status_code == 422


def test_bulk_approval_skips_flagged_reports(
    client: FlaskClient, token_for: Headers, queue: tuple[Wave, list[Report]]
) -> None:
    wave, reports = queue
    reports[2].ended_at = reports[2].started_at + timedelta(minutes=1)
    db.session.commit()
    response = client.post(
        f"/api/v1/waves/{wave.id}/review/approve-unflagged",
        headers=token_for("coordinator"),
        json={"channel": "visit"},
    )
    assert response.status_code == 200, response.json
    assert response.json["approved"] == 2
    assert response.json["skipped_flagged"] == 1
    assert sorted(response.json["approved_ids"]) == [reports[0].id, reports[1].id]


def test_the_mission_reports_and_the_audit_trail_are_read_by_analysts(
    client: FlaskClient, token_for: Headers, queue: tuple[Wave, list[Report]]
) -> None:
    _, (report, *_) = queue
    client.post(
        _review_url(report),
        headers=token_for("coordinator"),
        json={"decision": "reject", "comment": "Visite non faite."},
    )
    analyst = token_for("analyst")
    listed = client.get(f"/api/v1/missions/{report.mission_id}/reports", headers=analyst)
    assert listed.status_code == 200
    assert [r["status"] for r in listed.json] == ["rejected"]
    trail = client.get(f"/api/v1/reports/{report.id}/audit", headers=analyst)
    assert trail.status_code == 200
    (event,) = trail.json
    assert event["action"] == "report.reject"
    assert event["label"] == "Rapport rejeté"
    assert event["details"]["comment"] == "Visite non faite."
    assert event["actor"].startswith("Coordinator")


# --- the comment library ----------------------------------------------------------------------


def test_the_comment_library_through_the_api(
    client: FlaskClient, token_for: Headers, queue: tuple[Wave, list[Report]]
) -> None:
    _, (report, *_) = queue
    headers = token_for("coordinator")
    made = client.post(
        "/api/v1/review-comments",
        headers=headers,
        json={"text": "Photo de l’attente floue.", "decision": "return"},
    )
    assert made.status_code == 201, made.json
    twice = client.post(
        "/api/v1/review-comments", headers=headers, json={"text": "photo de l’attente floue."}
    )
    assert twice.status_code == 409
    listed = client.get("/api/v1/review-comments", headers=token_for("analyst")).json
    assert [(c["text"], c["decision"]) for c in listed] == [("Photo de l’attente floue.", "return")]
    decided = client.post(
        _review_url(report),
        headers=headers,
        json={"decision": "return", "comment_id": made.json["id"], "comment": "Merci."},
    )
    assert decided.json["reviews"][-1]["comment"] == "Photo de l’attente floue.\n\nMerci."
    off = client.patch(
        f"/api/v1/review-comments/{made.json['id']}", headers=headers, json={"active": False}
    )
    assert off.json["active"] is False
    assert client.get("/api/v1/review-comments", headers=headers).json == []
