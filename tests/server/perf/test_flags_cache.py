"""The review flags read what they need of the campaign once, and are never stale: after a
decision the kept context is brought up to date and gives the flags a fresh reading gives."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Mission, Report, ReportStatus, Wave
from server.services import review, review_flags_cache
from server.services.review_flags import FlagSettings
from server.services.review_queue import wave_flags
from tests.factories import Factory
from tests.server.services.test_results import Fieldwork

FRAME = [("Préfecture", "Bretagne", 3), ("SIP", "Bretagne", 3)]


@pytest.fixture
def wave(factory: Factory, session: Session) -> tuple[Wave, Fieldwork]:
    fieldwork = Fieldwork(factory, session, seed=13)
    campaign = fieldwork.campaign(2026, FRAME, size=6, seed=2)
    wave = fieldwork.wave(campaign, {"visit": 1, "phone": 1})
    fieldwork.play(wave, lambda _mission: "submit", lambda mission: 0.2 + 0.1 * (mission.id % 7))
    session.commit()
    review_flags_cache.cache().clear()
    return wave, fieldwork


def _fresh(session: Session, wave: Wave) -> dict[int, list[str]]:
    """The flags read without the cache (explicit settings are never kept)."""
    flags = wave_flags(session, wave, settings=FlagSettings())
    return {key: [flag.message for flag in value] for key, value in flags.items()}


def _cached(session: Session, wave: Wave) -> dict[int, list[str]]:
    flags = wave_flags(session, wave)
    return {key: [flag.message for flag in value] for key, value in flags.items()}


def test_two_readings_without_change_read_the_campaign_once(
    session: Session, wave: tuple[Wave, Fieldwork]
) -> None:
    queue_wave, _fieldwork = wave
    first = _cached(session, queue_wave)
    assert _cached(session, queue_wave) == first == _fresh(session, queue_wave)
    assert review_flags_cache.cache().computed == 1


def test_a_decision_is_read_at_once(session: Session, wave: tuple[Wave, Fieldwork]) -> None:
    queue_wave, fieldwork = wave
    _cached(session, queue_wave)
    reports = session.scalars(
        select(Report)
        .join(Mission, Mission.id == Report.mission_id)
        .where(Mission.wave_id == queue_wave.id, Report.status == ReportStatus.SUBMITTED)
        .order_by(Report.id)
    ).all()
    for report in reports[:3]:
        review.review(session, report, decision="reject", comment="Non.", actor=fieldwork.reviewer)
    session.commit()
    context = review_flags_cache.campaign_context(session, queue_wave.campaign_id)
    assert {context.facts[r.id].status for r in reports[:3]} == {"rejected"}
    assert _cached(session, queue_wave) == _fresh(session, queue_wave)
    read = review_flags_cache.cache().computed  # each decision read them up to date
    _cached(session, queue_wave)
    assert review_flags_cache.cache().computed == read
