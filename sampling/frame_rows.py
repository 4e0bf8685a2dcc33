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


_FIELDS = (
    "site_id",
    "name",
    "network",
    "region",
    "department",
    "city",
    "postcode",
    "address",
    "latitude",
    "longitude",
    "size",
    "email",
    "phone",
)


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

    def __init__(self, columns: ColumnMap, *, check_nul: bool = True) -> None:
        self.columns = columns
        self.check_nul = check_nul
        self.first_line_of: dict[str, int] = {}
        width = len(columns.columns)
        # Absent optional columns read from an always-empty slot past the row's end.
        self._index = {name: columns.known.get(name, width) for name in _FIELDS}
        self._extra = list(columns.extra.items())
        self._width = width

    def site_id(self, fields: Sequence[str]) -> str | None:
        """The record's site_id field, trimmed (None when empty or missing)."""
        position = self._index["site_id"]
        return (fields[position].strip() or None) if position < len(fields) else None

    def build(self, line: int, fields: Sequence[str]) -> FrameSite | Rejection:
        """Check a record whose field count is already known to be right."""
        values = list(fields)
        values += [""] * (self._width + 1 - len(values))
        index = self._index
        site_id = values[index["site_id"]].strip()
        if self.check_nul and any("\x00" in value for value in values):
            return Rejection(
                line,
                "La ligne contient un caractère nul (octet 0) : fichier abîmé ?",
                site_id.replace("\x00", "") or None,
            )
        reasons: list[str] = []
        if not site_id:
            reasons.append("Identifiant du site (site_id) vide.")
        elif site_id in self.first_line_of:
            reasons.append(
                f"Identifiant « {site_id} » déjà présent ligne {self.first_line_of[site_id]}."
            )
        else:
            self.first_line_of[site_id] = line
        latitude = _coordinate(values[index["latitude"]], "Latitude", 90, reasons)
        longitude = _coordinate(values[index["longitude"]], "Longitude", 180, reasons)
        size = _size(values[index["size"]], reasons)
        if reasons:
            return Rejection(line, " ".join(reasons), site_id or None)
        return FrameSite(
            line,
            site_id,
            values[index["name"]].strip(),
            values[index["network"]].strip(),
            values[index["region"]].strip(),
            values[index["department"]].strip() or None,
            values[index["city"]].strip() or None,
            values[index["postcode"]].strip() or None,
            values[index["address"]].strip() or None,
            latitude,
            longitude,
            size,
            values[index["email"]].strip() or None,
            values[index["phone"]].strip() or None,
            {title: values[position] for title, position in self._extra},
        )
