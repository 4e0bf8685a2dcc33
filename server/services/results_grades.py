"""From approved reports to grades: each test's, and each sampled site's (DESIGN.md §3.12).

Only approved reports count, one per mission (a test): its latest approved report, should a
reassigned mission have more than one. A test's engagement grades are the ones
``survey_schemas.score_test`` stored at submission (recomputed with the report's own
questionnaire version only when missing); a test's grade is the mean of its engagement grades
with data. A site's engagement grades and grade are ``survey_schemas.site_grades`` (mean over
its tests with data; then the mean of its engagement grades with data, weighted by the
référentiel's engagement weights, equal unless it sets them); a site's channel grade is the
mean of the grades of its tests on that channel.

The sample is the campaign's draw that its waves test (locked when the first wave opened), or
its current draw before any wave. A sampled site without a grade (no approved test with data)
is a non-response, left out of the estimates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

import survey_schemas
from exports.barometer_data import SiteResult, TestRow
from server.models import (
    CHANNEL_LABELS,
    Campaign,
    Draw,
    Mission,
    Questionnaire,
    Report,
    ReportStatus,
    SampledSite,
    Site,
    Wave,
)
from server.services import sample_draws
from server.services.definitions import questionnaire_model, referentiel_model

#: Grades equal to this many decimals share a rank (a mean of means is exact only so far).
RANK_DECIMALS = 9


@dataclass(frozen=True)
class CampaignGrades:
    """A campaign's sample and grades, before any estimate: what the figures are made of."""

    campaign: Campaign
    referentiel: survey_schemas.Referentiel
    draw: Draw | None
    #: Stratum → N_h, the stratum's size in the frame the draw was made from.
    population: dict[str, int]
    #: Every sampled site, best grade first (non-responses last, by code).
    sites: list[SiteResult]
    #: Every approved test, by site code, channel and report.
    tests: list[TestRow]
    #: Channels the campaign's waves test, in the usual order (visit, phone, …).
    channels: list[str] = field(default_factory=list)

    @property
    def responding(self) -> list[SiteResult]:
        """The sites the estimates rest on: those with a grade."""
        return [site for site in self.sites if site.grade is not None]


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None; None when there are none."""
    known = [value for value in values if value is not None]
    return sum(known) / len(known) if known else None


def campaign_draw(session: Session, campaign: Campaign) -> Draw | None:
    """The draw the campaign's waves test, else its current draw (None before any)."""
    draw_id = session.scalar(
        select(Wave.draw_id)
        .where(Wave.campaign_id == campaign.id)
        .order_by(Wave.id.desc())
        .limit(1)
    )
    if draw_id is not None:
        return session.get(Draw, draw_id)
    return sample_draws.current_draw(session, campaign)


def draw_population(draw: Draw) -> dict[str, int]:
    """N_h of each stratum, as recorded in the draw's allocation table."""
    return {str(row["stratum"]): int(row["population"]) for row in draw.allocation_table}


def _approved_reports(session: Session, campaign: Campaign) -> list[Row[Any]]:
    """The latest approved report of each mission of the campaign's waves, as plain rows.

    Only the columns a test row needs, in one query: loading whole ``Report`` objects (their
    flags, positions, fingerprints…) for the ~15,000 tests of a campaign cost seconds."""
    statement = (
        select(
            Report.id,
            Report.mission_id,
            Report.questionnaire_id,
            Report.answers,
            Report.scores,
            Report.started_at,
            Report.ended_at,
            Report.submitted_at,
            Mission.channel,
            Mission.questionnaire_id.label("mission_questionnaire_id"),
            Wave.name.label("wave_name"),
            Site.id.label("site_id"),
            Site.code.label("site_code"),
            Site.name.label("site_name"),
            Site.network,
            Site.region,
            Site.department,
        )
        .join(Mission, Report.mission_id == Mission.id)
        .join(Wave, Mission.wave_id == Wave.id)
        .join(SampledSite, Mission.sampled_site_id == SampledSite.id)
        .join(Site, SampledSite.site_id == Site.id)
        .where(Wave.campaign_id == campaign.id, Report.status == ReportStatus.APPROVED)
        .order_by(Report.id)
    )
    latest: dict[int, Row[Any]] = {}
    for row in session.execute(statement):
        latest[row.mission_id] = row
    return list(latest.values())


def engagement_scores(session: Session, report: Row[Any]) -> dict[str, float | None]:
    """The test's grade per engagement: stored at submission, recomputed only if missing
    (with the report's questionnaire version, else its mission's)."""
    if report.scores is not None:
        return {code: None if v is None else float(v) for code, v in report.scores.items()}
    questionnaire_id = report.questionnaire_id or report.mission_questionnaire_id
    row = session.get(Questionnaire, questionnaire_id) if questionnaire_id else None
    if row is None:
        return {}
    return survey_schemas.score_test(
        questionnaire_model(row), report.answers, department=report.department
    )


def _test_row(report: Row[Any], scores: dict[str, float | None]) -> TestRow:
    return TestRow(
        report_id=report.id,
        mission_id=report.mission_id,
        site_id=report.site_id,
        site_code=report.site_code,
        site_name=report.site_name,
        network=report.network,
        region=report.region,
        channel=report.channel,
        wave=report.wave_name,
        started_at=report.started_at,
        ended_at=report.ended_at,
        submitted_at=report.submitted_at,
        grade=mean(scores.values()),
        engagement_grades=scores,
        answers=dict(report.answers),
    )


def _ranks(grades: Mapping[int, float]) -> dict[int, int]:
    """Competition ranks (1 = best; ties share a rank, the next rank is skipped)."""
    rounded = {key: round(grade, RANK_DECIMALS) for key, grade in grades.items()}
    ordered = sorted(rounded.values(), reverse=True)
    first: dict[float, int] = {}
    for position, grade in enumerate(ordered, start=1):
        first.setdefault(grade, position)
    return {key: first[grade] for key, grade in rounded.items()}


def _site_result(
    sampled: SampledSite,
    tests: Sequence[TestRow],
    referentiel: survey_schemas.Referentiel,
) -> SiteResult:
    site = sampled.site
    weights = referentiel.weights
    # Only the référentiel's engagements make the site's grade (a test filled with another
    # version's questionnaire may grade one it no longer has).
    engagement_grades, grade = survey_schemas.site_grades(
        [{k: v for k, v in t.engagement_grades.items() if k in weights} for t in tests],
        weights=weights,
    )
    by_channel: dict[str, list[float | None]] = defaultdict(list)
    for test in tests:
        by_channel[test.channel].append(test.grade)
    return SiteResult(
        site_id=site.id,
        code=site.code,
        name=site.name,
        network=site.network,
        region=site.region,
        department=site.department,
        city=site.city,
        stratum=sampled.stratum,
        inclusion_probability=sampled.inclusion_probability,
        weight=sampled.weight,
        tests=len(tests),
        grade=grade,
        engagement_grades={
            engagement.code: engagement_grades.get(engagement.code)
            for engagement in referentiel.engagements
        },
        channel_grades={channel: mean(grades) for channel, grades in sorted(by_channel.items())},
        rank=None,
    )


def _channels(session: Session, campaign: Campaign, tests: Sequence[TestRow]) -> list[str]:
    planned = set(
        session.scalars(
            select(Mission.channel)
            .join(Wave, Mission.wave_id == Wave.id)
            .where(Wave.campaign_id == campaign.id)
            .distinct()
        )
    )
    planned.update(test.channel for test in tests)
    order = list(CHANNEL_LABELS)
    return sorted(planned, key=lambda c: (order.index(c) if c in order else len(order), c))


def campaign_grades(session: Session, campaign: Campaign) -> CampaignGrades:
    """Every sampled site's grades and every approved test of the campaign."""
    referentiel = referentiel_model(campaign.referentiel)
    draw = campaign_draw(session, campaign)
    sampled = sample_draws.sampled_sites(session, draw) if draw is not None else []
    in_sample = {row.site_id for row in sampled}
    tests_by_site: dict[int, list[TestRow]] = defaultdict(list)
    tests: list[TestRow] = []
    for report in _approved_reports(session, campaign):
        if report.site_id not in in_sample:
            continue  # a wave on another draw cannot exist: a used draw is locked
        row = _test_row(report, engagement_scores(session, report))
        tests.append(row)
        tests_by_site[row.site_id].append(row)
    results = [_site_result(s, tests_by_site[s.site_id], referentiel) for s in sampled]
    ranks = _ranks({s.site_id: s.grade for s in results if s.grade is not None})
    ranked = [replace(site, rank=ranks.get(site.site_id)) for site in results]
    ranked.sort(key=lambda s: (s.rank is None, s.rank or 0, s.code))
    tests.sort(key=lambda t: (t.site_code, t.channel, t.report_id))
    return CampaignGrades(
        campaign=campaign,
        referentiel=referentiel,
        draw=draw,
        population=draw_population(draw) if draw is not None else {},
        sites=ranked,
        tests=tests,
        channels=_channels(session, campaign, tests),
    )
