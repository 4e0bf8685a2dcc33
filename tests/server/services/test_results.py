"""The results pipeline (DESIGN.md §3.12): approved reports → grades → design-based figures,
built through the real services (draw, wave, missions, submission, review) and checked by hand,
against ``sampling`` and live against R's survey package."""

from __future__ import annotations

import csv
import json
import random
import shutil
import subprocess
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import survey_schemas
from exports.barometer_data import BarometerData, Figure
from sampling import estimate_mean, estimate_proportion
from server.models import Campaign, Mission, Questionnaire, Report, Role, User, Wave
from server.models.types import utcnow
from server.services import mission_lifecycle, report_lifecycle, reports, sample_draws
from server.services.definitions import questionnaire_model
from server.services.results import barometer_data
from server.services.results_change import DesignUnit, shared_covariance
from tests.factories import Factory

FIGURES_R = Path(__file__).parents[2] / "sampling" / "r" / "figures.R"
TOLERANCE = 1e-9
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
#: Texts that satisfy the shipped questionnaires' patterns.
TEXTS = {"t_numero": "03 87 34 87 34"}


# --- fieldwork through the real services ---------------------------------------------------


def _answer(
    question: survey_schemas.Question, given: dict[str, Any], rng: random.Random, quality: float
) -> Any:
    """A valid answer; the best one with probability ``quality`` (a good site scores well)."""
    kind, limits, rule = question.type, question.constraints, question.scoring
    if kind in ("yes_no", "yes_no_na", "single_choice"):
        values = list(question.answer_values)
        if isinstance(rule, survey_schemas.PointsRule) and rng.random() < quality:
            scored = [v for v in values if rule.points.get(v) is not None]
            if scored:
                return max(scored, key=lambda v: rule.points[v] or 0.0)
        return rng.choice(values)
    if kind == "multiple_choice":
        plain = [c.value for c in question.choices if not c.exclusive]
        return rng.sample(plain, rng.randint(1, len(plain)))
    if kind in ("integer", "rings", "duration_minutes", "decimal"):
        low = int(limits.min) if limits.min is not None else 0
        high = int(limits.max) if limits.max is not None else 500
        return low if rng.random() < quality else rng.randint(low, min(high, low + 40))
    if kind == "date":
        return (utcnow().date() - timedelta(days=3)).isoformat()
    if kind == "time":
        return "10:40" if limits.not_before in given else "10:00"
    if kind == "photo":
        return ["photo-1"]
    if kind == "position":
        return {"latitude": 48.11, "longitude": -1.68}
    return TEXTS.get(question.id, "texte")


def generated_answers(
    questionnaire: survey_schemas.Questionnaire, rng: random.Random, quality: float
) -> dict[str, Any]:
    """Valid answers: visible questions in order, optional ones sometimes left out."""
    answers: dict[str, Any] = {}
    for question in questionnaire.questions:
        if question.visible_if is not None and not survey_schemas.evaluate(
            question.visible_if, answers
        ):
            continue
        if not question.required and rng.random() < 0.5:
            continue
        answers[question.id] = _answer(question, answers, rng, quality)
    return answers


@dataclass
class Fieldwork:
    """Campaigns played through the services: a draw, a wave, missions assigned, reports
    submitted by an investigator and reviewed by a coordinator."""

    factory: Factory
    session: Session
    seed: int = 7
    rng: random.Random = field(init=False)
    investigator: User = field(init=False)
    reviewer: User = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.investigator = self.factory.investigator()
        self.reviewer = self.factory.user(Role.COORDINATOR)

    def campaign(
        self,
        year: int,
        frame: Sequence[tuple[str, str, int]],
        *,
        size: int | None = None,
        seed: int = 1,
        codes: Sequence[str] | None = None,
    ) -> Campaign:
        """A campaign whose frame has ``count`` sites per (network, region), drawn."""
        campaign = self.factory.campaign(year)
        names = iter(codes) if codes is not None else None
        for network, region, count in frame:
            for _ in range(count):
                overrides: dict[str, Any] = {"network": network, "region": region}
                if names is not None:
                    code = next(names)
                    overrides.update(code=code, permanent_random_number=_prn(code))
                self.factory.site(campaign, **overrides)
        self.session.flush()
        self.factory.draw(campaign, size=size, strata=("network", "region"), minimum=2, seed=seed)
        return campaign

    def wave(self, campaign: Campaign, plan: dict[str, int]) -> Wave:
        return self.factory.wave(
            campaign,
            start=date(campaign.year, 3, 2),
            end=date(campaign.year, 4, 24),
            plan={"default": plan},
        )

    def missions(self, wave: Wave) -> list[Mission]:
        return list(
            self.session.scalars(
                select(Mission).where(Mission.wave_id == wave.id).order_by(Mission.id)
            )
        )

    def submit(self, mission: Mission, quality: float = 0.7) -> Report:
        """Submit generated answers to the mission through the report service."""
        if mission.assignee_id != self.investigator.id:
            mission_lifecycle.assign(self.session, mission, self.investigator, actor=None)
        row = self.session.get(Questionnaire, mission.questionnaire_id)
        questionnaire = questionnaire_model(row)
        now = utcnow()
        payload = reports.ReportPayload(
            client_id=str(uuid.uuid4()),
            answers=generated_answers(questionnaire, self.rng, quality),
            started_at=now - timedelta(minutes=40),
            ended_at=now - timedelta(minutes=5),
            position=reports.Position(48.11, -1.68, 10.0),
        )
        return reports.submit(self.session, mission, payload, actor=self.investigator)

    def approve(self, report: Report) -> Report:
        report_lifecycle.approve(self.session, report, actor=self.reviewer)
        self.session.flush()
        return report

    def play(
        self, wave: Wave, outcome: Callable[[Mission], str], quality: Callable[[Mission], float]
    ) -> None:
        """Each mission: "approve", "submit" (left for review), "reject" or "skip"."""
        for mission in self.missions(wave):
            decision = outcome(mission)
            if decision == "skip":
                continue
            report = self.submit(mission, quality=quality(mission))
            if decision == "approve":
                self.approve(report)
            elif decision == "reject":
                report_lifecycle.reject(self.session, report, actor=self.reviewer, comment="non")
        self.session.flush()


def _prn(code: str) -> float:
    return random.Random(code).random()


@pytest.fixture
def fieldwork(factory: Factory, session: Session) -> Fieldwork:
    return Fieldwork(factory, session)


# --- tiny cases, by hand ---------------------------------------------------------------------


def _approved_with_scores(fieldwork: Fieldwork, mission: Mission, scores: dict[str, Any]) -> Report:
    """An approved report whose stored grades are ``scores`` (what the pipeline reads)."""
    report = fieldwork.approve(fieldwork.submit(mission))
    report.scores = scores
    fieldwork.session.flush()
    return report


def _by_channel(missions: Sequence[Mission]) -> dict[tuple[str, str], Mission]:
    return {(m.sampled_site.site.code, m.channel): m for m in missions}


@pytest.fixture
def tiny(fieldwork: Fieldwork) -> tuple[Campaign, dict[tuple[str, str], Mission]]:
    """Two sites of one stratum of 4, each with a visit and a call."""
    campaign = fieldwork.campaign(
        2026, [("Préfecture", "Bretagne", 4)], size=2, codes=["A", "B", "C", "D"]
    )
    wave = fieldwork.wave(campaign, {"visit": 1, "phone": 1})
    return campaign, _by_channel(fieldwork.missions(wave))


def test_site_grades_by_hand(
    fieldwork: Fieldwork, tiny: tuple[Campaign, dict[tuple[str, str], Mission]]
) -> None:
    campaign, missions = tiny
    first, second = sorted({code for code, _ in missions})
    _approved_with_scores(
        fieldwork, missions[first, "visit"], {"E01": 10.0, "E03": 5.0, "E07": None}
    )
    _approved_with_scores(fieldwork, missions[first, "phone"], {"E01": 6.0, "E08": 8.0})
    _approved_with_scores(fieldwork, missions[second, "visit"], {"E01": 4.0, "E03": None})
    fieldwork.submit(missions[second, "phone"])  # submitted, never approved: does not count

    data = barometer_data(fieldwork.session, campaign, now=NOW)
    sites = {site.code: site for site in data.sites}
    one, two = sites[first], sites[second]
    # Tests: visit (10 + 5)/2 = 7.5, call (6 + 8)/2 = 7. Engagements: E01 (10 + 6)/2 = 8,
    # E03 5, E08 8. Site: (8 + 5 + 8)/3 = 7. Channels: visit 7.5, call 7.
    assert one.grade == pytest.approx(7.0)
    assert one.engagement_grades["E01"] == pytest.approx(8.0)
    assert one.engagement_grades["E03"] == 5.0
    assert one.engagement_grades["E07"] is None
    assert one.channel_grades == {"phone": pytest.approx(7.0), "visit": pytest.approx(7.5)}
    assert (one.tests, one.rank) == (2, 1)
    assert (two.grade, two.tests, two.rank, two.channel_grades) == (4.0, 1, 2, {"visit": 4.0})
    assert sorted(t.grade for t in data.tests) == pytest.approx([4.0, 7.0, 7.5])
    assert (data.approved_tests, data.sampled_sites, data.responding_sites) == (3, 2, 2)
    # One stratum of 4, both sites responding: the national grade with fpc (1 − 2/4).
    assert data.national.estimate == pytest.approx(5.5)
    assert data.national.se == pytest.approx(((1 - 2 / 4) * ((7 - 4) ** 2 / 2) / 2) ** 0.5)
    assert data.share_at_least_7.estimate == pytest.approx(0.5)
    by_channel = {f.key: f for f in data.by_channel}
    assert by_channel["phone"].n == 1
    assert by_channel["phone"].estimate == pytest.approx(7.0)
    assert "small_sample" in by_channel["phone"].flags


def test_missing_scores_are_recomputed_from_the_answers(
    fieldwork: Fieldwork, tiny: tuple[Campaign, dict[tuple[str, str], Mission]]
) -> None:
    campaign, missions = tiny
    mission = missions[sorted(missions)[0]]
    report = fieldwork.approve(fieldwork.submit(mission))
    stored = dict(report.scores or {})
    report.scores = None
    fieldwork.session.flush()
    data = barometer_data(fieldwork.session, campaign, now=NOW)
    (test,) = data.tests
    assert test.engagement_grades == stored
    assert test.report_id == report.id


def test_ties_share_a_rank(
    fieldwork: Fieldwork, tiny: tuple[Campaign, dict[tuple[str, str], Mission]]
) -> None:
    campaign, missions = tiny
    for (_, channel), mission in missions.items():
        if channel == "visit":
            _approved_with_scores(fieldwork, mission, {"E01": 6.0})
    data = barometer_data(fieldwork.session, campaign, now=NOW)
    assert [site.rank for site in data.sites] == [1, 1]
    assert data.national.se == 0.0


def test_rejected_and_submitted_reports_make_a_non_response(
    fieldwork: Fieldwork, tiny: tuple[Campaign, dict[tuple[str, str], Mission]]
) -> None:
    campaign, missions = tiny
    first, second = sorted({code for code, _ in missions})
    _approved_with_scores(fieldwork, missions[first, "visit"], {"E01": 8.0})
    rejected = fieldwork.submit(missions[second, "visit"])
    report_lifecycle.reject(fieldwork.session, rejected, actor=fieldwork.reviewer, comment="x")
    fieldwork.submit(missions[second, "phone"])
    data = barometer_data(fieldwork.session, campaign, now=NOW)
    non_response = next(s for s in data.sites if s.code == second)
    assert (non_response.tests, non_response.grade, non_response.rank) == (0, None, None)
    assert data.sites[-1].code == second  # non-responses come last
    assert (data.sampled_sites, data.responding_sites, data.approved_tests) == (2, 1, 1)
    # One responding site out of two drawn in a stratum of 4: a lonely stratum, adjusted.
    assert data.national.estimate == 8.0
    assert "lonely_stratum" in data.national.flags
    assert data.national.df == 0
    (row,) = data.methodology.strata
    assert (row.population, row.sampled, row.responding) == (4, 2, 1)


def test_an_empty_campaign_gives_no_data_figures(fieldwork: Fieldwork) -> None:
    campaign = fieldwork.campaign(2026, [("CAF", "Bretagne", 3), ("CAF", "Normandie", 2)])
    fieldwork.wave(campaign, {"visit": 1})
    data = barometer_data(fieldwork.session, campaign, now=NOW)
    for figure in [
        data.national,
        data.share_at_least_7,
        *data.by_engagement,
        *data.by_network,
        *data.by_region,
        *data.by_channel,
    ]:
        assert (figure.estimate, figure.se, figure.n, figure.df) == (None, None, 0, 0)
        assert figure.flags == ("no_data",)
    assert data.share_at_least_7.kind == "share"
    assert [f.key for f in data.by_region] == ["Bretagne", "Normandie"]
    assert [f.key for f in data.by_channel] == ["visit"]
    assert len(data.by_engagement) == 11
    assert (data.engagements_at_least_7, data.engagements_excellent) == (0, 0)
    assert (data.change, data.evolution, data.tests) == (None, [], [])
    assert all(site.grade is None and site.rank is None for site in data.sites)
    assert data.generated_at == NOW


def test_a_campaign_without_a_draw_gives_no_data(factory: Factory, session: Session) -> None:
    campaign = factory.campaign(2026)
    data = barometer_data(session, campaign, now=NOW)
    assert data.national.flags == ("no_data",)
    assert (data.sites, data.methodology.strata, data.methodology.draws) == ([], [], [])


def test_the_draw_history_says_which_draw_was_used(fieldwork: Fieldwork) -> None:
    campaign = fieldwork.campaign(2026, [("CAF", "Bretagne", 6)], size=4, seed=3)
    fieldwork.factory.draw(campaign, size=3, strata=("network",), seed=11)
    fieldwork.wave(campaign, {"visit": 1})
    data = barometer_data(fieldwork.session, campaign, now=NOW)
    draws = data.methodology.draws
    assert [(d.seed, d.size, d.used, d.method) for d in draws] == [
        (3, 4, False, "srs"),
        (11, 3, True, "srs"),
    ]
    assert "graine 11" in data.methodology.design
    assert data.methodology.lonely_stratum


# --- a realistic case: figures against sampling and R ----------------------------------------

NETWORKS = ("Préfecture", "CAF", "France Travail")
REGIONS = ("Bretagne", "Normandie", "Occitanie")


def _frame() -> list[tuple[str, str, int]]:
    sizes = iter([9, 14, 4, 7, 11, 2, 12, 5, 8])
    return [(network, region, next(sizes)) for network in NETWORKS for region in REGIONS]


def _quality(mission: Mission) -> float:
    """A site's own quality (its code), plus a network effect: grades cluster by site."""
    site = mission.sampled_site.site
    return 0.1 + 0.6 * _prn(site.code) + 0.1 * NETWORKS.index(site.network)


@pytest.fixture
def realistic(fieldwork: Fieldwork) -> tuple[Campaign, BarometerData]:
    """9 strata (one of 2 taken whole), 30 sites drawn, visits and calls; about one site in
    eight never approved, and one stratum left with a single responding site (lonely)."""
    campaign = fieldwork.campaign(2026, _frame(), size=30, seed=5)
    draw = sample_draws.current_draw(fieldwork.session, campaign)
    assert draw is not None
    by_stratum: dict[str, list[str]] = {}
    for sampled in draw.sampled_sites:
        by_stratum.setdefault(sampled.stratum, []).append(sampled.site.code)
    pairs = sorted(
        h for h, codes in by_stratum.items() if len(codes) == 2 and not h.endswith("Occitanie")
    )
    lonely = by_stratum[pairs[0]][0]  # its stratum keeps one responding site of two
    rng = random.Random(11)
    silent = {lonely} | {
        c
        for h, codes in sorted(by_stratum.items())
        for c in codes
        if len(codes) > 3 and rng.random() < 0.25
    }
    wave = fieldwork.wave(campaign, {"visit": 1, "phone": 1})

    def outcome(mission: Mission) -> str:
        code = mission.sampled_site.site.code
        if code in silent:
            return rng.choice(["skip", "submit", "reject"])
        if mission.channel == "phone" and rng.random() < 0.2:
            return "skip"  # some sites have their visit only
        return "approve"

    fieldwork.play(wave, outcome, _quality)
    return campaign, barometer_data(fieldwork.session, campaign, now=NOW)


def _design(data: BarometerData, campaign: Campaign, session: Session) -> dict[str, Any]:
    draw = sample_draws.current_draw(session, campaign)
    assert draw is not None
    responding = [s for s in data.sites if s.grade is not None]
    return {
        "sites": responding,
        "strata": [s.stratum for s in responding],
        "weights": [s.weight for s in responding],
        "population": {row["stratum"]: row["population"] for row in draw.allocation_table},
    }


def _same(figure: Figure, expected: Any) -> None:
    assert (figure.n, figure.df) == (expected.n, expected.df)
    assert [figure.estimate, figure.se, figure.ci_low, figure.ci_high] == pytest.approx(
        [expected.estimate, expected.se, expected.ci_low, expected.ci_high], abs=1e-12, rel=0
    )


def test_the_national_figure_is_sampling_on_the_site_grades(
    realistic: tuple[Campaign, BarometerData], session: Session
) -> None:
    campaign, data = realistic
    design = _design(data, campaign, session)
    arguments = {k: design[k] for k in ("strata", "population", "weights")}
    grades = [s.grade for s in design["sites"]]
    _same(data.national, estimate_mean(grades, **arguments, lonely_psu="adjust"))
    shares = [float(g >= 7) for g in grades]
    _same(data.share_at_least_7, estimate_proportion(shares, **arguments, lonely_psu="adjust"))
    assert "lonely_stratum" in data.national.flags
    assert 0 < data.responding_sites < data.sampled_sites == 30
    with pytest.raises(ValueError, match="n'a qu'une unité"):
        estimate_mean(grades, **arguments)  # R's default would fail on this design too
    networks = {f.key: f for f in data.by_network}
    for network in NETWORKS:
        domain = [s.network == network for s in design["sites"]]
        _same(
            networks[network],
            estimate_mean(grades, **arguments, domain=domain, lonely_psu="adjust"),
        )
    strata = {row.stratum: row for row in data.methodology.strata}
    assert sum(row.population for row in strata.values()) == 72
    assert any(row.responding == 1 < row.sampled for row in strata.values())


def test_engagement_counts_follow_the_engagement_figures(
    realistic: tuple[Campaign, BarometerData],
) -> None:
    _, data = realistic
    estimates = [f.estimate for f in data.by_engagement if f.estimate is not None]
    assert data.engagements_at_least_7 == sum(e >= 7 for e in estimates)
    assert data.engagements_excellent == sum(e >= 9 for e in estimates)
    assert [code for code, _ in data.engagements] == [f.key for f in data.by_engagement]
    assert data.evolution
    assert data.evolution[-1].national == data.national


def _r_with_survey() -> bool:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return False
    check = subprocess.run(
        [rscript, "-e", 'quit(status = !requireNamespace("survey", quietly = TRUE))'],
        capture_output=True,
        check=False,
    )
    return check.returncode == 0


def _figures_in_r(data: BarometerData, design: dict[str, Any], directory: Path) -> dict[str, Any]:
    """Every figure of ``data`` recomputed by R's survey package from the site grades."""
    sites = design["sites"]
    columns: dict[str, list[Any]] = {
        "h": design["strata"],
        "N": [design["population"][h] for h in design["strata"]],
        "w": design["weights"],
        "grade": [s.grade for s in sites],
        "high": [int(s.grade >= 7) for s in sites],
    }
    figures = [("national", "grade", "", "mean"), ("share", "high", "", "share")]
    domains: dict[str, list[float | None]] = {}
    for f in data.by_network:
        domains[f"network:{f.key}"] = [s.grade if s.network == f.key else None for s in sites]
    for f in data.by_region:
        domains[f"region:{f.key}"] = [s.grade if s.region == f.key else None for s in sites]
    for f in data.by_engagement:
        domains[f"engagement:{f.key}"] = [s.engagement_grades[f.key] for s in sites]
    for f in data.by_channel:
        domains[f"channel:{f.key}"] = [s.channel_grades.get(f.key) for s in sites]
    for number, (key, values) in enumerate(domains.items()):
        if not any(v is not None for v in values):
            continue
        columns[f"v{number}"] = [0.0 if v is None else v for v in values]
        columns[f"d{number}"] = ["TRUE" if v is not None else "FALSE" for v in values]
        figures.append((key, f"v{number}", f"d{number}", "mean"))
    units, spec, output = (directory / n for n in ("units.csv", "figures.csv", "out.json"))
    with units.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in zip(*columns.values(), strict=True):
            writer.writerow([repr(v) if isinstance(v, float) else v for v in row])
    with spec.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["key", "value", "domain", "kind"])
        writer.writerows(figures)
    subprocess.run(
        ["Rscript", str(FIGURES_R), str(units), str(spec), str(output), "0.95", "adjust"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return {row["key"]: row for row in json.loads(output.read_text(encoding="utf-8"))}


@pytest.mark.r
@pytest.mark.skipif(not _r_with_survey(), reason="Rscript with the survey package not found")
def test_every_figure_equals_r_survey_with_lonely_psu_adjust(
    realistic: tuple[Campaign, BarometerData], session: Session, tmp_path: Path
) -> None:
    campaign, data = realistic
    expected = _figures_in_r(data, _design(data, campaign, session), tmp_path)
    ours = {"national": data.national, "share": data.share_at_least_7}
    for prefix, figures in [
        ("network", data.by_network),
        ("region", data.by_region),
        ("engagement", data.by_engagement),
        ("channel", data.by_channel),
    ]:
        ours.update({f"{prefix}:{f.key}": f for f in figures if f.estimate is not None})
    assert set(ours) == set(expected)
    assert len(expected) > 15
    for key, figure in ours.items():
        row = expected[key]
        assert (figure.n, figure.df) == (row["n"], row["df"]), key
        assert [figure.estimate, figure.se, figure.ci_low, figure.ci_high] == pytest.approx(
            [row["estimate"], row["se"], row["ci_low"], row["ci_high"]], abs=TOLERANCE, rel=0
        ), key


# --- the change on the previous campaign -----------------------------------------------------

CODES = [f"S{n:03d}" for n in range(1, 25)]


def two_years(fieldwork: Fieldwork, *, same_sites: bool) -> tuple[Campaign, Campaign]:
    """2025 and 2026 campaigns of one frame (two strata of 12), drawn 8 + 8 each year; 2026
    rotates from 2025 keeping about half (or shares no site code at all)."""
    frame = [("CAF", "Bretagne", 12), ("CAF", "Normandie", 12)]
    before = fieldwork.campaign(2025, frame, size=16, seed=1, codes=CODES)
    fieldwork.play(fieldwork.wave(before, {"visit": 1}), lambda m: "approve", _quality)
    codes = CODES if same_sites else [f"N{n:03d}" for n in range(1, 25)]
    now = fieldwork.factory.campaign(2026)
    for (network, region, count), chunk in zip(frame, (codes[:12], codes[12:]), strict=True):
        for code in chunk[:count]:
            fieldwork.factory.site(
                now, network=network, region=region, code=code, permanent_random_number=_prn(code)
            )
    previous = sample_draws.current_draw(fieldwork.session, before)
    assert previous is not None
    request = sample_draws.DrawRequest(
        size=16,
        strata=("network", "region"),
        minimum=2,
        seed=2,
        previous_draw=previous.id,
        overlap=0.5,
    )
    sample_draws.draw_sample(fieldwork.session, now, request, actor=None, confirm=True)
    fieldwork.play(fieldwork.wave(now, {"visit": 1}), lambda m: "approve", _quality)
    return before, now


def test_without_a_previous_campaign_there_is_no_change(
    realistic: tuple[Campaign, BarometerData],
) -> None:
    _, data = realistic
    assert data.change is None
    assert "Pas d’évolution" in data.methodology.change


def test_the_change_uses_the_covariance_of_the_shared_sites(fieldwork: Fieldwork) -> None:
    before, now = two_years(fieldwork, same_sites=True)
    session = fieldwork.session
    past = barometer_data(session, before, now=NOW)
    data = barometer_data(session, now, now=NOW)
    change = data.change
    assert change is not None
    assert (change.previous_campaign_id, change.previous_year) == (before.id, 2025)
    assert change.previous_estimate == past.national.estimate

    def units(result: BarometerData) -> list[DesignUnit]:
        return [
            DesignUnit(s.code, s.stratum, s.grade, s.weight)
            for s in result.sites
            if s.grade is not None
        ]

    population = {row.stratum: row.population for row in data.methodology.strata}
    covariance = shared_covariance(units(data), population, units(past), population)
    shared = {s.code for s in data.sites} & {s.code for s in past.sites}
    assert change.shared_sites == covariance.shared_sites == len(shared) > 2
    assert change.covariance_used
    assert covariance.strata_used == 2
    assert change.estimate == pytest.approx(data.national.estimate - past.national.estimate)
    variance = data.national.se**2 + past.national.se**2 - 2 * covariance.value
    assert change.se == pytest.approx(variance**0.5, abs=1e-12)
    assert change.df == min(data.national.df, past.national.df)
    assert "Tam" in data.methodology.change
    assert [year.year for year in data.evolution] == [2025, 2026]
    assert data.evolution[0].national == past.national


def test_without_shared_sites_the_change_is_the_independent_one(fieldwork: Fieldwork) -> None:
    before, now = two_years(fieldwork, same_sites=False)
    past = barometer_data(fieldwork.session, before, now=NOW)
    data = barometer_data(fieldwork.session, now, now=NOW)
    assert data.change is not None
    assert (data.change.shared_sites, data.change.covariance_used) == (0, False)
    independent = (data.national.se**2 + past.national.se**2) ** 0.5
    assert data.change.se == pytest.approx(independent, abs=1e-12)
    assert "Covariance prise nulle" in data.methodology.change
