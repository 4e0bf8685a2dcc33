"""CSV files that open right in a French spreadsheet and never run a formula hidden in the data.

Frame files come from many hands: a site name may start with ``=``, ``+``, ``-`` or ``@``, and a
spreadsheet opening the export would evaluate it (CSV injection). Following OWASP's advice, such
text is prefixed with an apostrophe, which spreadsheets show as text. Numbers are left as numbers.
The file is UTF-8 with a BOM, ``;``-separated and with decimal commas, which is what French Excel
expects when a user double-clicks it.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal

#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | Decimal | None


def safe_text(value: str) -> str:
    """``value`` as text a spreadsheet shows as is: an apostrophe before a formula start."""
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _number(value: int | float | Decimal, decimal_comma: bool) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        text = repr(value)
        if "e" in text or "E" in text:  # 1e-05: spreadsheets read plain digits more surely
            text = f"{value:.20f}".rstrip("0").rstrip(".")
    else:
        text = str(value)
    return text.replace(".", ",") if decimal_comma else text


def _cell(value: Cell, decimal_comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # a bool is an int: keep it readable rather than 1/0
        return "oui" if value else "non"
    if isinstance(value, int | float | Decimal):
        return _number(value, decimal_comma)
    return safe_text(str(value))


def csv_bytes(
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    delimiter: str = ";",
    decimal_comma: bool = True,
) -> bytes:
    """A whole CSV file as UTF-8 bytes with a BOM; text cells made safe, numbers formatted."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([safe_text(title) for title in header])
    for row in rows:
        writer.writerow([_cell(value, decimal_comma) for value in row])
    return buffer.getvalue().encode("utf-8-sig")
