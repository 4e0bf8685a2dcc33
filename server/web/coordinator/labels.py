"""French labels for the sample's parameters and the frame file's format, shown on the pages.

Code and the API speak English (``network``, ``sd``); what a coordinator reads is French. Every
page, form and export of the coordinator's desk takes its names from here, so a column is
called the same everywhere.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence

from server.services.frame_import import OPENING_HOURS_COLUMNS

#: The site's columns by their code name (``Site`` attributes and frame headers).
COLUMN_LABELS = {
    "site_id": "Code du site",
    "code": "Code du site",
    "name": "Nom",
    "network": "Réseau",
    "region": "Région",
    "department": "Département",
    "city": "Commune",
    "postcode": "Code postal",
    "address": "Adresse",
    "latitude": "Latitude",
    "longitude": "Longitude",
    "size": "Fréquentation",
    "email": "Courriel",
    "phone": "Téléphone",
    "opening_hours": "Horaires",
    "stratum": "Strate",
    "inclusion_probability": "Probabilité d’inclusion",
    "weight": "Poids",
    "sd": "Écart-type",
}

#: Imported extra columns whose header (lower case, without accents) we know how to name.
_EXTRA_LABELS = dict.fromkeys(OPENING_HOURS_COLUMNS, "Horaires")

ALLOCATION_LABELS = {
    "proportional": "proportionnelle à la taille des strates (avec minimum)",
    "neyman": "optimale de Neyman (selon les écarts-types des notes)",
    "equal": "égale entre les strates",
}

DRAW_METHOD_LABELS = {
    "srs": "aléatoire simple",
    "systematic": "systématique",
    "pps": "proportionnel à la taille",
}

ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 avec BOM",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1 (ISO 8859-1)",
}

DELIMITER_LABELS = {
    ";": "point-virgule (;)",
    ",": "virgule (,)",
    "\t": "tabulation",
}

#: Weekdays as ``Site.opening_hours`` keys them (``"0"`` = Monday), abbreviated as in French.
WEEKDAY_ABBREVIATIONS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")


def _bare(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def column_label(column: str) -> str:
    """A column's French name.

    Known columns have theirs; an imported extra column keeps the words the file gave it,
    with a capital and spaces for underscores (``guichet_principal`` reads « Guichet
    principal »), except the opening hours, recognised under any of their headers.
    """
    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column]
    if _bare(column) in _EXTRA_LABELS:
        return _EXTRA_LABELS[_bare(column)]
    return sentence(column.replace("_", " ").strip()) or column


def strata_label(columns: Sequence[str]) -> str:
    """The strata's columns as crossed: « Réseau × Région »; none: a single set."""
    if not columns:
        return "aucune (un seul ensemble)"
    return " × ".join(column_label(c) for c in columns)


def sentence(label: str) -> str:
    """A label as it starts a line (radio buttons): first letter in capitals."""
    return label[:1].upper() + label[1:]


def opening_hours_text(week: Mapping[str, Sequence[Sequence[str]]] | None) -> str:
    """``{"0": [["08:30", "12:00"], …]}`` as « lun. 08:30–12:00, 13:30–16:30 ; mar. … ».

    Days are in week order, closed days left out; ranges take an en dash, as French
    typography writes them. No hours at all gives an empty text.
    """
    if not week:
        return ""
    days = []
    for key in sorted(week, key=lambda k: int(k) if k.isdigit() else len(WEEKDAY_ABBREVIATIONS)):
        spans = ", ".join(f"{start}–{end}" for start, end in week[key])
        if not spans:
            continue
        name = WEEKDAY_ABBREVIATIONS[int(key)] if key.isdigit() and int(key) < 7 else key
        days.append(f"{name} {spans}")
    return " ; ".join(days)
