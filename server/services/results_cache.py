"""The barometer's figures, computed once per state of the data they rest on.

:func:`server.services.results.barometer_data` reads every approved test of a campaign and of
its earlier years (~20,000 reports in the demo) and takes seconds; the results dashboard, the
ranking, each scorecard and ``GET /results`` all need it. :func:`barometer` keeps the last
figures of each campaign with a **fingerprint** of everything they depend on, read in one
aggregate query (a few milliseconds): counts, latest ids and latest update times of the
reports, missions, waves, draws, sampled sites (and the sum of their weights), sites
and questionnaires of the campaign and of the earlier campaigns on the same référentiel, and
those campaigns' own rows with their référentiel's fingerprint. A review decision changes a
report's ``updated_at`` (and its status), a new draw adds a draw and sampled sites, a
re-weighting changes the sum of the weights: the next read sees a new fingerprint and
recomputes, so no figure is ever served stale.

The cache (``server.services.fingerprint_cache``) is process-local, one per application in
``app.extensions``, and bounded: with several gunicorn workers each holds its own, and the
fingerprint, read from the shared database, makes them agree.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import Select, case, func, or_, select, true
from sqlalchemy.orm import Session

from exports.barometer_data import BarometerData
from server.models import (
    Campaign,
    Draw,
    Mission,
    Questionnaire,
    Referentiel,
    Report,
    ReportStatus,
    SampledSite,
    Site,
    Wave,
)
from server.services.fingerprint_cache import Fingerprint, FingerprintCache
from server.services.results import barometer_data

#: Campaigns (× settings) whose figures a worker keeps; each demo entry weighs some MB.
DEFAULT_SIZE = 8
EXTENSION = "results_cache"


class FiguresCache(FingerprintCache[BarometerData]):
    """The barometer's figures by (campaign, level, minimum sites)."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        super().__init__(size)


def app_cache(app: Flask) -> FiguresCache:
    """The application's cache, made on first use (size: ``RESULTS_CACHE_SIZE``)."""
    cache = app.extensions.get(EXTENSION)
    if cache is None:
        cache = app.extensions.setdefault(
            EXTENSION, FiguresCache(int(app.config.get("RESULTS_CACHE_SIZE", DEFAULT_SIZE)))
        )
    assert isinstance(cache, FiguresCache)
    return cache


def _family(session: Session, campaign: Campaign) -> list[tuple[Any, ...]]:
    """The campaign and the earlier ones its change and evolution read, with what of their
    own rows the figures show (name, year, référentiel version and content)."""
    rows = session.execute(
        select(
            Campaign.id,
            Campaign.year,
            Campaign.name,
            Campaign.referentiel_id,
            Referentiel.fingerprint,
        )
        .join(Referentiel, Campaign.referentiel_id == Referentiel.id)
        .where(
            Referentiel.code == campaign.referentiel.code,
            or_(Campaign.year < campaign.year, Campaign.id == campaign.id),
        )
        .order_by(Campaign.id)
    )
    return [tuple(row) for row in rows]


def _aggregates(ids: list[int]) -> Select[Any]:
    """One statement: count, latest id and latest change of each table the figures read,
    each table scanned once (one-row derived tables, joined on true).

    Reviews need no row of their own: a decision always changes its report's ``updated_at``."""
    waves = select(Wave.id).where(Wave.campaign_id.in_(ids))
    missions = select(Mission.id).where(Mission.wave_id.in_(waves))
    draws = select(Draw.id).where(Draw.campaign_id.in_(ids))
    parts: list[Select[Any]] = [
        select(
            func.count(Report.id),
            func.max(Report.id),
            func.max(Report.updated_at),
            # Counts by status too: two decisions committed out of their clock's order leave
            # the latest update time as it was, never these counts.
            *(func.count(case((Report.status == status, 1))) for status in ReportStatus),
        ).where(Report.mission_id.in_(missions)),
        select(func.count(Mission.id), func.max(Mission.id), func.max(Mission.updated_at)).where(
            Mission.wave_id.in_(waves)
        ),
        select(func.count(Wave.id), func.max(Wave.id), func.sum(Wave.draw_id)).where(
            Wave.campaign_id.in_(ids)
        ),
        select(
            func.count(Draw.id),
            func.max(Draw.id),
            func.max(Draw.locked_at),
            func.sum(case((Draw.is_current.is_(True), Draw.id), else_=0)),
        ).where(Draw.campaign_id.in_(ids)),
        select(
            func.count(SampledSite.id), func.max(SampledSite.id), func.sum(SampledSite.weight)
        ).where(SampledSite.draw_id.in_(draws)),
        select(func.count(Site.id), func.max(Site.id), func.max(Site.updated_at)).where(
            Site.campaign_id.in_(ids)
        ),
        select(
            func.count(Questionnaire.id),
            func.max(Questionnaire.id),
            func.max(Questionnaire.loaded_at),
        ),
    ]
    tables = [part.subquery(f"part_{n}") for n, part in enumerate(parts)]
    statement = select(*(column for table in tables for column in table.c))
    joined = tables[0]
    for table in tables[1:]:
        joined = joined.join(table, true())  # type: ignore[assignment]
    return statement.select_from(joined)


def results_fingerprint(session: Session, campaign: Campaign) -> Fingerprint:
    """What the campaign's figures depend on, cheaply (see the module): equal fingerprints,
    equal figures."""
    family = _family(session, campaign)
    ids = [row[0] for row in family]
    totals = session.execute(_aggregates(ids)).one()
    return (tuple(family), tuple(totals))


def barometer(
    session: Session,
    campaign: Campaign,
    cache: FiguresCache,
    *,
    level: float = 0.95,
    minimum_sites: int = 5,
) -> BarometerData:
    """:func:`~server.services.results.barometer_data`, computed only when its data changed
    since the cached figures (``generated_at`` says when they were computed)."""
    fingerprint = results_fingerprint(session, campaign)
    return cache.get(
        (campaign.id, level, minimum_sites),
        fingerprint,
        lambda: barometer_data(session, campaign, level=level, minimum_sites=minimum_sites),
    )
