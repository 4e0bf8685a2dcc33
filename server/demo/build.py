"""Builds the demo: référentiels, accounts, two yearly campaigns, their frames and samples.

Everything goes through the same services a coordinator uses (the frame is written as a
ministry's Excel export and imported by the real importer; the samples are real draws), so the
demo doubles as an end-to-end check. Running it again updates in place and adds nothing twice.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.demo.barometer import ensure_barometer
from server.demo.frame import generate_demo_frame, write_frame_csv
from server.demo.people import DEMO_STAFF, generate_demo_investigators
from server.demo.reports import ensure_work_in_progress
from server.demo.scenarios import demo_scenarios
from server.models import Campaign, Role, Scenario, User, Wave
from server.services import (
    accounts,
    assignments,
    investigators,
    referentiels,
    sample_draws,
    scenarios,
    waves,
)
from server.services.campaigns import create_campaign
from server.services.frame_import import import_frame

#: Shared by every demo account; printed by ``barometre demo``. Never use it outside the demo.
DEMO_PASSWORD = "demo-barometre"
DEMO_YEAR = 2026
SAMPLE_SIZE = 600
#: Share of last year's sample the demo asks to keep (panel rotation).
OVERLAP = 0.5
#: Sites that only enter the frame in the current year (births), to make rotation realistic.
NEW_THIS_YEAR_EVERY = 13
#: The demo's wave: eight weeks of spring, the default plan (25 tests per site).
WAVE_NAME = "Vague de printemps"
WAVE_START = date(DEMO_YEAR, 3, 2)
WAVE_END = date(DEMO_YEAR, 4, 24)


@dataclass
class DemoReport:
    accounts: list[tuple[str, str]] = field(default_factory=list)
    campaigns: list[Campaign] = field(default_factory=list)
    wave: Wave | None = None
    #: The investigator a newcomer logs in as: missions to fill, drafts, one returned report.
    investigator: str | None = None


def _ensure_user(session: Session, email: str, name: str, role: Role) -> User:
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        return accounts.create_user(
            session, email=email, name=name, password=DEMO_PASSWORD, role=role, actor=None
        )
    return user


def _ensure_people(session: Session, seed: int, report: DemoReport) -> User:
    staff = {}
    for member in DEMO_STAFF:
        role = Role(member["role"])
        staff[role] = _ensure_user(session, member["email"], member["name"], role)
        report.accounts.append((member["email"], role.value))
    for person in generate_demo_investigators(seed):
        email = cast(str, person["email"])
        if session.scalar(select(User.id).where(User.email == email)) is None:
            investigators.create_investigator(
                session,
                password=DEMO_PASSWORD,
                actor=staff[Role.COORDINATOR],
                **cast(dict[str, Any], person),
            )
        report.accounts.append((email, Role.INVESTIGATOR.value))
    return staff[Role.COORDINATOR]


def _ensure_campaign(session: Session, year: int, coordinator: User) -> Campaign:
    campaign = session.scalar(select(Campaign).where(Campaign.year == year).order_by(Campaign.id))
    if campaign is None:
        campaign = create_campaign(
            session,
            name=f"Baromètre {year}",
            year=year,
            referentiel_code="marianne",
            actor=coordinator,
        )
    return campaign


def _import(
    session: Session, campaign: Campaign, rows: list[dict[str, str]], seed: int, coordinator: User
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"base-sondage-{campaign.year}.csv"
        write_frame_csv(rows, path, french_excel=True)
        import_frame(
            session,
            campaign,
            path.read_bytes(),
            path.name,
            actor=coordinator,
            max_bytes=50 * 1024 * 1024,
            prn_seed=seed,
        )


def _ensure_draw(
    session: Session, campaign: Campaign, request: sample_draws.DrawRequest, coordinator: User
) -> None:
    current = sample_draws.current_draw(session, campaign)
    if current is not None and (
        current.parameters == request.parameters() or current.locked_at is not None
    ):
        return  # already drawn, or locked by the demo's wave: kept as it is
    sample_draws.draw_sample(session, campaign, request, actor=coordinator, confirm=True)


def build_demo(
    session: Session,
    *,
    seed: int = DEMO_YEAR,
    progress: Callable[[str], None] = print,
    barometer: bool = False,
) -> DemoReport:
    """Create or refresh the demo data (flushed; the caller commits).

    ``barometer`` also plays a 2025 wave and most of 2026's (``server.demo.barometer``), so the
    results, their evolution and the workbook have data; ``barometre demo`` asks for it.
    """
    report = DemoReport()
    progress("Référentiels et questionnaires livrés…")
    referentiels.load_shipped(session, actor=None)
    progress("Comptes de démonstration…")
    coordinator = _ensure_people(session, seed, report)

    frame = generate_demo_frame(seed)
    last_year_frame = [row for i, row in enumerate(frame) if i % NEW_THIS_YEAR_EVERY != 5]
    previous = _ensure_campaign(session, DEMO_YEAR - 1, coordinator)
    current = _ensure_campaign(session, DEMO_YEAR, coordinator)
    report.campaigns = [current, previous]

    progress(f"Base de sondage {previous.year} ({len(last_year_frame)} sites)…")
    _import(session, previous, last_year_frame, seed, coordinator)
    progress(f"Base de sondage {current.year} ({len(frame)} sites)…")
    _import(session, current, frame, seed, coordinator)

    progress(f"Échantillon {previous.year}…")
    last_year = sample_draws.DrawRequest(size=SAMPLE_SIZE - 20, seed=previous.year)
    _ensure_draw(session, previous, last_year, coordinator)
    previous_draw = sample_draws.current_draw(session, previous)
    assert previous_draw is not None
    progress(f"Échantillon {current.year} (rotation : {OVERLAP:.0%} de recouvrement visé)…")
    this_year = sample_draws.DrawRequest(
        size=SAMPLE_SIZE, seed=current.year, overlap=OVERLAP, previous_draw=previous_draw.id
    )
    _ensure_draw(session, current, this_year, coordinator)
    draw = sample_draws.current_draw(session, current)
    kept_target = sample_draws.overlap_summary(draw) if draw else None
    if kept_target:
        progress(
            f"  {kept_target[0]} sites gardés de {previous.year} (visé : {kept_target[1]} ; avec "
            f"{SAMPLE_SIZE} sites tirés sur {len(frame)}, le recouvrement ne peut pas descendre "
            "beaucoup plus bas)"
        )
    progress("Bibliothèque de scénarios…")
    _ensure_scenarios(session, coordinator)
    progress(f"Vague de printemps {current.year} : missions et attribution…")
    wave = _ensure_wave(session, current, coordinator)
    report.wave = wave
    progress("Rapports en cours des enquêteurs (brouillons, envoyés, un renvoyé)…")
    work = ensure_work_in_progress(session, wave, coordinator, seed=seed)
    report.investigator = work.investigator
    progress(work.summary())
    if barometer:
        ensure_barometer(
            session, current, previous, wave, coordinator, seed=seed, progress=progress
        )
    return report


def _ensure_scenarios(session: Session, coordinator: User) -> None:
    known = set(session.execute(select(Scenario.network, Scenario.channel, Scenario.title)).all())
    for row in demo_scenarios():
        if (row["network"], row["channel"], row["title"]) not in known:
            scenarios.create_scenario(session, actor=coordinator, **row)


def _ensure_wave(session: Session, campaign: Campaign, coordinator: User) -> Wave:
    """The spring wave on the current sample, with the default plan, assigned once."""
    wave = session.scalar(
        select(Wave).where(Wave.campaign_id == campaign.id, Wave.name == WAVE_NAME)
    )
    if wave is None:
        wave = waves.open_wave(
            session,
            campaign,
            waves.WaveRequest(name=WAVE_NAME, start=WAVE_START, end=WAVE_END),
            actor=coordinator,
        )
        session.flush()
        assignments.assign_wave(session, wave, actor=coordinator)
    return wave
