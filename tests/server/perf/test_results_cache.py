"""The barometer's figures are computed once per state of their data, and never served stale:
a review decision, a new draw or a re-weighting shows at the next read."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.models import Campaign, Mission, Report, ReportStatus, Role, SampledSite, Wave
from server.services import results_cache, review
from server.services.results import barometer_data
from server.services.results_cache import FiguresCache, barometer, results_fingerprint
from tests.factories import Factory
from tests.server.services.test_results import Fieldwork

FRAME = [("Préfecture", "Bretagne", 4), ("SIP", "Bretagne", 4)]


@pytest.fixture
def fieldwork(factory: Factory, session: Session) -> Fieldwork:
    return Fieldwork(factory, session, seed=7)


@pytest.fixture
def campaign(fieldwork: Fieldwork, session: Session) -> Campaign:
    """Eight sites visited; two reports left waiting for review, the others approved."""
    campaign = fieldwork.campaign(2026, FRAME, size=8, seed=5)
    wave = fieldwork.wave(campaign, {"visit": 1})
    waiting = {m.id for m in fieldwork.missions(wave)[:2]}
    fieldwork.play(
        wave,
        lambda mission: "submit" if mission.id in waiting else "approve",
        lambda mission: 0.3 + 0.1 * (mission.id % 6),
    )
    session.commit()
    return campaign


def _waiting(session: Session, campaign: Campaign) -> Report:
    report = session.scalars(
        select(Report)
        .join(Mission, Mission.id == Report.mission_id)
        .join(Wave, Wave.id == Mission.wave_id)
        .where(Wave.campaign_id == campaign.id, Report.status == ReportStatus.SUBMITTED)
        .order_by(Report.id)
    ).first()
    assert report is not None
    return report


def test_two_reads_without_change_compute_once(session: Session, campaign: Campaign) -> None:
    cache = FiguresCache(4)
    first = barometer(session, campaign, cache)
    second = barometer(session, campaign, cache)
    assert second is first
    assert cache.computed == 1


def test_a_review_decision_changes_the_figures_at_the_next_read(
    session: Session, campaign: Campaign, fieldwork: Fieldwork
) -> None:
    cache = FiguresCache(4)
    before = barometer(session, campaign, cache)
    review.review(
        session,
        _waiting(session, campaign),
        decision="approve",
        comment="",
        actor=fieldwork.reviewer,
    )
    session.commit()
    after = barometer(session, campaign, cache)
    assert cache.computed == 2
    assert after.approved_tests == before.approved_tests + 1
    fresh = barometer_data(session, campaign)
    assert (after.national, after.by_engagement, after.sites) == (
        fresh.national,
        fresh.by_engagement,
        fresh.sites,
    )


def test_a_reweighting_or_a_new_draw_changes_the_fingerprint(
    session: Session, campaign: Campaign, factory: Factory
) -> None:
    seen = results_fingerprint(session, campaign)
    sampled = session.scalars(select(SampledSite.id).order_by(SampledSite.id)).first()
    session.execute(
        update(SampledSite).where(SampledSite.id == sampled).values(weight=SampledSite.weight * 2)
    )
    assert results_fingerprint(session, campaign) != seen
    later = factory.campaign(2027)
    factory.sites(later, 6)
    factory.draw(later, size=4, seed=1)
    first = results_fingerprint(session, later)
    factory.draw(later, size=4, seed=2)  # replaces the unlocked draw
    assert results_fingerprint(session, later) != first


def test_a_full_cache_forgets_the_least_recently_read() -> None:
    cache: FiguresCache = FiguresCache(2)
    made: list[str] = []

    def compute(name: str) -> Any:
        return lambda: made.append(name) or name

    for key in ("a", "b", "a", "c", "a", "b"):
        cache.get(key, (1,), compute(key))
    assert made == ["a", "b", "c", "b"]
    assert len(cache) == 2


def test_the_api_and_the_dashboard_show_a_decision_at_once(
    app: Flask,
    session: Session,
    campaign: Campaign,
    fieldwork: Fieldwork,
    login_as: Any,
    token_for: Any,
) -> None:
    headers = token_for(Role.ANALYST)
    browser, _user = login_as(Role.ANALYST)
    path = f"/api/v1/campaigns/{campaign.id}/results"
    before = app.test_client().get(path, headers=headers).json
    assert app.test_client().get(path, headers=headers).json == before
    page = browser.get(f"/analyse/campagnes/{campaign.id}/resultats")
    assert page.status_code == 200
    computed = results_cache.app_cache(app).computed
    review.review(
        session,
        _waiting(session, campaign),
        decision="approve",
        comment="",
        actor=fieldwork.reviewer,
    )
    session.commit()
    after = app.test_client().get(path, headers=headers).json
    assert after["approved_tests"] == before["approved_tests"] + 1
    assert after["responding_sites"] >= before["responding_sites"]
    assert results_cache.app_cache(app).computed == computed + 1
