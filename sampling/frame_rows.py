"""Turn one frame record into a `FrameSite`, or the French reasons for refusing it."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from sampling.frame_columns import ColumnMap
from sampling.frame_model import FrameSite, Rejection

# A decimal number with a point or a comma; no thousands separators, no "nan"/"inf"/"1_000"
# that float() would accept but no spreadsheet user means.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# Spaces a French spreadsheet puts between thousands (ordinary, no-break and narrow no-break).
_THOUSANDS = re.compile(r"[ \u00a0\u202f]")


def parse_decimal(text: str, *, thousands: bool = False) -> float | None:
    """Read "48,85" or "48.85" (and "12 500" when `thousands`); None when blank.

    Raises ValueError for anything else, so the caller can say which field is wrong.
    """
    stripped = text.strip()
    if not stripped:
        return None
    if thousands:
        stripped = _THOUSANDS.sub("", stripped)
    if stripped.count(",") == 1 and "." not in stripped:
        stripped = stripped.replace(",", ".")
    if not _NUMBER.fullmatch(stripped):
        raise ValueError(text)
    value = float(stripped)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _coordinate(text: str, label: str, bound: int, reasons: list[str]) -> float | None:
    try:
        value = parse_decimal(text)
    except ValueError:
        reasons.append(f"{label} invalide : « {text.strip()} » n'est pas un nombre.")
        return None
    if value is not None and not -bound <= value <= bound:
        reasons.append(f"{label} hors de l'intervalle [-{bound}, {bound}] : {text.strip()}.")
        return None
    return value


def _size(text: str, reasons: list[str]) -> float | None:
    try:
        value = parse_decimal(text, thousands=True)
    except ValueError:
        value = -1.0
    if value is not None and value < 0:
        reasons.append(
            f"Taille (fréquentation) invalide : « {text.strip()} » doit être un nombre "
            "positif ou nul."
        )
        return None
    return value


def field_count_reason(found: int, expected: int) -> str:
    """The French reason for a CSV record whose field count differs from the header's."""
    more_or_less = "plus" if found > expected else "moins"
    return (
        f"Nombre de champs incorrect : {found} au lieu de {expected} "
        f"({more_or_less} de champs que l'en-tête ; séparateur ou guillemet mal placé ?)."
    )


class RowBuilder:
    """Checks records one at a time, remembering the site ids already seen in the file."""

    def __init__(self, columns: ColumnMap) -> None:
        self.columns = columns
        self.first_line_of: dict[str, int] = {}

    def build(self, line: int, fields: Sequence[str]) -> FrameSite | Rejection:
        """Check a record whose field count is already known to be right."""
        width = len(self.columns.columns)
        values = list(fields) + [""] * (width - len(fields))
        known = {name: values[index] for name, index in self.columns.known.items()}
        if any("\x00" in value for value in values):
            return Rejection(line, "La ligne contient un caractère nul (octet 0) : fichier abîmé ?")
        site_id = known["site_id"].strip()
        reasons: list[str] = []
        if not site_id:
            reasons.append("Identifiant du site (site_id) vide.")
        elif site_id in self.first_line_of:
            reasons.append(
                f"Identifiant « {site_id} » déjà présent ligne {self.first_line_of[site_id]}."
            )
        else:
            self.first_line_of[site_id] = line
        latitude = _coordinate(known.get("latitude", ""), "Latitude", 90, reasons)
        longitude = _coordinate(known.get("longitude", ""), "Longitude", 180, reasons)
        size = _size(known.get("size", ""), reasons)
        if reasons:
            return Rejection(line, " ".join(reasons))

        def text(name: str) -> str | None:
            return known.get(name, "").strip() or None

        return FrameSite(
            line=line,
            site_id=site_id,
            name=known["name"].strip(),
            network=known["network"].strip(),
            region=known["region"].strip(),
            latitude=latitude,
            longitude=longitude,
            size=size,
            department=text("department"),
            city=text("city"),
            postcode=text("postcode"),
            address=text("address"),
            email=text("email"),
            phone=text("phone"),
            extra={title: values[index] for title, index in self.columns.extra.items()},
        )
