"""The seeded world the fuzz run works on: one of each object the API's paths name, built
through the real services, so that generated requests reach existing ids, not only 404s.

Ids are kept as ordered lists per path parameter: the fuzz picks among them by position,
so the same requests hit the same objects on SQLite and on PostgreSQL, whose sequences
are not reset when the suite empties the tables.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Questionnaire, Referentiel, Role, User
from server.services import accounts, mission_lifecycle, photos, review_comments, scenarios
from tests.factories import Factory
from tests.server.services.test_results import Fieldwork

#: An id no seeded object has: the 404 side of every path.
UNKNOWN_ID = 987_654


@dataclass
class World:
    """Accounts by role and the ids each path parameter can take."""

    accounts: dict[Role, User] = field(default_factory=dict)
    ids: dict[str, list[int]] = field(default_factory=dict)

    def token(self, session: Session, role: Role) -> str:
        clear, _ = accounts.issue_token(session, self.accounts[role], ttl=timedelta(hours=2))
        return clear


def _jpeg(seed: int) -> bytes:
    rng = random.Random(seed)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (48, 32), rng.randbytes(48 * 32 * 3)).save(buffer, "JPEG")
    return buffer.getvalue()


def build_world(factory: Factory, session: Session, uploads: Path) -> World:
    """Two campaigns (one drawn and in fieldwork), reports in each state, a photo, a scenario
    and a review comment; committed, so the app's requests see them."""
    fieldwork = Fieldwork(factory, session, seed=12)
    campaign = fieldwork.campaign(
        2026, [("Préfecture", "Bretagne", 4), ("CAF", "Normandie", 4)], size=6
    )
    wave = fieldwork.wave(campaign, {"visit": 1, "phone": 1, "email": 1})
    missions = fieldwork.missions(wave)
    approved = fieldwork.approve(fieldwork.submit(missions[0]))
    submitted = fieldwork.submit(missions[1])
    draft_mission = missions[2]
    mission_lifecycle.assign(session, draft_mission, fieldwork.investigator, actor=None)
    draft = factory.report(draft_mission, fieldwork.investigator)
    photo, _ = photos.store_photo(
        session, draft_mission, _jpeg(1), folder=uploads, actor=fieldwork.investigator
    )
    other = factory.campaign(2025, name="Baromètre 2025")
    factory.sites(other, 3)
    scenario = scenarios.create_scenario(
        session,
        network="Préfecture",
        channel="phone",
        title="Renouvellement de titre",
        text="Vous appelez pour renouveler un titre de séjour.",
        actor=fieldwork.reviewer,
    )
    comment = review_comments.add_comment(
        session, "Photo floue : reprenez-la.", actor=fieldwork.reviewer
    )
    admin = factory.user(Role.ADMIN)
    analyst = factory.user(Role.ANALYST)
    session.flush()
    world = World(
        accounts={
            Role.ADMIN: admin,
            Role.COORDINATOR: fieldwork.reviewer,
            Role.ANALYST: analyst,
            Role.INVESTIGATOR: fieldwork.investigator,
        },
        ids={
            "campaign_id": [campaign.id, other.id],
            "wave_id": [wave.id],
            "mission_id": [m.id for m in missions[:4]],
            "report_id": [approved.id, submitted.id, draft.id],
            "photo_id": [photo.id],
            "user_id": [fieldwork.investigator.id],
            "scenario_id": [scenario.id],
            "comment_id": [comment.id],
            "referentiel_id": list(
                session.scalars(select(Referentiel.id).order_by(Referentiel.id))
            ),
            "questionnaire_id": list(
                session.scalars(select(Questionnaire.id).order_by(Questionnaire.id))
            )[:3],
        },
    )
    session.commit()
    return world
