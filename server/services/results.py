"""The one results pipeline: a campaign's approved reports → ``exports.BarometerData``.

The results API and pages, the workbook and the open data all read what
:func:`barometer_data` returns, so "the workbook equals /results" holds by construction
(DESIGN.md §3.9, §3.12).

Estimates are those of ``sampling.estimation`` on the responding sites (those with a grade),
in the strata of the design, with fpc = N_h and the sampled sites' weights as they are: R's
``svydesign(ids = ~1, strata = ~h, fpc = ~N, weights = ~w)`` on the respondents. A stratum left
with one responding site out of more is handled as R's ``survey.lonely.psu = "adjust"`` and
flagged "lonely_stratum". Figures by engagement, network, region and channel are domain
estimates (a site without a grade there is outside the domain). A figure without any site is
returned with estimate None, n 0 and the flag "no_data", never an error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exports.barometer_data import BarometerData, Change, Figure, SiteResult, YearFigure
from sampling import Estimate, estimate_mean, estimate_proportion
from server.models import CHANNEL_LABELS, Campaign, Draw, Referentiel
from server.models.types import utcnow
from server.services.results_change import (
    DesignUnit,
    SharedCovariance,
    change_estimate,
    shared_covariance,
)
from server.services.results_grades import CampaignGrades, campaign_grades
from server.services.results_methodology import change_text, methodology

NO_DATA = "no_data"

__all__ = [
    "NO_DATA",
    "CampaignGrades",
    "barometer_data",
    "campaign_grades",
    "figure_over_sites",
    "site_results",
]


@dataclass(frozen=True)
class _Design:
    """The responding sites as the estimator takes them: one item per site."""

    sites: list[SiteResult]
    population: dict[str, int]

    @property
    def strata(self) -> list[str]:
        return [site.stratum for site in self.sites]

    @property
    def weights(self) -> list[float]:
        return [site.weight for site in self.sites]


@dataclass(frozen=True)
class _Options:
    level: float
    minimum_sites: int


def _no_data(key: str, label: str, kind: str) -> Figure:
    return Figure(key, label, None, None, None, None, 0, 0, (NO_DATA,), kind)


def _estimate(
    design: _Design, values: Sequence[float | None], kind: str, options: _Options
) -> Estimate | None:
    """The estimate over the sites whose value is known (a domain if some are not)."""
    inside = [value is not None for value in values]
    if not any(inside):
        return None
    estimator = estimate_proportion if kind == "share" else estimate_mean
    return estimator(
        [0.0 if value is None else value for value in values],
        design.strata,
        design.population,
        weights=design.weights,
        domain=None if all(inside) else inside,
        level=options.level,
        minimum_n=options.minimum_sites,
        lonely_psu="adjust",
    )


def _figure(key: str, label: str, estimate: Estimate | None, kind: str = "mean") -> Figure:
    if estimate is None:
        return _no_data(key, label, kind)
    return Figure(
        key=key,
        label=label,
        estimate=estimate.estimate,
        se=estimate.se,
        ci_low=estimate.ci_low,
        ci_high=estimate.ci_high,
        n=estimate.n,
        df=estimate.df,
        flags=estimate.flags,
        kind=kind,
    )


def _domain_figures(
    design: _Design,
    keys: Sequence[tuple[str, str]],
    value: Callable[[SiteResult, str], float | None],
    options: _Options,
) -> list[Figure]:
    return [
        _figure(
            key, label, _estimate(design, [value(s, key) for s in design.sites], "mean", options)
        )
        for key, label in keys
    ]


def _share_label(grades: CampaignGrades) -> str:
    return f"Part des sites notés au moins {grades.referentiel.required_level:g}/10"


@dataclass(frozen=True)
class _Headline:
    """A campaign's national grade and share, as estimates (the change needs their se)."""

    design: _Design
    national: Estimate | None
    share: Estimate | None


def _headline(grades: CampaignGrades, options: _Options) -> _Headline:
    design = _Design(grades.responding, grades.population)
    grades_of_sites = [site.grade for site in design.sites]
    threshold = grades.referentiel.required_level
    shares = [None if g is None else float(g >= threshold) for g in grades_of_sites]
    return _Headline(
        design,
        _estimate(design, grades_of_sites, "mean", options),
        _estimate(design, shares, "share", options),
    )


def _year_figure(grades: CampaignGrades, headline: _Headline) -> YearFigure:
    return YearFigure(
        campaign_id=grades.campaign.id,
        year=grades.campaign.year,
        national=_figure("national", "Note nationale", headline.national),
        share_at_least_7=_figure(
            "share_at_least_7", _share_label(grades), headline.share, kind="share"
        ),
    )


def _earlier_campaigns(session: Session, campaign: Campaign) -> list[Campaign]:
    """Campaigns of earlier years measured against the same référentiel code, oldest first."""
    return list(
        session.scalars(
            select(Campaign)
            .join(Referentiel, Campaign.referentiel_id == Referentiel.id)
            .where(
                Referentiel.code == campaign.referentiel.code,
                Campaign.year < campaign.year,
                Campaign.id != campaign.id,
            )
            .order_by(Campaign.year, Campaign.id)
        )
    )


def _units(design: _Design) -> list[DesignUnit]:
    return [
        DesignUnit(site.code, site.stratum, site.grade, site.weight)
        for site in design.sites
        if site.grade is not None  # always: the design holds the responding sites
    ]


def _change(
    current: _Headline,
    previous: tuple[CampaignGrades, _Headline] | None,
    options: _Options,
) -> tuple[Change | None, str]:
    """The change on the previous campaign, and the methodology's sentence on it."""
    if previous is None or previous[1].national is None:
        return None, change_text(
            previous_year=None, shared_sites=0, strata_used=0, covariance_used=False
        )
    grades, before = previous
    assert before.national is not None
    covariance = shared_covariance(
        _units(current.design),
        current.design.population,
        _units(before.design),
        before.design.population,
    )
    used = covariance.strata_used > 0
    text = change_text(
        previous_year=grades.campaign.year,
        shared_sites=covariance.shared_sites,
        strata_used=covariance.strata_used,
        covariance_used=used,
    )
    return _change_figure(current, grades, before.national, covariance, used, options), text


def _change_figure(
    current: _Headline,
    grades: CampaignGrades,
    previous: Estimate,
    covariance: SharedCovariance,
    used: bool,
    options: _Options,
) -> Change:
    result = (
        None
        if current.national is None
        else change_estimate(
            current.national,
            previous,
            covariance.value if used else 0.0,
            level=options.level,
            minimum_n=options.minimum_sites,
        )
    )
    return Change(
        previous_campaign_id=grades.campaign.id,
        previous_year=grades.campaign.year,
        previous_estimate=previous.estimate,
        estimate=result.estimate if result else None,
        se=result.se if result else None,
        ci_low=result.ci_low if result else None,
        ci_high=result.ci_high if result else None,
        df=result.df if result else 0,
        shared_sites=covariance.shared_sites,
        covariance_used=used,
        flags=result.flags if result else (NO_DATA,),
    )


def _count_at_least(figures: Sequence[Figure], level: float) -> int:
    return sum(1 for f in figures if f.estimate is not None and f.estimate >= level)


def site_results(session: Session, campaign: Campaign) -> list[SiteResult]:
    """Every sampled site with its grades and rank, best first (no estimate computed)."""
    return campaign_grades(session, campaign).sites


def _by_key(
    sites: Sequence[SiteResult], attribute: Callable[[SiteResult], str]
) -> list[tuple[str, str]]:
    return [(key, key) for key in sorted({attribute(site) for site in sites})]


def barometer_data(
    session: Session,
    campaign: Campaign,
    *,
    level: float = 0.95,
    minimum_sites: int = 5,
    now: datetime | None = None,
) -> BarometerData:
    """Everything the barometer publishes for ``campaign`` (see the module)."""
    options = _Options(level, minimum_sites)
    grades = campaign_grades(session, campaign)
    headline = _headline(grades, options)
    design = headline.design
    referentiel = grades.referentiel
    engagements = [(e.code, e.label) for e in referentiel.engagements]
    by_engagement = _domain_figures(
        design, engagements, lambda s, k: s.engagement_grades.get(k), options
    )
    channels = [(c, CHANNEL_LABELS.get(c, c)) for c in grades.channels]
    earlier = [campaign_grades(session, other) for other in _earlier_campaigns(session, campaign)]
    history = [(g, _headline(g, options)) for g in earlier if g.tests]
    change, change_sentence = _change(headline, history[-1] if history else None, options)
    evolution = [_year_figure(g, h) for g, h in history]
    if grades.tests:
        evolution.append(_year_figure(grades, headline))
    current_year = _year_figure(grades, headline)
    return BarometerData(
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        year=campaign.year,
        referentiel=referentiel.code,
        engagements=engagements,
        national=current_year.national,
        share_at_least_7=current_year.share_at_least_7,
        engagements_at_least_7=_count_at_least(by_engagement, referentiel.required_level),
        engagements_excellent=_count_at_least(by_engagement, referentiel.excellence),
        by_engagement=by_engagement,
        by_network=_domain_figures(
            design,
            _by_key(grades.sites, lambda s: s.network),
            lambda s, k: s.grade if s.network == k else None,
            options,
        ),
        by_region=_domain_figures(
            design,
            _by_key(grades.sites, lambda s: s.region),
            lambda s, k: s.grade if s.region == k else None,
            options,
        ),
        by_channel=_domain_figures(design, channels, lambda s, k: s.channel_grades.get(k), options),
        change=change,
        sites=grades.sites,
        tests=grades.tests,
        evolution=evolution,
        methodology=methodology(
            grades,
            _campaign_draws(session, campaign),
            change=change_sentence,
            level=level,
            minimum_sites=minimum_sites,
        ),
        generated_at=now or utcnow(),
        approved_tests=len(grades.tests),
        sampled_sites=len(grades.sites),
        responding_sites=len(grades.responding),
    )


def figure_over_sites(
    data: BarometerData, key: str, label: str, value: Callable[[SiteResult], float | None]
) -> Figure:
    """A domain estimate on the barometer's own design (its responding sites, its strata's
    sizes, its level and minimum): the scorecard's network figures, computed exactly as the
    published ones are."""
    design = _Design(
        [site for site in data.sites if site.grade is not None],
        {row.stratum: row.population for row in data.methodology.strata},
    )
    options = _Options(data.methodology.level, data.methodology.minimum_sites)
    values = [value(site) for site in design.sites]
    return _figure(key, label, _estimate(design, values, "mean", options))


def _campaign_draws(session: Session, campaign: Campaign) -> list[Draw]:
    return list(session.scalars(select(Draw).where(Draw.campaign_id == campaign.id)))
