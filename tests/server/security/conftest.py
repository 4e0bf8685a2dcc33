"""A small campaign with one of everything a page route may name in its URL."""

from __future__ import annotations

from typing import Any

import pytest

from server.extensions import db
from server.models import OutboxMessage, Questionnaire, ReportStatus, Role
from server.services import outbox, review_comments, scenarios


@pytest.fixture
def url_values(factory: Any) -> dict[str, int]:
    """The id to put in each URL variable of the page routes (committed: the test client's
    requests use their own sessions)."""
    mission, investigator = factory.assigned_mission("email")
    report = factory.report(mission, investigator, status=ReportStatus.SUBMITTED)
    admin = factory.user(Role.ADMIN)
    scenario = scenarios.create_scenario(
        db.session,
        network=mission.site.network,
        channel="email",
        title="Renouveler une carte d’identité",
        text="Demander les pièces à fournir.",
        actor=admin,
    )
    comment = review_comments.add_comment(db.session, "Photo floue : reprenez-la.", actor=admin)
    questionnaire = db.session.scalars(db.select(Questionnaire)).first()
    values = {
        "campaign_id": mission.wave.campaign_id,
        "wave_id": mission.wave_id,
        "mission_id": mission.id,
        "report_id": report.id,
        "user_id": investigator.id,
        "site_id": mission.site.id,
        "scenario_id": scenario.id,
        "comment_id": comment.id,
        "questionnaire_id": questionnaire.id,
        "referentiel_id": questionnaire.referentiel_id,
        "photo_id": 1,  # none stored: its route answers 404, which the checks allow
        "message_id": _message_id(
            outbox.enqueue(
                db.session,
                key="csrf:in-doubt",
                kind="reminder",
                recipient="a@example.fr",
                subject="Rappel",
                body="Votre mission commence demain.",
            )
        ),
    }
    db.session.commit()
    return values


def _message_id(message: OutboxMessage | None) -> int:
    assert message is not None
    return message.id
