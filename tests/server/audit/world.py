"""A seeded campaign where every write route has something valid to act on.

Built through the services (as the access matrix's world is), then committed: one letter
mission per state a write needs (assigned with no report, a submitted report, a request to send,
a reply to record, a reply awaiting its scan, one unassigned), a second campaign with an
unlocked draw (sample, waves, frame), a scenario and a library comment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Mission, OutboxStatus, Report, Role, User
from server.services import (
    mission_lifecycle,
    outbox,
    replies,
    reports,
    review_comments,
    scenarios,
)
from tests.factories import Factory
from tests.server.api.test_reports_api import valid_answers


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def letter_payload(client_id: str | None = None) -> reports.ReportPayload:
    moment = now()
    return reports.ReportPayload(
        client_id=client_id or str(uuid.uuid4()),
        answers=valid_answers("marianne-letter"),
        started_at=moment - timedelta(minutes=40),
        ended_at=moment - timedelta(minutes=5),
    )


@dataclass
class World:
    admin: User
    coordinator: User
    analyst: User
    investigator: User
    spare: User
    campaign_id: int
    wave_id: int
    #: Missions by the state a write route needs them in.
    missions: dict[str, int]
    report_id: int
    other_campaign_id: int
    scenario_id: int
    comment_id: int
    #: Two messages in doubt, one for each of the coordinator's decisions.
    message_ids: tuple[int, int]

    def by_role(self, role: Role) -> User:
        return {
            Role.ADMIN: self.admin,
            Role.COORDINATOR: self.coordinator,
            Role.ANALYST: self.analyst,
            Role.INVESTIGATOR: self.investigator,
        }[role]


def build(factory: Factory, session: Session) -> World:
    campaign = factory.campaign(2026)
    factory.sites(campaign, 7)
    wave = factory.wave(
        campaign, start=date(2026, 3, 2), end=date(2026, 4, 24), plan={"default": {"letter": 1}}
    )
    found = list(
        session.scalars(select(Mission).where(Mission.wave_id == wave.id).order_by(Mission.id))
    )
    investigator = factory.investigator(name="Anatole Fenwick")
    spare = factory.investigator(name="Cyprien Spare")
    states = ("draft", "photo", "review", "send", "reply", "scan", "free")
    missions = dict(zip(states, found, strict=True))
    for state in states[:-1]:
        mission_lifecycle.assign(session, missions[state], investigator, actor=None)
    reports.save_draft(session, missions["photo"], letter_payload(), actor=investigator)
    review = missions["review"]
    payload = letter_payload()
    report = reports.save_draft(session, review, payload, actor=investigator)
    reports.submit(session, review, payload, actor=investigator)
    sent = now() - timedelta(days=3)
    for state in ("reply", "scan"):
        replies.record_request_sent(session, missions[state], sent, actor=investigator)
    replies.record_reply(
        session,
        missions["scan"],
        received_at=now() - timedelta(days=1),
        text="Reçu.",
        actor=investigator,
    )
    other = factory.campaign(2027)
    factory.sites(other, 4)
    factory.draw(other)
    coordinator = factory.user(Role.COORDINATOR, name="Coralie Coord")
    scenario = scenarios.create_scenario(
        session,
        network="Préfecture",
        channel="letter",
        title="Demande de titre de séjour",
        text="Écrire pour demander les pièces à fournir.",
        actor=coordinator,
    )
    comment = review_comments.add_comment(session, "Photo illisible.", actor=coordinator)
    world = World(
        admin=factory.user(Role.ADMIN, name="Adèle Admin"),
        coordinator=coordinator,
        analyst=factory.user(Role.ANALYST, name="Anaïs Analyst"),
        investigator=investigator,
        spare=spare,
        campaign_id=campaign.id,
        wave_id=wave.id,
        missions={state: m.id for state, m in missions.items()},
        report_id=report.id,
        other_campaign_id=other.id,
        scenario_id=scenario.id,
        comment_id=comment.id,
        message_ids=(_in_doubt(session, "resend"), _in_doubt(session, "mark-sent")),
    )
    session.commit()
    return world


def report_version(session: Session, report_id: int) -> Any:
    report = session.get(Report, report_id)
    assert report is not None
    return report.version


def _in_doubt(session: Session, name: str) -> int:
    """A message whose delivery stopped between the final dot and the server's answer."""
    message = outbox.enqueue(
        session,
        key=f"audit:{name}",
        kind="reminder",
        recipient="a@example.fr",
        subject="Rappel",
        body="Votre mission commence demain.",
    )
    assert message is not None
    message.status = OutboxStatus.IN_DOUBT
    session.flush()
    return message.id
