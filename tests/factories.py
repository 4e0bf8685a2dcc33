"""One small factory for the server tests: campaigns, sites, draws, waves, missions,
investigators and reports, each built through the same services a user goes through.

Use the ``factory`` fixture (``tests/conftest.py``): ``factory.campaign()``,
``factory.wave(campaign)``… Every method flushes; the test commits when it needs to (a live
server or a second client sees only committed rows).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    Campaign,
    Draw,
    Mission,
    Referentiel,
    Report,
    ReportStatus,
    Role,
    Site,
    User,
    Wave,
)
from server.models.types import utcnow
from server.services import accounts, investigators, referentiels, sample_draws
from server.services.campaigns import create_campaign

PASSWORD = "mot-de-passe-solide"

#: Opening hours of a typical office: weekdays, morning and afternoon.
OFFICE_HOURS = {str(day): [["08:30", "12:00"], ["13:30", "16:30"]] for day in range(5)}


class Factory:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._numbers = itertools.count(1)

    def _next(self) -> int:
        return next(self._numbers)

    def referentiel(self, code: str = "marianne") -> Referentiel:
        """The stored référentiel ``code`` (the shipped ones are stored on first use)."""
        found = self.session.scalar(
            select(Referentiel).where(Referentiel.code == code).order_by(Referentiel.version)
        )
        if found is None:
            referentiels.load_shipped(self.session, actor=None)
            self.session.flush()
            found = self.session.scalar(select(Referentiel).where(Referentiel.code == code))
        assert found is not None, f"no shipped référentiel {code}"
        return found

    def user(self, role: Role | str = Role.COORDINATOR, **overrides: Any) -> User:
        role = Role(role)
        n = self._next()
        return accounts.create_user(
            self.session,
            email=overrides.pop("email", f"{role.value}-{n}@example.fr"),
            name=overrides.pop("name", f"{role.value.capitalize()} {n}"),
            password=overrides.pop("password", PASSWORD),
            role=role,
            actor=None,
        )

    def campaign(self, year: int = 2026, **overrides: Any) -> Campaign:
        self.referentiel(overrides.get("referentiel_code", "marianne"))
        return create_campaign(
            self.session,
            name=overrides.pop("name", f"Baromètre {year}"),
            year=year,
            referentiel_code=overrides.pop("referentiel_code", "marianne"),
            actor=overrides.pop("actor", None),
        )

    def site(self, campaign: Campaign, **overrides: Any) -> Site:
        n = self._next()
        values: dict[str, Any] = {
            "code": f"S{n:04d}",
            "name": f"Site {n}",
            "network": "Préfecture",
            "region": "Bretagne",
            "department": "35",
            "city": "Rennes",
            "postcode": "35000",
            "address": f"{n} rue de la République",
            "latitude": 48.11,
            "longitude": -1.68,
            "email": f"accueil{n}@example.gouv.fr",
            "phone": "02 99 00 00 00",
            "opening_hours": OFFICE_HOURS,
            "permanent_random_number": (n * 0.618034) % 1.0,
        }
        values.update(overrides)
        site = Site(campaign=campaign, **values)
        self.session.add(site)
        self.session.flush()
        return site

    def sites(self, campaign: Campaign, count: int, **overrides: Any) -> list[Site]:
        return [self.site(campaign, **overrides) for _ in range(count)]

    def draw(
        self,
        campaign: Campaign,
        *,
        size: int | None = None,
        strata: Sequence[str] = (),
        seed: int = 1,
        minimum: int = 0,
    ) -> Draw:
        """A real draw of ``size`` sites (all of the frame by default)."""
        if size is None:
            size = len(campaign.sites)
        request = sample_draws.DrawRequest(
            size=size, strata=tuple(strata), minimum=minimum, seed=seed
        )
        return sample_draws.draw_sample(self.session, campaign, request, actor=None, confirm=True)

    def investigator(self, **overrides: Any) -> User:
        n = self._next()
        values: dict[str, Any] = {
            "email": f"enqueteur-{n}@example.fr",
            "name": f"Enquêteur {n}",
            "password": PASSWORD,
            "home_commune": "Vitré",
            "home_latitude": 48.12,
            "home_longitude": -1.21,
            "capacity": 100,
            "visit_capacity": 20,
            "channels": ["visit", "phone", "email", "letter", "website"],
        }
        values.update(overrides)
        return investigators.create_investigator(self.session, actor=None, **values)

    def wave(
        self,
        campaign: Campaign,
        *,
        start: date = date(2026, 3, 2),
        end: date = date(2026, 4, 24),
        plan: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> Wave:
        """A wave opened on the campaign's current draw (drawn whole if there is none)."""
        from server.services import waves

        if sample_draws.current_draw(self.session, campaign) is None:
            self.draw(campaign)
        return waves.open_wave(
            self.session,
            campaign,
            waves.WaveRequest(
                name=overrides.pop("name", f"Vague {self._next()}"),
                start=start,
                end=end,
                plan=plan if plan is not None else {"default": {"visit": 1}},
                **overrides,
            ),
            actor=None,
        )

    def mission(self, wave: Wave | None = None, **overrides: Any) -> Mission:
        """A mission of a wave (a new one-site campaign and wave when none is given)."""
        if wave is None:
            campaign = self.campaign()
            self.site(campaign)
            channel = overrides.get("channel", "visit")
            wave = self.wave(campaign, plan={"default": {channel: 1}})
        mission = self.session.scalars(
            select(Mission).where(Mission.wave_id == wave.id).order_by(Mission.id)
        ).first()
        assert mission is not None, "the wave has no mission"
        for key, value in overrides.items():
            setattr(mission, key, value)
        self.session.flush()
        return mission

    def assigned_mission(self, channel: str = "visit", **site: Any) -> tuple[Mission, User]:
        """One mission of a new one-site campaign and wave, assigned to a new investigator."""
        from server.services import mission_lifecycle

        campaign = self.campaign()
        self.site(campaign, **site)
        mission = self.mission(self.wave(campaign, plan={channel: 1}))
        investigator = self.investigator()
        mission_lifecycle.assign(self.session, mission, investigator, actor=None)
        self.session.flush()
        return mission, investigator

    def report(self, mission: Mission, investigator: User, **overrides: Any) -> Report:
        now = utcnow()
        values: dict[str, Any] = {
            "client_id": str(uuid.uuid4()),
            "answers": {},
            "status": ReportStatus.DRAFT,
            "started_at": now - timedelta(minutes=20),
            "ended_at": now,
        }
        values.update(overrides)
        report = Report(mission=mission, investigator_id=investigator.id, **values)
        self.session.add(report)
        self.session.flush()
        return report


def aware(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    from datetime import UTC

    return datetime(year, month, day, hour, minute, tzinfo=UTC)
