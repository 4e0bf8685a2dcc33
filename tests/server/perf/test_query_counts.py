"""The heaviest desk pages make as many SQL queries for a campaign of 4 sites as for one of 16
(no query per row): counted on the first request (figures and flags computed) and on the next
(read from the caches). Counts are deterministic where times are not (benchmarks/pages.py
prints those)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from server.extensions import db
from server.models import Campaign, Mission, Report, ReportStatus, SampledSite, Wave
from server.services import results_cache, review_flags_cache
from tests.factories import Factory
from tests.server.services.test_results import Fieldwork


@contextmanager
def _counting(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _campaign(fieldwork: Fieldwork, sites_per_stratum: int, seed: int) -> Campaign:
    """Two strata, each site visited and called; a third of the reports left for review."""
    frame = [("Préfecture", "Bretagne", sites_per_stratum), ("SIP", "Bretagne", sites_per_stratum)]
    campaign = fieldwork.campaign(2026, frame, seed=seed)
    wave = fieldwork.wave(campaign, {"visit": 1, "phone": 1})
    fieldwork.play(
        wave,
        lambda mission: "submit" if mission.id % 3 == 0 else "approve",
        lambda mission: 0.3 + 0.1 * (mission.id % 6),
    )
    return campaign


def _paths(session: Session, campaign: Campaign) -> dict[str, str]:
    wave_id = session.scalar(select(Wave.id).where(Wave.campaign_id == campaign.id))
    site_id = session.scalar(
        select(SampledSite.site_id)
        .join(Mission, Mission.sampled_site_id == SampledSite.id)
        .where(Mission.wave_id == wave_id)
        .order_by(SampledSite.site_id)
    )
    report_id = session.scalar(
        select(Report.id)
        .join(Mission, Mission.id == Report.mission_id)
        .where(Mission.wave_id == wave_id, Report.status == ReportStatus.SUBMITTED)
        .order_by(Report.id)
    )
    c = campaign.id
    return {
        "wave dashboard": f"/coordination/vagues/{wave_id}",
        "missions": f"/coordination/vagues/{wave_id}/missions",
        "results": f"/analyse/campagnes/{c}/resultats",
        "ranking": f"/analyse/campagnes/{c}/classement",
        "scorecard": f"/analyse/campagnes/{c}/sites/{site_id}",
        "review queue": f"/coordination/vagues/{wave_id}/revue",
        "report review": f"/coordination/rapports/{report_id}",
        "api results": f"/api/v1/campaigns/{c}/results",
    }


def _counts(
    app: Flask, session: Session, browser: FlaskClient, paths: dict[str, str]
) -> dict[str, tuple[int, int]]:
    """Page → (queries of the first request, queries of the second)."""
    found = {}
    for page, path in paths.items():
        results_cache.app_cache(app).clear()
        review_flags_cache.cache().clear()
        counts = []
        for _ in range(2):
            # The test's app context keeps one session across requests: empty it, so each
            # request loads what it needs as in production (a session per request).
            session.expunge_all()
            with _counting(app) as statements:
                response = browser.get(path)
            assert response.status_code == 200, (page, response.status_code)
            counts.append(len(statements))
        found[page] = (counts[0], counts[1])
    return found


@pytest.mark.usefixtures("shipped_referentiels")
def test_heavy_pages_make_as_many_queries_for_4_sites_as_for_16(
    app: Flask, factory: Factory, session: Session, login_as: Any
) -> None:
    fieldwork = Fieldwork(factory, session, seed=11)
    small = _campaign(fieldwork, 2, seed=3)
    large = _campaign(fieldwork, 8, seed=4)
    session.commit()
    browser, _user = login_as()
    small_paths, large_paths = _paths(session, small), _paths(session, large)
    few = _counts(app, session, browser, small_paths)
    many = _counts(app, session, browser, large_paths)
    assert many == few
    # The caches answer the second request of the figures' pages with a handful of queries.
    for page in ("results", "ranking", "scorecard", "api results"):
        assert few[page][1] < few[page][0]
