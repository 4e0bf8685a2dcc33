"""The French words of the barometer's outputs: flags, channels, sheet names.

Shared by the workbook and the open data so that both explain a figure the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Sheet names, exactly (DESIGN.md §3.9).
SUMMARY = "Synthèse"
ENGAGEMENTS = "Engagements"
NETWORKS = "Réseaux"
REGIONS = "Régions"
CHANNELS = "Canaux"
SITES = "Sites"
TESTS = "Tests"
EVOLUTION = "Évolution"
METHODOLOGY = "Méthodologie"
SHEET_NAMES = (
    SUMMARY,
    ENGAGEMENTS,
    NETWORKS,
    REGIONS,
    CHANNELS,
    SITES,
    TESTS,
    EVOLUTION,
    METHODOLOGY,
)

#: The required level and excellence, on /10 (DOMAIN.md §1).
REQUIRED_GRADE = 7.0
EXCELLENT_GRADE = 9.0

CHANNEL_LABELS: dict[str, str] = {
    "visit": "Visite",
    "phone": "Appel",
    "email": "Courriel",
    "letter": "Courrier",
    "website": "Site internet",
}
CHANNEL_ORDER = tuple(CHANNEL_LABELS)

#: Short words for a table's "Alertes" column.
FLAG_SHORT: dict[str, str] = {
    "small_sample": "peu de sites",
    "boundary_proportion": "part de 0 ou 100 %",
    "no_degrees_of_freedom": "sans degré de liberté",
    "lonely_stratum": "strate à un seul répondant",
    "no_data": "aucune donnée",
}


def flag_explanations(minimum_sites: int) -> dict[str, str]:
    """What each flag means, in a sentence a reader of the summary understands."""
    return {
        "small_sample": (
            f"Chiffre calculé sur moins de {minimum_sites} sites : à lire avec prudence."
        ),
        "boundary_proportion": (
            "Part égale à 0 % ou 100 % : l’intervalle de confiance se réduit à ce point."
        ),
        "no_degrees_of_freedom": (
            "Aucun degré de liberté (un site par strate touchée) : intervalle non calculable."
        ),
        "lonely_stratum": (
            "Une strate n’a qu’un site répondant : sa variance est approchée comme le fait R "
            "(survey.lonely.psu = « adjust »)."
        ),
        "no_data": "Aucun test approuvé : pas de note.",
    }


def flags_text(flags: Iterable[str], *, estimate: float | None = None) -> str:
    """The flags of a figure in short French words; "aucune donnée" for a figure without one."""
    words = [FLAG_SHORT.get(flag, flag) for flag in flags]
    if estimate is None and FLAG_SHORT["no_data"] not in words:
        words.insert(0, FLAG_SHORT["no_data"])
    return " ; ".join(words)


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel)


def channels_in_order(channels: Iterable[str]) -> list[str]:
    """The known channels in their usual order, then any other one alphabetically."""
    present = set(channels)
    known = [channel for channel in CHANNEL_ORDER if channel in present]
    return known + sorted(present - set(CHANNEL_ORDER))
