"""The soak's data, built through the same services (and test factory) a user goes through:
a campaign whose sampled sites each get one visit mission in an open wave, shared between
investigators who each hold an API token, as phones do after signing in."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from flask import Flask
from sqlalchemy import select, text

from server.app import create_app
from server.extensions import db
from server.models import Mission
from server.models.types import utcnow
from server.services import accounts, mission_lifecycle, outbox
from survey_schemas import shipped_questionnaire
from tests.factories import Factory

#: A token outlives any soak run.
TOKEN_TTL = timedelta(hours=6)


@dataclass(frozen=True)
class PlannedReport:
    """One report a phone will send: its mission, its token and its idempotency key."""

    mission_id: int
    token: str
    client_id: str


def make_app(database_url: str) -> Flask:
    """The app the soak seeds and checks with (the cheap test password hash: tokens are
    issued directly, nobody signs in with these passwords)."""
    return create_app({"ENV_PROFILE": "testing", "SQLALCHEMY_DATABASE_URI": database_url})


@contextmanager
def app_context(database_url: str) -> Iterator[Flask]:
    app = make_app(database_url)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def reset_database(database_url: str) -> None:
    """An empty, migrated PostgreSQL database (what ``barometre db upgrade`` builds)."""
    from flask_migrate import upgrade

    if not database_url.startswith("postgresql"):
        raise SystemExit("Le soak demande PostgreSQL (SOAK_DATABASE_URL=postgresql+psycopg://…).")
    with app_context(database_url):
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        upgrade()


@cache
def valid_answers() -> dict[str, Any]:
    """A complete valid answer set to the shipped visit questionnaire, from the generator of
    the scoring property tests (the simplest example, the same on every run)."""
    from hypothesis import HealthCheck, find, settings

    from tests.survey_schemas.test_scoring_properties import reports

    return find(
        reports(shipped_questionnaire("marianne-visit", 1)),
        lambda _answers: True,
        settings=settings(database=None, derandomize=True, suppress_health_check=list(HealthCheck)),
    )


def seed_reports(
    database_url: str, *, reports: int, clients: int, seed: int
) -> list[list[PlannedReport]]:
    """``reports`` assigned visit missions shared round-robin between ``clients``
    investigators; per investigator, the reports its phone will send."""
    rng = random.Random(seed)
    with app_context(database_url):
        session = db.session
        factory = Factory(session)
        campaign = factory.campaign(2026, name="Soak")
        factory.sites(campaign, reports)
        today = utcnow().date()
        wave = factory.wave(
            campaign,
            start=today - timedelta(days=7),
            end=today + timedelta(days=60),
            plan={"default": {"visit": 1}},
            name="Vague soak",
        )
        missions = session.scalars(
            select(Mission).where(Mission.wave_id == wave.id).order_by(Mission.id)
        ).all()
        people = [factory.investigator() for _ in range(clients)]
        tokens = [accounts.issue_token(session, p, ttl=TOKEN_TTL)[0] for p in people]
        plans: list[list[PlannedReport]] = [[] for _ in people]
        for number, mission in enumerate(missions):
            owner = number % clients
            mission_lifecycle.assign(session, mission, people[owner], actor=None)
            client_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            plans[owner].append(PlannedReport(mission.id, tokens[owner], client_id))
        session.commit()
    return plans


def seed_outbox(database_url: str, *, messages: int) -> list[str]:
    """``messages`` messages due now, queued by ``outbox.enqueue``; their keys."""
    keys = [f"soak:message:{n}" for n in range(messages)]
    with app_context(database_url):
        for n, key in enumerate(keys):
            outbox.enqueue(
                db.session,
                key=key,
                kind="soak",
                recipient=f"enqueteur-{n % 50}@example.fr",
                subject=f"Message de soak n° {n}",
                body="Bonjour,\n\nCeci est un message de l’essai d’endurance.\n",
            )
        db.session.commit()
    return keys
