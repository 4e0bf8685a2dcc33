"""One mission through the API: reading it, reassigning it by hand, and the request and
reply of an email or letter test."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, Mission, MissionStatus, User
from server.services import mission_lifecycle
from tests.conftest import PASSWORD
from tests.factories import Factory

Headers = Callable[..., dict[str, str]]


def _token(client: FlaskClient, user: User) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.json['token']}"}


@pytest.fixture
def visit(factory: Factory) -> Mission:
    """One unassigned visit of a site in Rennes."""
    campaign = factory.campaign(2026)
    factory.site(campaign, city="Rennes")
    wave = factory.wave(campaign, plan={"visit": 1})
    mission = factory.mission(wave)
    db.session.commit()
    return mission


@pytest.fixture
def email(factory: Factory) -> tuple[Mission, User]:
    """An email test of a site in Moselle, assigned to an investigator."""
    mission, investigator = factory.assigned_mission("email", department="57")
    db.session.commit()
    return mission, investigator


def test_reassigning_to_an_allowed_investigator(
    client: FlaskClient, token_for: Headers, factory: Factory, visit: Mission
) -> None:
    person = factory.investigator(home_commune="Vitré")
    db.session.commit()
    response = client.post(
        f"/api/v1/missions/{visit.id}/assign",
        headers=token_for("coordinator"),
        json={"investigator_id": person.id},
    )
    assert response.status_code == 200, response.json
    assert response.json["assignee"]["id"] == person.id
    assert response.json["status"] == "assigned"


def test_a_move_a_rule_forbids_is_409_naming_it_until_forced(
    client: FlaskClient, token_for: Headers, factory: Factory, visit: Mission
) -> None:
    neighbour = factory.investigator(home_commune="RENNES")  # the site's own commune
    db.session.commit()
    headers = token_for("coordinator")
    url = f"/api/v1/missions/{visit.id}/assign"
    refused = client.post(url, headers=headers, json={"investigator_id": neighbour.id})
    assert refused.status_code == 409
    assert refused.json["code"] == "rule_broken"
    assert refused.json["errors"]["rule"] == ["home_commune"]
    assert "Commune de résidence".lower() in refused.json["message"]
    assert db.session.get(Mission, visit.id).assignee_id is None
    forced = client.post(
        url, headers=headers, json={"investigator_id": neighbour.id, "force": True}
    )
    assert forced.status_code == 200
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "mission.assign")
    ).one()
    assert event.details["forced_rule"] == "home_commune"
    assert event.actor_id is not None


def test_a_second_visit_of_the_same_site_is_refused(
    client: FlaskClient, token_for: Headers, factory: Factory
) -> None:
    campaign = factory.campaign(2026)
    factory.site(campaign)
    wave = factory.wave(campaign, plan={"visit": 2})
    first, second = db.session.scalars(select(Mission).order_by(Mission.id)).all()
    person = factory.investigator()
    mission_lifecycle.assign(db.session, first, person, actor=None)
    db.session.commit()
    response = client.post(
        f"/api/v1/missions/{second.id}/assign",
        headers=token_for("coordinator"),
        json={"investigator_id": person.id},
    )
    assert response.status_code == 409
    assert response.json["errors"]["rule"] == ["same_site_in_wave"]
    assert wave.id


def test_reassigning_to_an_inactive_investigator_is_refused_even_forced(
    client: FlaskClient, token_for: Headers, factory: Factory, visit: Mission
) -> None:
    person = factory.investigator(active=False)
    db.session.commit()
    response = client.post(
        f"/api/v1/missions/{visit.id}/assign",
        headers=token_for("coordinator"),
        json={"investigator_id": person.id, "force": True},
    )
    assert response.status_code == 422
    assert "désactivé" in response.json["message"]


def test_reassigning_to_an_unknown_investigator_is_404(
    client: FlaskClient, token_for: Headers, visit: Mission
) -> None:
    response = client.post(
        f"/api/v1/missions/{visit.id}/assign",
        headers=token_for("coordinator"),
        json={"investigator_id": 4242},
    )
    assert response.status_code == 404


def test_an_investigator_sees_only_their_own_missions(
    client: FlaskClient, factory: Factory, email: tuple[Mission, User]
) -> None:
    mission, owner = email
    stranger = factory.investigator()
    db.session.commit()
    own = client.get(f"/api/v1/missions/{mission.id}", headers=_token(client, owner))
    assert own.status_code == 200
    assert own.json["window_start_local"]
    other = client.get(f"/api/v1/missions/{mission.id}", headers=_token(client, stranger))
    assert other.status_code == 404
    listed = client.get("/api/v1/me/missions", headers=_token(client, owner))
    assert [m["id"] for m in listed.json] == [mission.id]


def test_request_sent_then_reply_counts_working_days_in_the_sites_department(
    client: FlaskClient, email: tuple[Mission, User]
) -> None:
    mission, owner = email
    headers = _token(client, owner)
    # Thursday 2 April 2026; Good Friday (3 April) is a holiday in Moselle ("57") only.
    sent = client.post(
        f"/api/v1/missions/{mission.id}/sent",
        headers=headers,
        json={"sent_at": "2026-04-02T09:00:00+02:00"},
    )
    assert sent.status_code == 200, sent.json
    assert sent.json["status"] == "awaiting_reply"
    replay = client.post(
        f"/api/v1/missions/{mission.id}/sent",
        headers=headers,
        json={"sent_at": "2026-04-02T09:00:00+02:00"},
    )
    assert replay.status_code == 200
    reply = client.post(
        f"/api/v1/missions/{mission.id}/reply",
        headers=headers,
        json={"received_at": "2026-04-07T15:00:00+02:00", "text": "Réponse complète."},
    )
    assert reply.status_code == 200, reply.json
    # Fri 3 (holiday in 57), Mon 6 (Easter Monday), Tue 7: one working day.
    assert reply.json["reply_working_days"] == 1
    assert reply.json["status"] == "done"
    assert reply.json["reply_outcome"] == "received"


def test_a_reply_recorded_twice_is_409_unless_a_confirmed_correction(
    client: FlaskClient, token_for: Headers, email: tuple[Mission, User]
) -> None:
    mission, owner = email
    headers = _token(client, owner)
    url = f"/api/v1/missions/{mission.id}"
    client.post(f"{url}/sent", headers=headers, json={"sent_at": "2026-03-02T09:00:00+01:00"})
    first = {"received_at": "2026-03-04T10:00:00+01:00", "text": "Première"}
    assert client.post(f"{url}/reply", headers=headers, json=first).status_code == 200
    second = {"received_at": "2026-03-05T10:00:00+01:00", "text": "Seconde"}
    twice = client.post(f"{url}/reply", headers=headers, json=second)
    assert twice.status_code == 409
    assert "déjà enregistrée" in twice.json["message"]
    assert db.session.get(Mission, mission.id).reply_text == "Première"
    corrected = client.post(
        f"{url}/reply", headers=token_for("coordinator"), json={**second, "correction": True}
    )
    assert corrected.status_code == 200
    assert corrected.json["reply_text"] == "Seconde"
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "mission.reply_correct")
    ).one()
    assert event.details["before"]["text"] == "Première"
    assert event.details["after"]["text"] == "Seconde"


@pytest.mark.parametrize(
    ("sent", "body", "status", "message"),
    [
        (None, {"received_at": "2026-03-04T10:00:00+01:00"}, 409, "pas encore été envoyée"),
        (
            "2026-03-04T10:00:00+01:00",
            {"received_at": "2026-03-03T10:00:00+01:00"},
            422,
            "précède l’envoi",
        ),
        ("2026-03-04T10:00:00+01:00", {"received_at": "2026-03-05T10:00:00"}, 422, "received_at"),
        ("2026-03-04T10:00:00+01:00", {"received_at": "hier"}, 422, "received_at"),
    ],
)
def test_bad_replies_are_refused_and_nothing_changes(
    client: FlaskClient,
    email: tuple[Mission, User],
    sent: str | None,
    body: dict[str, str],
    status: int,
    message: str,
) -> None:
    mission, owner = email
    headers = _token(client, owner)
    if sent:
        client.post(f"/api/v1/missions/{mission.id}/sent", headers=headers, json={"sent_at": sent})
    response = client.post(f"/api/v1/missions/{mission.id}/reply", headers=headers, json=body)
    assert response.status_code == status, response.json
    assert message in str(response.json)
    assert db.session.get(Mission, mission.id).reply_outcome is None


def test_a_future_send_date_is_refused(client: FlaskClient, email: tuple[Mission, User]) -> None:
    mission, owner = email
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    response = client.post(
        f"/api/v1/missions/{mission.id}/sent",
        headers=_token(client, owner),
        json={"sent_at": tomorrow},
    )
    assert response.status_code == 422
    assert db.session.get(Mission, mission.id).status == MissionStatus.ASSIGNED


def test_a_visit_has_no_reply(client: FlaskClient, token_for: Headers, visit: Mission) -> None:
    response = client.post(
        f"/api/v1/missions/{visit.id}/reply",
        headers=token_for("coordinator"),
        json={"received_at": "2026-03-04T10:00:00+01:00"},
    )
    assert response.status_code == 422


def _replied(client: FlaskClient, mission: Mission, headers: dict[str, str]) -> None:
    url = f"/api/v1/missions/{mission.id}"
    client.post(f"{url}/sent", headers=headers, json={"sent_at": "2026-03-02T09:00:00+01:00"})
    client.post(f"{url}/reply", headers=headers, json={"received_at": "2026-03-04T10:00:00+01:00"})


def test_a_reply_scan_is_stored_by_content_and_served_to_its_people_only(
    client: FlaskClient, token_for: Headers, factory: Factory, email: tuple[Mission, User]
) -> None:
    mission, owner = email
    stranger = factory.investigator()
    db.session.commit()
    headers = _token(client, owner)
    url = f"/api/v1/missions/{mission.id}/reply/scan"
    pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
    before = client.post(
        url,
        headers=headers,
        data={"file": (io.BytesIO(pdf), "r.pdf")},
        content_type="multipart/form-data",
    )
    assert before.status_code == 409  # no reply recorded yet
    _replied(client, mission, headers)
    fake = client.post(
        url,
        headers=headers,
        data={"file": (io.BytesIO(b"MZ\x90\x00"), "r.pdf")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422
    assert "ni un PDF" in fake.json["message"]
    stored = client.post(
        url,
        headers=headers,
        data={"file": (io.BytesIO(pdf), "scan.bin")},
        content_type="multipart/form-data",
    )
    assert stored.status_code == 200, stored.json
    with client.get(url, headers=token_for("coordinator")) as served:
        assert served.status_code == 200
        assert served.mimetype == "application/pdf"
        assert served.data == pdf
    assert client.get(url, headers=_token(client, stranger)).status_code == 404


def test_an_overdue_mission_reassigned_gets_a_window_still_to_come(
    client: FlaskClient, token_for: Headers, factory: Factory
) -> None:
    today = datetime.now(UTC).date()
    campaign = factory.campaign(today.year)
    factory.site(campaign)
    wave = factory.wave(
        campaign,
        plan={"phone": 1},
        start=today - timedelta(days=20),
        end=today + timedelta(days=20),
    )
    mission = factory.mission(wave)
    first, second = factory.investigator(), factory.investigator()
    mission_lifecycle.assign(db.session, mission, first, actor=None)
    mission.window_start = datetime.now(UTC) - timedelta(days=3, hours=1)
    mission.window_end = datetime.now(UTC) - timedelta(days=3)
    mission_lifecycle.mark_overdue(db.session, mission, actor=None)
    db.session.commit()
    response = client.post(
        f"/api/v1/missions/{mission.id}/assign",
        headers=token_for("coordinator"),
        json={"investigator_id": second.id},
    )
    assert response.status_code == 200, response.json
    assert response.json["status"] == "assigned"
    window_end = datetime.fromisoformat(response.json["window_end"])
    assert window_end > datetime.now(UTC)
    assert window_end.date() <= wave.end + timedelta(days=1)


def test_a_site_visited_last_wave_is_refused_to_its_visitor_by_hand(
    client: FlaskClient, token_for: Headers, factory: Factory
) -> None:
    last_year = factory.campaign(2025)
    factory.site(last_year, code="PREF-035")
    old = factory.mission(
        factory.wave(last_year, plan={"visit": 1}, start=date(2025, 3, 3), end=date(2025, 4, 25))
    )
    visitor, other = factory.investigator(), factory.investigator()
    mission_lifecycle.assign(db.session, old, visitor, actor=None)
    mission_lifecycle.mark_done(db.session, old, actor=None)
    this_year = factory.campaign(2026)
    factory.site(this_year, code="PREF-035")
    mission = factory.mission(factory.wave(this_year, plan={"visit": 1}))
    db.session.commit()
    headers = token_for("coordinator")
    url = f"/api/v1/missions/{mission.id}/assign"
    refused = client.post(url, headers=headers, json={"investigator_id": visitor.id})
    assert refused.status_code == 409
    assert refused.json["errors"]["rule"] == ["lockout"]
    allowed = client.post(url, headers=headers, json={"investigator_id": other.id})
    assert allowed.status_code == 200, allowed.json
