"""The plain data a barometer is made of: what ``server.services.results`` computes from the
approved reports and what every output reads (the results API and pages, the workbook, the
open data), so that they cannot disagree (DESIGN.md §3.5, §3.9, §3.12).

Pure data: no database, no web framework. Grades are on /10; ``None`` means "no data".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Figure:
    """One design-based estimate (a mean grade, or a share when ``kind`` is "share")."""

    key: str
    label: str
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    #: Responding sites the figure rests on, and the t interval's degrees of freedom.
    n: int
    df: int
    #: ``sampling.estimation`` flags ("small_sample", "boundary_proportion",
    #: "no_degrees_of_freedom") and "lonely_stratum" (a stratum left with one site).
    flags: tuple[str, ...] = ()
    kind: str = "mean"


@dataclass(frozen=True)
class Change:
    """The national grade's change on the previous campaign, with its interval."""

    previous_campaign_id: int
    previous_year: int
    previous_estimate: float | None
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    df: int
    #: Sites sampled and responding in both years; their covariance is used when estimated.
    shared_sites: int
    covariance_used: bool
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SiteResult:
    site_id: int
    code: str
    name: str
    network: str
    region: str
    department: str | None
    city: str | None
    stratum: str
    inclusion_probability: float
    weight: float
    #: Approved tests of the site (0: a non-response, left out of the estimates).
    tests: int
    grade: float | None
    engagement_grades: dict[str, float | None]
    channel_grades: dict[str, float | None]
    #: 1 = best grade of the campaign; None without a grade. Ties share a rank.
    rank: int | None


@dataclass(frozen=True)
class TestRow:
    """One approved test, as the "Tests" sheet and the tests open data show it."""

    report_id: int
    mission_id: int
    site_id: int
    site_code: str
    site_name: str
    network: str
    region: str
    channel: str
    wave: str
    started_at: datetime | None
    ended_at: datetime | None
    submitted_at: datetime | None
    grade: float | None
    engagement_grades: dict[str, float | None]
    answers: dict[str, object]


@dataclass(frozen=True)
class YearFigure:
    """One campaign of the evolution across years."""

    campaign_id: int
    year: int
    national: Figure
    share_at_least_7: Figure


@dataclass(frozen=True)
class StratumRow:
    stratum: str
    population: int
    sampled: int
    responding: int


@dataclass(frozen=True)
class DrawRecord:
    """A draw of the campaign's sample, used or replaced: a reader sees it was not picked."""

    draw_id: int
    seed: int
    method: str
    allocation: str
    size: int
    author: str | None
    created_at: datetime
    used: bool


@dataclass(frozen=True)
class Methodology:
    design: str
    allocation: str
    weights: str
    scoring: str
    estimator: str
    intervals: str
    non_response: str
    change: str
    level: float
    minimum_sites: int
    strata: list[StratumRow] = field(default_factory=list)
    draws: list[DrawRecord] = field(default_factory=list)
    #: How a stratum left with one responding site out of more is handled.
    lonely_stratum: str = ""


@dataclass(frozen=True)
class BarometerData:
    campaign_id: int
    campaign_name: str
    year: int
    referentiel: str
    #: (code, label) of each engagement, in the référentiel's order.
    engagements: list[tuple[str, str]]
    national: Figure
    share_at_least_7: Figure
    #: Engagements whose national grade is at least 7, and at least 9 (excellence).
    engagements_at_least_7: int
    engagements_excellent: int
    by_engagement: list[Figure]
    by_network: list[Figure]
    by_region: list[Figure]
    by_channel: list[Figure]
    change: Change | None
    sites: list[SiteResult]
    tests: list[TestRow]
    evolution: list[YearFigure]
    methodology: Methodology
    generated_at: datetime
    #: Approved tests in all, sampled sites, and sites with at least one approved test.
    approved_tests: int = 0
    sampled_sites: int = 0
    responding_sites: int = 0
