"""Header matching for frame files: case-, accent- and spacing-insensitive, English or French."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sampling.frame_model import FrameFormatError

#: Known fields and the normalised header names that designate them (DESIGN.md §3.3).
ALIASES: dict[str, tuple[str, ...]] = {
    "site_id": ("site_id", "code_site"),
    "name": ("name", "nom"),
    "network": ("network", "reseau"),
    "region": ("region",),
    "department": ("department", "departement"),
    "city": ("city", "commune"),
    "postcode": ("postcode", "code_postal"),
    "address": ("address", "adresse"),
    "latitude": ("latitude",),
    "longitude": ("longitude",),
    "size": ("size", "frequentation"),
    "email": ("email", "courriel"),
    "phone": ("phone", "telephone"),
}

#: Columns without which a file is refused as a whole, with the French name shown to users.
REQUIRED: dict[str, str] = {
    "site_id": "code_site (ou site_id)",
    "name": "nom (ou name)",
    "network": "reseau (ou network)",
    "region": "region",
}

_SEPARATORS = re.compile(r"[\s\-_.']+")


def normalise_header(text: str) -> str:
    """Lower-case, strip accents and surrounding spaces, and join words with `_`.

    "  Code Postal " and "code_postal" both become "code_postal"; "Réseau" becomes "reseau".
    """
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SEPARATORS.sub("_", bare).strip("_")


@dataclass(frozen=True)
class ColumnMap:
    """Where each known field sits in a row, and which other columns become `extra`."""

    columns: list[str]
    known: dict[str, int]
    extra: dict[str, int]


def map_columns(
    header: Sequence[str],
    aliases: Mapping[str, Sequence[str]] = ALIASES,
    required: Mapping[str, str] = REQUIRED,
) -> ColumnMap:
    """Match a header row to the known fields; refuse missing, unnamed or duplicated columns.

    ``aliases`` and ``required`` default to the frame's; another file read with the same
    conventions (the investigators' list) passes its own.
    """
    field_by_alias = {alias: name for name, names in aliases.items() for alias in names}
    columns = [cell.strip() for cell in header]
    while columns and not columns[-1]:
        columns.pop()  # trailing separators or empty trailing cells
    known: dict[str, int] = {}
    extra: dict[str, int] = {}
    seen: dict[str, int] = {}
    for index, title in enumerate(columns):
        if not title:
            raise FrameFormatError(
                f"La colonne {index + 1} de l'en-tête n'a pas de nom "
                "(cellules fusionnées ou colonne vide ?) : nommez chaque colonne."
            )
        key = normalise_header(title)
        if key in seen:
            raise FrameFormatError(
                f"La colonne « {title} » apparaît deux fois dans l'en-tête "
                f"(colonnes {seen[key] + 1} et {index + 1})."
            )
        seen[key] = index
        field_name = field_by_alias.get(key)
        if field_name is None:
            extra[title] = index
        elif field_name in known:
            raise FrameFormatError(
                f"Deux colonnes désignent le même champ {field_name} "
                f"(colonnes {known[field_name] + 1} et {index + 1})."
            )
        else:
            known[field_name] = index
    missing = [label for name, label in required.items() if name not in known]
    if missing:
        raise FrameFormatError("Colonnes obligatoires absentes : " + ", ".join(missing) + ".")
    return ColumnMap(columns=columns, known=known, extra=extra)
