"""A small campaign in the field, built through the services, where a leak would show.

Two investigators each hold a letter mission with a submitted report (a marker in its
free-text answer), a photo and a recorded reply with its scan (unique bytes each); a third
mission, begun by the second, was handed over to the first (``World.handed_mission_id``); a third
investigator holds nothing and is the target of account routes, so that a coordinator's
writes in the matrix never lock the two others out. Markers, names and emails are ASCII so
they read the same in HTML and in JSON (which escapes accents).
"""

from __future__ import annotations

import io
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Mission, OutboxStatus, Photo, Questionnaire, Role, User
from server.services import (
    mission_lifecycle,
    outbox,
    replies,
    reply_scans,
    reports,
    review_comments,
    scenarios,
)
from server.services.photos import store_photo
from tests.factories import Factory
from tests.server.api.test_reports_api import valid_answers


def client_id(n: int) -> str:
    """The phone's report UUID, the same on every run."""
    return str(uuid.UUID(int=n, version=4))


def unique_png(seed: int) -> bytes:
    """A small noisy PNG whose bytes no other file of the world shares."""
    rng = random.Random(seed)
    image = Image.new("RGB", (64, 48))
    image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256))] * (64 * 48))
    for x in range(64):
        image.putpixel((x, rng.randrange(48)), (rng.randrange(256), 0, rng.randrange(256)))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class Fieldworker:
    """One investigator and what they made: the ids of their objects and their secrets."""

    user: User
    mission_id: int
    report_id: int
    photo_id: int
    #: Strings and bytes only this investigator (and staff) may ever receive.
    secrets: list[bytes] = field(default_factory=list)


@dataclass
class World:
    admin: User
    coordinator: User
    analyst: User
    own: Fieldworker
    other: Fieldworker
    spare: User
    shared: dict[str, int]
    #: A mission the other investigator began (a draft and a photo) and was then handed
    #: over to the first: now the first's, but the other's draft and photo are not.
    handed_mission_id: int

    def users(self) -> dict[Role, User]:
        return {
            Role.ADMIN: self.admin,
            Role.COORDINATOR: self.coordinator,
            Role.ANALYST: self.analyst,
            Role.INVESTIGATOR: self.own.user,
        }

    def parameters(self, whose: str) -> dict[str, int]:
        """Path parameter name → id, for the ``own``, the ``other`` investigator's objects, or
        the ``handed`` over mission (with the first investigator's own report and photo).

        A parameter missing here makes the matrix fail: a new route must say what it takes.
        """
        worker = self.other if whose == "other" else self.own
        return {
            **self.shared,
            "mission_id": self.handed_mission_id if whose == "handed" else worker.mission_id,
            "report_id": worker.report_id,
            "photo_id": worker.photo_id,
        }


#: Parameters whose object belongs to one investigator (another's must be a 404).
OWNED = frozenset({"mission_id", "report_id", "photo_id"})
#: Parameters whose object is the same for everyone (staff see all of them).
SHARED = frozenset(
    {
        "campaign_id",
        "wave_id",
        "site_id",
        "user_id",
        "questionnaire_id",
        "referentiel_id",
        "scenario_id",
        "comment_id",
        "message_id",
    }
)


def _fieldwork(
    session: Session, mission: Mission, user: User, letter: str, folder: Path
) -> Fieldworker:
    mission_lifecycle.assign(session, mission, user, actor=None)
    marker = f"REPORT-SECRET-{letter}-{ord(letter) * 7919:06d}"
    now = datetime.now(UTC).replace(microsecond=0)
    answers = {**valid_answers("marianne-letter"), "l_adresse": marker}
    payload = reports.ReportPayload(
        client_id=client_id(ord(letter)),
        answers=answers,
        started_at=now - timedelta(minutes=40),
        ended_at=now - timedelta(minutes=5),
    )
    report = reports.save_draft(session, mission, payload, actor=user)
    photo, _created = store_photo(
        session, mission, unique_png(ord(letter)), folder=folder, actor=user, filename="p.png"
    )
    reports.submit(session, mission, payload, actor=user)
    reply_marker = f"REPLY-SECRET-{letter}-{ord(letter) * 104729:08d}"
    # Submitting a letter report records its sending (the answers carry the date).
    replies.record_reply(
        session, mission, received_at=now - timedelta(days=1), text=reply_marker, actor=user
    )
    reply_scans.store_reply_scan(
        session, mission, unique_png(1000 + ord(letter)), folder=folder, actor=user
    )
    session.flush()
    # The stored scan, not the bytes sent: images are re-encoded before they are kept.
    found = reply_scans.scan_file(mission, folder)
    assert found is not None
    scan = found[0].read_bytes()
    stored_photo = (folder / session.get(Photo, photo.id).storage_path).read_bytes()  # type: ignore[union-attr]
    secrets = [marker, reply_marker, user.name, user.email, mission.site.name]
    return Fieldworker(
        user=user,
        mission_id=mission.id,
        report_id=report.id,
        photo_id=photo.id,
        secrets=[s.encode() for s in secrets] + [stored_photo, scan],
    )


def _hand_over(
    session: Session, mission: Mission, first: User, other: Fieldworker, folder: Path
) -> None:
    """The other investigator starts ``mission`` (a draft, a photo), then it goes to ``first``."""
    mission_lifecycle.assign(session, mission, other.user, actor=None)
    marker = "HANDOVER-SECRET-31337"
    payload = reports.ReportPayload(client_id=client_id(3), answers={"l_adresse": marker})
    reports.save_draft(session, mission, payload, actor=other.user)
    photo, _created = store_photo(
        session, mission, unique_png(99), folder=folder, actor=other.user, filename="h.png"
    )
    session.flush()
    mission_lifecycle.assign(session, mission, first, actor=None)
    other.secrets += [marker.encode(), (folder / photo.storage_path).read_bytes()]


def build(factory: Factory, session: Session, folder: Path) -> World:
    """The world, committed (the test clients see only committed rows)."""
    campaign = factory.campaign(2026)
    factory.site(campaign, name="Mairie de Plouzane", code="OWN01")
    factory.site(campaign, name="Sous-prefecture de Kerbriand", code="OTHER02")
    factory.site(campaign, name="Tresorerie de Lanvallay", code="HANDED03")
    wave = factory.wave(
        campaign, start=date(2026, 3, 2), end=date(2026, 4, 24), plan={"default": {"letter": 1}}
    )
    missions = list(
        session.scalars(select(Mission).where(Mission.wave_id == wave.id).order_by(Mission.id))
    )
    own_user = factory.investigator(email="anatole.fenwick@example.fr", name="Anatole Fenwick")
    other_user = factory.investigator(email="blanche.kervadec@example.fr", name="Blanche Kervadec")
    spare = factory.investigator(email="cyprien.spare@example.fr", name="Cyprien Spare")
    by_site = {m.site.code: m for m in missions}
    own = _fieldwork(session, by_site["OWN01"], own_user, "A", folder)
    other = _fieldwork(session, by_site["OTHER02"], other_user, "B", folder)
    _hand_over(session, by_site["HANDED03"], own_user, other, folder)
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
    message = outbox.enqueue(
        session,
        key="access:in-doubt",
        kind="reminder",
        recipient="a@example.fr",
        subject="Rappel",
        body="Votre mission commence demain.",
    )
    assert message is not None
    message.status = OutboxStatus.IN_DOUBT  # what the coordinator's two actions act on
    questionnaire = session.get(Questionnaire, by_site["OWN01"].questionnaire_id)
    assert questionnaire is not None
    shared = {
        "campaign_id": campaign.id,
        "wave_id": wave.id,
        "site_id": by_site["OWN01"].site.id,
        "user_id": spare.id,
        "questionnaire_id": questionnaire.id,
        "referentiel_id": questionnaire.referentiel_id,
        "scenario_id": scenario.id,
        "comment_id": comment.id,
        "message_id": message.id,
    }
    assert set(shared) == SHARED
    world = World(
        admin=factory.user(Role.ADMIN, name="Adele Admin"),
        coordinator=coordinator,
        analyst=factory.user(Role.ANALYST, name="Anais Analyst"),
        own=own,
        other=other,
        spare=spare,
        shared=shared,
        handed_mission_id=by_site["HANDED03"].id,
    )
    session.commit()
    return world
