"""Opening, assigning, following and closing a wave through the API."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, Draw, Mission, MissionStatus
from tests.factories import Factory

Headers = Callable[..., dict[str, str]]


@pytest.fixture
def campaign_id(factory: Factory) -> int:
    """A campaign of 6 sites, drawn whole, nobody assigned yet."""
    campaign = factory.campaign(2026)
    for i in range(6):
        factory.site(campaign, network="Préfecture" if i < 4 else "SIP", latitude=48 + i / 10)
    factory.draw(campaign)
    db.session.commit()
    return int(campaign.id)


def _open(client: FlaskClient, headers: dict[str, str], campaign_id: int, **body: object):
    payload = {"name": "Vague 1", "start": "2026-03-02", "end": "2026-04-24", **body}
    return client.post(f"/api/v1/campaigns/{campaign_id}/waves", headers=headers, json=payload)


def test_opening_a_wave_generates_every_mission_of_the_plan_and_locks_the_draw(
    client: FlaskClient, token_for: Headers, campaign_id: int
) -> None:
    response = _open(client, token_for("coordinator"), campaign_id)
    assert response.status_code == 201, response.json
    wave = response.json
    # Default plan per site: 2 visits, 9 calls, 10 emails, 3 letters, 1 website check.
    assert wave["missions"] == 6 * 25
    by_channel = {row["key"]: row["total"] for row in wave["progress"]["by_channel"]}
    assert by_channel == {"visit": 12, "phone": 54, "email": 60, "letter": 18, "website": 6}
    assert wave["status"] == "open"
    draw = db.session.get(Draw, wave["draw_id"])
    assert draw is not None
    assert draw.locked_at is not None
    missions = db.session.scalars(select(Mission)).all()
    assert {m.sampled_site.draw_id for m in missions} == {draw.id}
    assert all(m.status == MissionStatus.UNASSIGNED for m in missions)
    emails = [m for m in missions if m.channel == "email"]
    assert all(m.reply_due_on is not None for m in emails)


def test_a_plan_overridden_per_network(
    client: FlaskClient, token_for: Headers, campaign_id: int
) -> None:
    plan = {"default": {"visit": 1, "phone": 2}, "networks": {"SIP": {"visit": 0, "email": 1}}}
    response = _open(client, token_for("coordinator"), campaign_id, plan=plan)
    assert response.status_code == 201, response.json
    counts = Counter(
        (m.sampled_site.site.network, m.channel) for m in db.session.scalars(select(Mission))
    )
    assert counts == {
        ("Préfecture", "visit"): 4,
        ("Préfecture", "phone"): 8,
        ("SIP", "phone"): 4,
        ("SIP", "email"): 2,
    }


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"start": "2026-04-24", "end": "2026-03-02"}, 422, "end"),
        ({"start": "2026-03-02", "end": "2026-03-02"}, 422, "end"),
        ({"plan": {"visit": -1}}, 422, "plan.default"),
        ({"plan": {"visit": "deux"}}, 422, "plan.default"),
        ({"plan": {"fax": 2}}, 422, "plan.default"),
        ({"plan": {"visit": 0}}, 422, "plan"),
        ({"plan": {"networks": {"SIP": {"phone": -3}}}}, 422, "plan.networks.SIP"),
        ({"reply_days": {"email": 0}}, 422, "reply_days"),
        ({"rules": {"teleportation": True}}, 422, "rules"),
        ({"lockout_waves": -1}, 422, "lockout_waves"),
    ],
)
def test_bad_waves_are_refused_and_nothing_is_written(
    client: FlaskClient,
    token_for: Headers,
    campaign_id: int,
    body: dict[str, object],
    status: int,
    field: str,
) -> None:
    response = _open(client, token_for("coordinator"), campaign_id, **body)
    assert response.status_code == status, response.json
    assert field in response.json["errors"] or field in str(response.json["errors"])
    assert db.session.scalar(select(Mission.id)) is None
    draw = db.session.scalar(select(Draw))
    assert draw is not None
    assert draw.locked_at is None


def test_waves_of_one_campaign_may_not_overlap(
    client: FlaskClient, token_for: Headers, campaign_id: int
) -> None:
    headers = token_for("coordinator")
    assert _open(client, headers, campaign_id, plan={"visit": 1}).status_code == 201
    overlapping = _open(
        client, headers, campaign_id, name="Vague 2", start="2026-04-20", end="2026-05-29"
    )
    assert overlapping.status_code == 409
    assert "chevauchent la vague « Vague 1 »" in overlapping.json["message"]
    after = _open(
        client,
        headers,
        campaign_id,
        name="Vague 2",
        start="2026-05-04",
        end="2026-05-29",
        plan={"visit": 1},
    )
    assert after.status_code == 201, after.json


def test_a_wave_on_a_campaign_with_no_sample_is_refused(
    client: FlaskClient, token_for: Headers, factory: Factory
) -> None:
    campaign = factory.campaign(2026)
    factory.site(campaign)
    db.session.commit()
    response = _open(client, token_for("coordinator"), campaign.id)
    assert response.status_code == 422
    assert "pas d’échantillon" in response.json["message"]


def test_a_channel_without_questionnaire_is_refused(
    client: FlaskClient, token_for: Headers, factory: Factory
) -> None:
    campaign = factory.campaign(2026, referentiel_code="services-publics-plus")
    factory.site(campaign)
    factory.draw(campaign)
    db.session.commit()
    response = _open(client, token_for("coordinator"), campaign.id, plan={"visit": 1})
    assert response.status_code == 422
    assert "pas de questionnaire pour : visit" in response.json["message"]


def test_opening_a_wave_is_audited(
    client: FlaskClient, token_for: Headers, campaign_id: int
) -> None:
    _open(client, token_for("coordinator"), campaign_id, plan={"visit": 1})
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"wave.open", "sample.lock"} <= actions


@pytest.mark.parametrize("role", ["analyst", "investigator"])
def test_only_coordinators_open_waves_and_the_body_is_never_read_first(
    client: FlaskClient, token_for: Headers, campaign_id: int, role: str
) -> None:
    response = client.post(
        f"/api/v1/campaigns/{campaign_id}/waves", headers=token_for(role), json={"start": 3}
    )
    assert response.status_code == 403
    anonymous = client.post(f"/api/v1/campaigns/{campaign_id}/waves", json={"start": 3})
    assert anonymous.status_code == 401


def test_assigning_a_wave_gives_every_mission_someone_or_a_rule(
    client: FlaskClient, token_for: Headers, campaign_id: int, factory: Factory
) -> None:
    headers = token_for("coordinator")
    wave = _open(client, headers, campaign_id, plan={"visit": 2, "phone": 2}).json
    factory.investigator(home_commune="Vitré", visit_capacity=3, capacity=20)
    factory.investigator(home_commune="Fougères", visit_capacity=3, capacity=20)
    factory.investigator(home_commune="Redon", channels=["phone"], visit_capacity=0, capacity=5)
    db.session.commit()
    result = client.post(f"/api/v1/waves/{wave['id']}/assign", headers=headers)
    assert result.status_code == 200, result.json
    body = result.json
    # 12 visits for 2 visiting investigators of 3 visits each: 6 left, blocked by the quota.
    assert body["assigned"] == 18
    assert len(body["unassignable"]) == 6
    assert {u["rule"] for u in body["unassignable"]} == {"visit_capacity"}
    assert all(u["reason"] for u in body["unassignable"])
    assert body["total_km"] > 0
    listed = client.get(
        f"/api/v1/waves/{wave['id']}/missions?status=unassigned&page_size=50", headers=headers
    )
    assert {m["rule"] for m in listed.json} == {"visit_capacity"}
    assert listed.headers["X-Pagination"]


def test_missions_list_filters_and_paginates(
    client: FlaskClient, token_for: Headers, campaign_id: int
) -> None:
    headers = token_for("coordinator")
    wave = _open(client, headers, campaign_id, plan={"visit": 2, "phone": 1}).json
    page = client.get(f"/api/v1/waves/{wave['id']}/missions?page_size=5", headers=headers)
    assert page.status_code == 200
    assert len(page.json) == 5
    phones = client.get(f"/api/v1/waves/{wave['id']}/missions?channel=phone", headers=headers)
    assert len(phones.json) == 6
    first = phones.json[0]
    assert {
        "site",
        "channel",
        "scenario",
        "window_start",
        "window_end",
        "assignee",
        "status",
        "reason",
    } <= set(first)
    assert first["site"]["site_id"].startswith("S")
    bad = client.get(f"/api/v1/waves/{wave['id']}/missions?status=perdue", headers=headers)
    assert bad.status_code == 422


def test_closing_a_wave_counts_what_was_not_done(
    client: FlaskClient, token_for: Headers, campaign_id: int
) -> None:
    headers = token_for("coordinator")
    wave = _open(client, headers, campaign_id, plan={"visit": 1}).json
    closed = client.post(f"/api/v1/waves/{wave['id']}/close", headers=headers)
    assert closed.status_code == 200, closed.json
    assert closed.json["status"] == "closed"
    assert closed.json["closing"]["not_done_total"] == 6
    again = client.post(f"/api/v1/waves/{wave['id']}/close", headers=headers)
    assert again.status_code == 409


def test_an_unknown_wave_is_404(client: FlaskClient, token_for: Headers) -> None:
    assert client.get("/api/v1/waves/999", headers=token_for("coordinator")).status_code == 404


def test_the_wave_dates_are_kept(client: FlaskClient, token_for: Headers, campaign_id: int) -> None:
    wave = _open(client, token_for("coordinator"), campaign_id, plan={"visit": 1}).json
    assert (wave["start"], wave["end"]) == (str(date(2026, 3, 2)), str(date(2026, 4, 24)))
