"""The methodology sheet: French sentences saying how the published figures were made.

Every sentence is built from what was actually done (the draw's recorded parameters, the
strata and their response, the covariance used or not), so the sheet cannot drift from the
figures it explains.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from exports.barometer_data import DrawRecord, Methodology, StratumRow
from server.models import Draw
from server.services.results_grades import CampaignGrades

DRAW_METHODS = {
    "srs": "tirage aléatoire simple sans remise dans chaque strate, par nombres aléatoires "
    "permanents (tirage séquentiel d’Ohlsson)",
    "systematic": "tirage systématique dans chaque strate",
    "pps": "tirage systématique à probabilités proportionnelles à la taille dans chaque strate",
}
ALLOCATIONS = {
    "proportional": "proportionnelle à la taille des strates",
    "neyman": "optimale de Neyman (écarts-types des notes de l’année précédente)",
    "equal": "égale entre les strates",
}
COLUMNS = {
    "network": "réseau",
    "region": "région",
    "department": "département",
    "city": "commune",
    "postcode": "code postal",
}


def _percent(level: float) -> str:
    return f"{level * 100:g} %".replace(".", ",")


def strata_rows(grades: CampaignGrades) -> list[StratumRow]:
    """N_h, n_h and the responding sites of every stratum of the draw."""
    sampled = Counter(site.stratum for site in grades.sites)
    responding = Counter(site.stratum for site in grades.responding)
    return [
        StratumRow(stratum, population, sampled[stratum], responding[stratum])
        for stratum, population in sorted(grades.population.items())
    ]


def draw_records(draws: Sequence[Draw], used: Draw | None) -> list[DrawRecord]:
    """Every draw of the campaign, oldest first, the one the figures rest on marked used."""
    return [
        DrawRecord(
            draw_id=draw.id,
            seed=draw.seed,
            method=str(draw.parameters.get("draw", "srs")),
            allocation=str(draw.parameters.get("allocation", "proportional")),
            size=len(draw.sampled_sites),
            author=draw.created_by.name if draw.created_by is not None else None,
            created_at=draw.created_at,
            used=used is not None and draw.id == used.id,
        )
        for draw in sorted(draws, key=lambda d: d.id)
    ]


def _design(grades: CampaignGrades) -> str:
    draw = grades.draw
    if draw is None:
        return "Aucun échantillon n’a été tiré pour cette campagne."
    parameters = draw.parameters
    columns = [COLUMNS.get(c, c) for c in parameters.get("strata", [])]
    strata = " × ".join(columns) if columns else "aucune (une seule strate)"
    method = DRAW_METHODS.get(str(parameters.get("draw", "srs")), str(parameters.get("draw")))
    frame = sum(grades.population.values())
    text = (
        f"Échantillon de {len(grades.sites)} sites tirés parmi les {frame} sites de la base "
        f"de sondage, stratifiée par {strata} ({len(grades.population)} strates) ; {method} ; "
        f"graine {draw.seed}, tirage n° {draw.id}, reproductible à l’identique."
    )
    if parameters.get("previous_draw") is not None and parameters.get("overlap") is not None:
        text += (
            f" Rotation de panel : recouvrement visé de {_percent(float(parameters['overlap']))}"
            f" avec le tirage n° {parameters['previous_draw']}."
        )
    return text


def _allocation(grades: CampaignGrades) -> str:
    if grades.draw is None:
        return "Sans objet."
    parameters = grades.draw.parameters
    method = str(parameters.get("allocation", "proportional"))
    minimum = int(parameters.get("minimum", 0))
    whole = sum(1 for row in strata_rows(grades) if row.sampled == row.population)
    return (
        f"Allocation {ALLOCATIONS.get(method, method)}, avec au moins {minimum} sites par "
        f"strate (ou la strate entière si elle est plus petite), plafonnée à la taille de "
        f"chaque strate et au total exact demandé ; {whole} strate(s) prise(s) en entier."
    )


def _weights(grades: CampaignGrades) -> str:
    method = str(grades.draw.parameters.get("draw", "srs")) if grades.draw else "srs"
    probability = (
        "proportionnelle à sa taille dans sa strate (1 pour un site pris d’office)"
        if method == "pps"
        else "π = n_h/N_h, n_h sites tirés parmi les N_h de sa strate"
    )
    return (
        f"Chaque site tiré porte sa probabilité d’inclusion, {probability}, et son poids de "
        "sondage 1/π ; ces poids sont utilisés tels quels, sans redressement de la "
        "non-réponse."
    )


def _scoring(grades: CampaignGrades) -> str:
    weights = {e.weight for e in grades.referentiel.engagements}
    weighting = (
        "à poids égaux"
        if len(weights) <= 1
        else "pondérée par les poids des engagements fixés par le référentiel"
    )
    return (
        f"Seuls les tests dont le rapport est validé comptent. Pour chaque test et chaque "
        f"engagement du référentiel « {grades.referentiel.name} », note /10 = 10 × points "
        "obtenus / points possibles sur les questions applicables (une réponse « sans objet » "
        "retire ses points des deux termes). Note d’un test = moyenne de ses notes "
        "d’engagement. Note d’un site pour un engagement = moyenne sur ses tests ayant une "
        f"note pour cet engagement ; note du site = moyenne de ces notes, {weighting}, sur "
        "les engagements notés. Note d’un site pour un canal = moyenne des notes de ses tests "
        "sur ce canal."
    )


ESTIMATOR = (
    "Estimations fondées sur le plan de sondage : moyenne pondérée par les poids de sondage, "
    "stratifiée, sans remise, avec correction de population finie (fpc = N_h), variance par "
    "linéarisation, comme le paquet R survey (svydesign(ids = ~1, strata, fpc, weights), "
    "svymean). Les résultats par réseau, région, canal et engagement sont des estimations sur "
    "domaine (subset du plan) ; un site sans note pour un engagement ou un canal est hors du "
    "domaine. La part des sites notés au moins {required}/10 est une proportion estimée de la "
    "même façon."
)


def _intervals(level: float, minimum_sites: int) -> str:
    return (
        f"Intervalles de confiance à {_percent(level)} : t de Student à n − H degrés de liberté "
        "(sites répondants du domaine moins strates qui en contiennent) ; pour les parts, "
        'intervalle logit (celui de svyciprop(method = "logit")), qui reste dans [0, 1]. '
        f"Un résultat établi sur moins de {minimum_sites} sites est signalé « petit "
        "échantillon »."
    )


NON_RESPONSE = (
    "Un site tiré sans aucun test validé est un non-répondant : il est exclu des estimations, "
    "qui portent sur les sites répondants dans les strates du plan, avec la taille N_h de "
    "chaque strate pour la correction de population finie (svydesign sur les répondants)."
)

LONELY_STRATUM = (
    "Une strate réduite à un seul site répondant sur plusieurs est traitée comme l’option R "
    'survey.lonely.psu = "adjust" : l’écart de ce site est mesuré à la moyenne générale et '
    "non à celle de sa strate ; le résultat est alors signalé « strate à un seul site ». Une "
    "strate prise en entier n’ajoute aucune variance."
)


def change_text(
    *,
    previous_year: int | None,
    shared_sites: int,
    strata_used: int,
    covariance_used: bool,
) -> str:
    """The change's method, as actually used for this campaign."""
    if previous_year is None:
        return (
            "Pas d’évolution : aucune campagne antérieure du même référentiel n’a de rapport "
            "validé."
        )
    head = (
        f"Évolution = note nationale de l’année moins celle de {previous_year} ; variance "
        "se₁² + se₂² − 2·cov ; degrés de liberté : le plus petit des deux."
    )
    if covariance_used:
        return head + (
            f" La covariance est estimée sur les {shared_sites} sites répondants communs aux "
            f"deux échantillons (rapprochés par leur code), dans les {strata_used} strate(s) "
            "qui en comptent au moins deux : covariance de deux moyennes d’échantillons "
            "aléatoires simples qui se recouvrent (Tam, 1984), strate par strate, sur les "
            "scores linéarisés. Un site ayant changé de strate n’y entre pas."
        )
    return head + (
        f" Covariance prise nulle ({shared_sites} site(s) commun(s), trop peu par strate pour "
        "l’estimer) : les deux échantillons sont traités comme indépendants, ce qui donne un "
        "intervalle prudent (plus large)."
    )


def methodology(
    grades: CampaignGrades,
    draws: Sequence[Draw],
    *,
    change: str,
    level: float,
    minimum_sites: int,
) -> Methodology:
    """The methodology sheet of the campaign's figures."""
    return Methodology(
        design=_design(grades),
        allocation=_allocation(grades),
        weights=_weights(grades),
        scoring=_scoring(grades),
        estimator=ESTIMATOR.format(required=f"{grades.referentiel.required_level:g}"),
        intervals=_intervals(level, minimum_sites),
        non_response=NON_RESPONSE,
        change=change,
        level=level,
        minimum_sites=minimum_sites,
        strata=strata_rows(grades),
        draws=draw_records(draws, grades.draw),
        lonely_stratum=LONELY_STRATUM,
    )
