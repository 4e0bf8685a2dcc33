"""The investigator's agenda on the phone (``server/services/agenda.py``): which missions it
shows, in which group and in which order. ``now`` is always given, so nothing depends on the
day the suite runs; missions are real ones (the factory's waves), with their windows set."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from server.extensions import db
from server.models import Campaign, Mission, MissionStatus, ReportStatus, User, Wave
from server.services import agenda, mission_lifecycle, waves
from server.services.assignment.distance import geodesic_m
from tests.conftest import PASSWORD
from tests.factories import Factory

#: A Tuesday, 11:00 in Paris.
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
#: The factory's investigators live in Vitré.
HOME = (48.12, -1.21)
#: Sites at known distances from that home (latitude, longitude).
NEAR = (48.125, -1.20)  # ~0.9 km
MID = (48.14878, -1.21)  # ~3.2 km
FAR = (48.35, -1.20)  # ~25.6 km
RENNES = (48.11, -1.68)  # ~35 km

TITLES = {
    "returned": "À corriger",
    "overdue": "En retard",
    "today": "Aujourd’hui",
    "upcoming": "À venir",
    "awaiting_reply": "En attente de réponse",
}


@dataclass
class Fieldwork:
    """One campaign whose wave has one mission per site and channel."""

    campaign: Campaign
    wave: Wave
    missions: dict[tuple[str, str], Mission]

    def __call__(self, site: str, channel: str) -> Mission:
        return self.missions[(site, channel)]


def _fieldwork(
    factory: Factory,
    sites: dict[str, tuple[float, float] | None],
    channels: Iterable[str] = ("visit", "phone", "email"),
    *,
    year: int = 2026,
) -> Fieldwork:
    campaign = factory.campaign(year, name=f"Baromètre {year} ({len(sites)} sites)")
    codes: dict[str, str] = {}
    for name, place in sites.items():
        latitude, longitude = place if place is not None else (None, None)
        site = factory.site(campaign, name=name, latitude=latitude, longitude=longitude)
        codes[site.code] = name
    wave = factory.wave(campaign, plan=dict.fromkeys(channels, 1))
    found = db.session.scalars(select(Mission).where(Mission.wave_id == wave.id)).all()
    missions = {(codes[m.site.code], m.channel): m for m in found}
    return Fieldwork(campaign, wave, missions)


def _give(
    mission: Mission,
    investigator: User,
    start: datetime,
    hours: float = 8,
) -> Mission:
    """Assign ``mission`` to ``investigator`` with a window from ``start``."""
    mission_lifecycle.assign(db.session, mission, investigator, actor=None)
    mission.window_start = start
    mission.window_end = start + timedelta(hours=hours)
    db.session.flush()
    return mission


def _km(place: tuple[float, float]) -> float:
    return geodesic_m(*HOME, *place) / 1000


def _layout(groups: list[agenda.AgendaGroup]) -> dict[str, list[int]]:
    return {group.key: [entry.mission.id for entry in group.entries] for group in groups}


TODAY = NOW.replace(hour=7)  # 08:00 in Paris, the window still open at NOW
YESTERDAY = NOW - timedelta(days=1)


def test_groups_their_order_and_the_order_within_each(factory: Factory) -> None:
    me = factory.investigator()
    other = factory.investigator()
    work = _fieldwork(
        factory,
        {
            "near": NEAR,
            "mid": MID,
            "far": FAR,
            "rennes": RENNES,
            "unmapped": None,
            "corrected": RENNES,
            "sent": FAR,
        },
    )
    # Today: three visits at three distances, one without coordinates, two calls.
    near_visit = _give(work("near", "visit"), me, TODAY)
    mid_visit = _give(work("mid", "visit"), me, TODAY - timedelta(hours=2))
    far_visit = _give(work("far", "visit"), me, TODAY - timedelta(hours=3))
    unmapped_visit = _give(work("unmapped", "visit"), me, TODAY + timedelta(hours=1))
    early_call = _give(work("rennes", "phone"), me, TODAY)
    late_call = _give(work("near", "phone"), me, TODAY + timedelta(hours=2))
    # A draft does not move a mission out of its group.
    factory.report(near_visit, me)
    # Upcoming: a far visit later than an email; the visit still comes first.
    later_visit = _give(work("rennes", "visit"), me, NOW + timedelta(days=3))
    sooner_email = _give(work("far", "email"), me, NOW + timedelta(days=2))
    # Overdue: one marked so, one whose window simply ended.
    marked_overdue = _give(work("mid", "phone"), me, YESTERDAY - timedelta(days=1))
    mission_lifecycle.mark_overdue(db.session, marked_overdue, actor=None)
    window_passed = _give(work("far", "phone"), me, YESTERDAY)
    # Awaiting the site's reply.
    awaiting = _give(work("sent", "email"), me, YESTERDAY)
    mission_lifecycle.mark_request_sent(db.session, awaiting, YESTERDAY, actor=None)
    # Returned for correction: the mission is done (submitted), its report came back.
    corrected = _give(work("corrected", "visit"), me, NOW - timedelta(days=6))
    mission_lifecycle.mark_done(db.session, corrected, actor=None)
    factory.report(corrected, me, status=ReportStatus.RETURNED)
    # Never shown: done and submitted, cancelled, another investigator's.
    submitted = _give(work("sent", "visit"), me, YESTERDAY)
    mission_lifecycle.mark_done(db.session, submitted, actor=None)
    factory.report(submitted, me, status=ReportStatus.SUBMITTED)
    cancelled = _give(work("unmapped", "phone"), me, TODAY)
    mission_lifecycle.cancel(db.session, cancelled, actor=None, reason="Site fermé")
    theirs = _give(work("corrected", "phone"), other, TODAY)
    db.session.commit()

    groups = agenda.agenda(db.session, me, now=NOW)

    assert [(group.key, group.title) for group in groups] == list(TITLES.items())
    assert _layout(groups) == {
        "returned": [corrected.id],
        "overdue": [marked_overdue.id, window_passed.id],
        "today": [
            near_visit.id,
            mid_visit.id,
            far_visit.id,
            early_call.id,  # remote tests and unmapped visits by window start
            unmapped_visit.id,
            late_call.id,
        ],
        "upcoming": [later_visit.id, sooner_email.id],
        "awaiting_reply": [awaiting.id],
    }
    shown = {entry.mission.id for group in groups for entry in group.entries}
    assert not shown & {submitted.id, cancelled.id, theirs.id}

    entries = {entry.mission.id: entry for group in groups for entry in group.entries}
    assert entries[corrected.id].report_status == ReportStatus.RETURNED
    assert entries[near_visit.id].report_status == ReportStatus.DRAFT
    assert entries[far_visit.id].report_status is None
    for mission, place in ((near_visit, NEAR), (mid_visit, MID), (far_visit, FAR)):
        assert entries[mission.id].distance_km == pytest.approx(_km(place), abs=1e-6)
    assert entries[mid_visit.id].distance_km == pytest.approx(3.2, abs=0.05)
    assert entries[later_visit.id].distance_km == pytest.approx(_km(RENNES), abs=1e-6)
    # Remote tests and visits without coordinates have no distance.
    for mission in (unmapped_visit, early_call, late_call, sooner_email, awaiting):
        assert entries[mission.id].distance_km is None

    # The other investigator sees theirs only.
    assert _layout(agenda.agenda(db.session, other, now=NOW)) == {"today": [theirs.id]}


def test_a_returned_report_comes_first_even_when_its_window_is_today(factory: Factory) -> None:
    me = factory.investigator()
    work = _fieldwork(factory, {"near": NEAR, "far": FAR}, ("visit",))
    today = _give(work("near", "visit"), me, TODAY)
    returned = _give(work("far", "visit"), me, TODAY)
    mission_lifecycle.mark_done(db.session, returned, actor=None)
    factory.report(returned, me, status=ReportStatus.SUBMITTED)
    # Its latest report is what counts: a second one, returned.
    factory.report(returned, me, status=ReportStatus.RETURNED)
    db.session.commit()
    groups = agenda.agenda(db.session, me, now=NOW)
    assert _layout(groups) == {"returned": [returned.id], "today": [today.id]}
    assert groups[0].title == "À corriger"


def test_missions_of_a_closed_wave_are_gone_even_with_a_returned_report(
    factory: Factory,
) -> None:
    me = factory.investigator()
    closed = _fieldwork(factory, {"a": NEAR, "b": MID}, ("visit",), year=2025)
    still_open = _give(closed("a", "visit"), me, TODAY)
    returned = _give(closed("b", "visit"), me, TODAY)
    mission_lifecycle.mark_done(db.session, returned, actor=None)
    factory.report(returned, me, status=ReportStatus.RETURNED)
    db.session.flush()
    before = agenda.agenda(db.session, me, now=NOW)
    assert _layout(before) == {"returned": [returned.id], "today": [still_open.id]}

    waves.close_wave(db.session, closed.wave, actor=None, now=NOW)
    db.session.commit()
    assert db.session.get(Mission, still_open.id).status == MissionStatus.NOT_DONE
    assert agenda.agenda(db.session, me, now=NOW) == []


def test_a_returned_report_of_a_cancelled_mission_is_gone(factory: Factory) -> None:
    me = factory.investigator()
    work = _fieldwork(factory, {"a": NEAR}, ("visit",))
    mission = _give(work("a", "visit"), me, TODAY)
    factory.report(mission, me, status=ReportStatus.RETURNED)
    mission_lifecycle.cancel(db.session, mission, actor=None, reason="Site fermé")
    db.session.commit()
    assert agenda.agenda(db.session, me, now=NOW) == []


def test_today_is_the_sites_day(factory: Factory) -> None:
    """At 22:00 UTC it is already tomorrow at La Réunion (UTC+4): a window opening there
    tomorrow morning is today's, while the same window in Paris is still to come."""
    me = factory.investigator()
    late = NOW.replace(hour=22)
    work = _fieldwork(factory, {"paris": None, "reunion": None}, ("phone",))
    opening = datetime(2026, 3, 11, 4, 30, tzinfo=UTC)  # 08:30 at La Réunion, 05:30 in Paris
    paris = _give(work("paris", "phone"), me, opening)
    reunion = _give(work("reunion", "phone"), me, opening)
    reunion.time_zone = "Indian/Reunion"
    db.session.commit()
    assert _layout(agenda.agenda(db.session, me, now=late)) == {
        "today": [reunion.id],
        "upcoming": [paris.id],
    }
    # The next morning in Paris both are today's.
    morning = datetime(2026, 3, 11, 5, 0, tzinfo=UTC)
    assert _layout(agenda.agenda(db.session, me, now=morning)) == {
        "today": sorted([paris.id, reunion.id])
    }


def test_empty_groups_are_left_out_and_nothing_is_an_empty_list(factory: Factory) -> None:
    me = factory.investigator()
    assert agenda.agenda(db.session, me, now=NOW) == []
    work = _fieldwork(factory, {"a": NEAR}, ("visit",))
    upcoming = _give(work("a", "visit"), me, NOW + timedelta(days=1))
    db.session.commit()
    groups = agenda.agenda(db.session, me, now=NOW)
    assert [(group.key, group.title) for group in groups] == [("upcoming", "À venir")]
    assert _layout(groups) == {"upcoming": [upcoming.id]}


def test_the_api_list_includes_the_returned_report_mission(
    client: FlaskClient, factory: Factory
) -> None:
    me = factory.investigator()
    work = _fieldwork(factory, {"a": NEAR, "b": MID, "c": FAR}, ("visit",))
    assigned = _give(work("a", "visit"), me, TODAY)
    returned = _give(work("b", "visit"), me, TODAY - timedelta(days=5))
    mission_lifecycle.mark_done(db.session, returned, actor=None)
    factory.report(returned, me, status=ReportStatus.RETURNED)
    submitted = _give(work("c", "visit"), me, TODAY - timedelta(days=4))
    mission_lifecycle.mark_done(db.session, submitted, actor=None)
    factory.report(submitted, me, status=ReportStatus.SUBMITTED)
    db.session.commit()
    token = client.post("/api/v1/auth/token", json={"email": me.email, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json['token']}"}
    response = client.get("/api/v1/me/missions", headers=headers)
    assert response.status_code == 200, response.json
    listed = {item["id"]: item for item in response.json}
    assert set(listed) == {assigned.id, returned.id}
    assert listed[returned.id]["status"] == "done"
    assert listed[assigned.id]["status"] == "assigned"
    # Once the wave is closed the returned report can no longer be corrected: gone.
    waves.close_wave(db.session, work.wave, actor=None)
    db.session.commit()
    assert client.get("/api/v1/me/missions", headers=headers).json == []
