"""French labels for the sample's parameters and the frame file's format, shown on the pages."""

from __future__ import annotations

#: Frame columns the coordinator can stratify or order by (``sample_draws.SITE_COLUMNS``).
COLUMN_LABELS = {
    "network": "Réseau",
    "region": "Région",
    "department": "Département",
    "city": "Commune",
    "postcode": "Code postal",
}

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


def column_label(column: str) -> str:
    """A column's French name; imported extra columns keep the name the file gave them."""
    return COLUMN_LABELS.get(column, column)


def sentence(label: str) -> str:
    """A label as it starts a line (radio buttons): first letter in capitals."""
    return label[:1].upper() + label[1:]
