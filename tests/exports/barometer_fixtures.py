"""Synthetic, seeded ``BarometerData`` for the workbook and open-data tests and benchmarks.

Plausible rather than computed: the figures are random around the public series of
DOMAIN.md, the sites and tests carry the Marianne questionnaires' real question ids, and some
text is hostile on purpose (a leading ``=``, ``+``, ``-``, ``@``, a tab, a control character).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from exports.barometer_data import (
    BarometerData,
    Change,
    DrawRecord,
    Figure,
    Methodology,
    SiteResult,
    StratumRow,
    TestRow,
    YearFigure,
)

ENGAGEMENTS = [
    ("E01", "Information sur les conditions d’accès et les horaires"),
    ("E02", "Orientation vers le bon service et prise en charge"),
    ("E03", "Accès des personnes à mobilité réduite"),
    ("E04", "Courtoisie de l’accueil"),
    ("E05", "Confort des espaces d’accueil et d’attente"),
    ("E06", "Aide à la constitution du dossier"),
    ("E07", "Temps d’attente au guichet"),
    ("E08", "Traitement des appels téléphoniques"),
    ("E09", "Réponse aux courriels sous 5 jours ouvrés, claire et complète"),
    ("E10", "Réponse aux courriers sous 15 jours ouvrés, claire et complète"),
    ("E11", "Mesure annuelle de la satisfaction et publication des résultats"),
]
NETWORKS = [
    "Préfecture",
    "Sous-préfecture",
    "Service des impôts des particuliers",
    "Tribunal judiciaire",
    "DSDEN",
    "France services",
]
REGIONS = [
    "Bretagne",
    "Grand Est",
    "Hauts-de-France",
    "Île-de-France",
    "Nouvelle-Aquitaine",
    "Occitanie",
    "Provence-Alpes-Côte d’Azur",
]
CHANNELS = [
    ("visit", "Visite"),
    ("phone", "Appel"),
    ("email", "Courriel"),
    ("letter", "Courrier"),
    ("website", "Site internet"),
]
#: Tests per site and channel: the default plan of DOMAIN.md §6 (25 per site).
PLAN = {"visit": 2, "phone": 9, "email": 10, "letter": 3, "website": 1}
#: Questions of the Marianne questionnaires (a subset), with their type.
QUESTIONS: dict[str, list[tuple[str, str]]] = {
    "visit": [
        ("v_date_visite", "date"),
        ("v_heure_arrivee", "time"),
        ("v_position", "position"),
        ("v_site_ouvert", "yes_no"),
        ("v_horaires_conformes", "yes_no_na"),
        ("v_acces_fauteuil", "single_choice"),
        ("v_attente_minutes", "duration_minutes"),
        ("v_nombre_agents", "integer"),
        ("v_photo_attente", "photo"),
        ("v_observations", "text"),
    ],
    "phone": [
        ("t_date_appel", "date"),
        ("t_numero", "text"),
        ("t_decroche", "yes_no"),
        ("t_sonneries", "rings"),
        ("t_attente_agent", "duration_minutes"),
        ("t_reponse_fond", "single_choice"),
    ],
    "email": [
        ("m_date_envoi", "date"),
        ("m_adresse", "text"),
        ("m_reponse_recue", "yes_no"),
        ("m_reponse_fond", "single_choice"),
        ("m_piece_reponse", "photo"),
    ],
    "letter": [
        ("l_date_envoi", "date"),
        ("l_reponse_recue", "yes_no"),
        ("l_reponse_fond", "single_choice"),
        ("l_delai_jours", "decimal"),
    ],
    "website": [
        ("w_date_consultation", "date"),
        ("w_adresse_page", "text"),
        ("w_horaires_publies", "yes_no"),
        ("w_elements_pmr", "multiple_choice"),
        ("w_captures", "photo"),
    ],
}
QUESTION_TYPES: dict[str, str] = {
    question: kind for questions in QUESTIONS.values() for question, kind in questions
}
CHOICES = {
    "v_acces_fauteuil": ["plain_pied", "rampe_ascenseur", "sur_demande", "aucun_acces"],
    "t_reponse_fond": ["complete", "partielle", "orientation", "aucune"],
    "m_reponse_fond": ["complete", "partielle", "non"],
    "l_reponse_fond": ["complete", "partielle", "non"],
}
#: Text a spreadsheet would run as a formula, or that openpyxl would refuse.
HOSTILE = [
    '=HYPERLINK("http://example.com";"cliquer")',
    "+33 1 23 45 67 89",
    "-2 agents absents",
    "@SUM(A1:A9)",
    "\tcaché",
    "=1+1",
]
GENERATED_AT = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


def _figure(rng: random.Random, key: str, label: str, *, n: int, kind: str = "mean") -> Figure:
    if kind == "share":
        p = rng.uniform(0.35, 0.8)
        se = rng.uniform(0.01, 0.05)
        low, high = max(p - 2 * se, 0.0), min(p + 2 * se, 1.0)
        return Figure(key, label, p, se, low, high, n, max(n - 3, 0), (), kind)
    grade = rng.uniform(5.0, 9.7)
    se = rng.uniform(0.05, 0.4)
    flags = ("small_sample",) if n < 5 else ()
    return Figure(key, label, grade, se, grade - 2 * se, grade + 2 * se, n, max(n - 2, 0), flags)


def _answers(rng: random.Random, channel: str, index: int) -> dict[str, object]:
    answers: dict[str, object] = {}
    for question, kind in QUESTIONS[channel]:
        if kind in ("yes_no", "yes_no_na"):
            values = ["oui", "non", "na"] if kind == "yes_no_na" else ["oui", "non"]
            answers[question] = rng.choice(values)
        elif kind == "single_choice":
            answers[question] = rng.choice(CHOICES[question])
        elif kind == "multiple_choice":
            answers[question] = sorted(rng.sample(["entree", "stationnement", "guichet"], 2))
        elif kind in ("integer", "rings", "duration_minutes"):
            answers[question] = rng.randint(0, 30)
        elif kind == "decimal":
            answers[question] = round(rng.uniform(0, 20), 1)
        elif kind == "date":
            answers[question] = f"2026-0{rng.randint(3, 6)}-{rng.randint(10, 28)}"
        elif kind == "time":
            answers[question] = f"{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}"
        elif kind == "position":
            answers[question] = {"latitude": 48.1 + rng.random(), "longitude": -1.7}
        elif kind == "photo":
            answers[question] = [f"photo-{index}-a", f"photo-{index}-b"]
        elif index % 7 == 0:
            answers[question] = HOSTILE[index % len(HOSTILE)]
        else:
            answers[question] = f"Accueil par Mme Durand, guichet {index % 5}"
    return answers


def _sites(rng: random.Random, count: int) -> list[SiteResult]:
    sites: list[SiteResult] = []
    for n in range(count):
        network, region = NETWORKS[n % len(NETWORKS)], REGIONS[(n // 3) % len(REGIONS)]
        responding = n % 50 != 49  # a few non-responses
        grade = rng.uniform(3.0, 10.0) if responding else None
        name = HOSTILE[n % len(HOSTILE)] if n % 11 == 5 else f"{network} de Ville {n}"
        probability = rng.uniform(0.2, 1.0)
        sites.append(
            SiteResult(
                site_id=1000 + n,
                code=f"S{n:05d}",
                name=name,
                network=network,
                region=region,
                department=f"{(n % 95) + 1:02d}",
                city=f"Ville {n}",
                stratum=f"{network} × {region}",
                inclusion_probability=probability,
                weight=1 / probability,
                tests=sum(PLAN.values()) if responding else 0,
                grade=grade,
                engagement_grades={
                    code: (rng.uniform(0, 10) if responding and rng.random() > 0.1 else None)
                    for code, _ in ENGAGEMENTS
                },
                channel_grades={
                    channel: (rng.uniform(0, 10) if responding else None) for channel, _ in CHANNELS
                },
                rank=None,
            )
        )
    graded = sorted((s for s in sites if s.grade is not None), key=lambda s: -(s.grade or 0))
    ranks = {site.code: rank for rank, site in enumerate(graded, start=1)}
    return [_with_rank(site, ranks.get(site.code)) for site in sites]


def _with_rank(site: SiteResult, rank: int | None) -> SiteResult:
    return replace(site, rank=rank)


def _tests(rng: random.Random, sites: list[SiteResult], per_site: dict[str, int]) -> list[TestRow]:
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    tests: list[TestRow] = []
    for site in sites:
        if not site.tests:
            continue
        for channel, count in per_site.items():
            for _ in range(count):
                index = len(tests)
                begun = start + timedelta(minutes=37 * index)
                tests.append(
                    TestRow(
                        report_id=50_000 + index,
                        mission_id=90_000 + index,
                        site_id=site.site_id,
                        site_code=site.code,
                        site_name=site.name,
                        network=site.network,
                        region=site.region,
                        channel=channel,
                        wave="Vague 1",
                        started_at=begun,
                        ended_at=begun + timedelta(minutes=rng.randint(5, 40)),
                        submitted_at=None if index % 13 == 0 else begun + timedelta(hours=3),
                        grade=rng.uniform(0, 10),
                        engagement_grades={
                            code: (rng.uniform(0, 10) if rng.random() > 0.6 else None)
                            for code, _ in ENGAGEMENTS
                        },
                        answers=_answers(rng, channel, index),
                    )
                )
    return tests


def _methodology(sites: list[SiteResult], *, size: int) -> Methodology:
    strata: dict[str, list[SiteResult]] = {}
    for site in sites:
        strata.setdefault(site.stratum, []).append(site)
    return Methodology(
        design="Sondage stratifié (réseau × région), tirage aléatoire simple sans remise.",
        allocation="Proportionnelle à la taille des strates, au moins 2 sites par strate.",
        weights="Poids = inverse de la probabilité d’inclusion (N_h / n_h).",
        scoring="Note d’engagement = 10 × points obtenus / points possibles (sans objet exclu).",
        estimator="Moyenne pondérée (Horvitz-Thompson, ratio), comme svymean de R.",
        intervals="Intervalle de Student à n − H degrés de liberté, correction de population finie",
        non_response="Sites sans test approuvé exclus ; strates du plan conservées (fpc = N_h).",
        change="Écart des notes nationales ; variance se₁² + se₂² − 2·cov (sites communs).",
        level=0.95,
        minimum_sites=5,
        strata=[
            StratumRow(
                stratum=name,
                population=len(members) * 3,
                sampled=len(members),
                responding=sum(1 for s in members if s.tests),
            )
            for name, members in sorted(strata.items())
        ],
        draws=[
            DrawRecord(
                draw_id=number,
                seed=seed,
                method="srs",
                allocation="proportional",
                size=size,
                author=author,
                created_at=datetime(2026, 1, 10 + number, 14, 0, tzinfo=UTC),
                used=number == 3,
            )
            for number, seed, author in (
                (1, 2024, "=Coordinatrice Martin"),
                (2, 99, None),
                (3, 20260112, "Coordinatrice Martin"),
            )
        ],
    )


def make_barometer(
    sites: int = 60, *, seed: int = 2026, plan: dict[str, int] | None = None
) -> BarometerData:
    """A campaign of ``sites`` sampled sites with ``plan`` approved tests per responding site
    and channel (the default plan: 24 per site), every figure filled."""
    rng = random.Random(seed)
    site_rows = _sites(rng, sites)
    test_rows = _tests(rng, site_rows, plan or PLAN)
    responding = sum(1 for site in site_rows if site.tests)
    by_engagement = [_figure(rng, code, label, n=responding) for code, label in ENGAGEMENTS]
    by_engagement[10] = Figure("E11", ENGAGEMENTS[10][1], None, None, None, None, 0, 0, ())
    national = _figure(rng, "national", "Note nationale", n=responding)
    share = _figure(rng, "share_at_least_7", "Sites ≥ 7/10", n=responding, kind="share")
    return BarometerData(
        campaign_id=7,
        campaign_name="Baromètre 2026 =test",
        year=2026,
        referentiel="marianne v1",
        engagements=list(ENGAGEMENTS),
        national=national,
        share_at_least_7=share,
        engagements_at_least_7=sum(1 for f in by_engagement if (f.estimate or 0) >= 7),
        engagements_excellent=sum(1 for f in by_engagement if (f.estimate or 0) >= 9),
        by_engagement=by_engagement,
        by_network=[_figure(rng, name, name, n=sites // len(NETWORKS)) for name in NETWORKS],
        by_region=[_figure(rng, name, name, n=3) for name in REGIONS],
        by_channel=[_figure(rng, code, label, n=responding) for code, label in CHANNELS],
        change=Change(
            previous_campaign_id=6,
            previous_year=2025,
            previous_estimate=(national.estimate or 0) - 0.3,
            estimate=0.3,
            se=0.12,
            ci_low=0.06,
            ci_high=0.54,
            df=responding - 40,
            shared_sites=sites // 2,
            covariance_used=True,
        ),
        sites=site_rows,
        tests=test_rows,
        evolution=[
            YearFigure(
                campaign_id=5 + offset,
                year=2024 + offset,
                national=_figure(rng, "national", "Note nationale", n=responding),
                share_at_least_7=_figure(rng, "share", "Sites ≥ 7/10", n=responding, kind="share"),
            )
            for offset in range(2)
        ]
        + [YearFigure(7, 2026, national, share)],
        methodology=_methodology(site_rows, size=sites),
        generated_at=GENERATED_AT,
        approved_tests=len(test_rows),
        sampled_sites=sites,
        responding_sites=responding,
    )


def empty_barometer() -> BarometerData:
    """A campaign with its sample drawn but no approved test: every figure is None."""
    data = make_barometer(12, plan={})
    nothing = Figure("national", "Note nationale", None, None, None, None, 0, 0, ("no_data",))
    share = Figure("share_at_least_7", "Sites ≥ 7/10", None, None, None, None, 0, 0, (), "share")
    sites = [
        replace(
            site,
            tests=0,
            grade=None,
            rank=None,
            engagement_grades=dict.fromkeys(site.engagement_grades),
            channel_grades={},
        )
        for site in data.sites
    ]
    empty = [Figure(code, label, None, None, None, None, 0, 0) for code, label in ENGAGEMENTS]
    return replace(
        data,
        national=nothing,
        share_at_least_7=share,
        engagements_at_least_7=0,
        engagements_excellent=0,
        by_engagement=empty,
        by_network=[],
        by_region=[],
        by_channel=[],
        change=None,
        sites=sites,
        tests=[],
        evolution=[YearFigure(7, 2026, nothing, share)],
        approved_tests=0,
        responding_sites=0,
    )
