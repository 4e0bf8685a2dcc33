"""Reading XLSX frame files (first sheet) with openpyxl in read-only mode."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.cell import coordinate_from_string

from sampling import file_guards
from sampling.frame_model import FrameFormatError

_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+):([A-Z]+[0-9]+)"')
_ZERO_PADDED = re.compile(r"0+")
#: What zipfile raises for a damaged archive, an encrypted member (RuntimeError) or a
#: compression method it cannot read (NotImplementedError). Not ValueError: the guards'
#: own FrameFormatError is one.
_UNREADABLE_ARCHIVE = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    RuntimeError,
    EOFError,
    zlib.error,
)


def cell_text(value: object, number_format: str = "General") -> str:
    """A cell as the text the user sees, never evaluated.

    Whole numbers lose the ".0" openpyxl gives them; a number formatted "00000" (a postcode or a
    department code stored as a number) gets its leading zeros back. Formulas are read as
    their text (`data_only=False`), so "=HYPERLINK(...)" stays verbatim.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    if isinstance(value, int | float):
        text = str(int(value)) if float(value).is_integer() else repr(float(value))
        if _ZERO_PADDED.fullmatch(number_format or "") and text.isdigit():
            text = text.zfill(len(number_format))
        return text
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _merged_header_ranges(archive: zipfile.ZipFile, path: str, header_row: int) -> list[str]:
    """The merged ranges touching the header row, read from the sheet's XML.

    Read-only worksheets do not expose merged cells, so the `<mergeCell ref=...>` elements
    (written after the cells) are scanned directly.
    """
    found: list[str] = []
    with archive.open(path.lstrip("/")) as source:
        tail = b""
        while chunk := source.read(1 << 20):
            buffer = tail + chunk
            for match in _MERGE.finditer(buffer):
                first = coordinate_from_string(match.group(1).decode())[1]
                last = coordinate_from_string(match.group(2).decode())[1]
                ref = f"{match.group(1).decode()}:{match.group(2).decode()}"
                if first <= header_row <= last and ref not in found:
                    found.append(ref)
            tail = buffer[-200:]
    return found


def _row_texts(row: tuple[Any, ...]) -> list[str]:
    texts = [cell_text(cell.value, getattr(cell, "number_format", "General")) for cell in row]
    while texts and not texts[-1].strip():
        texts.pop()
    return texts


def records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """Yield (row number, cell texts) for each non-empty row of the first sheet.

    The first yielded row is the header; trailing empty cells are dropped, so a short row is
    never an error. Raises FrameFormatError for a file that is not a workbook, an empty sheet
    or a header with merged cells.
    """
    _check_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
        raise FrameFormatError(
            "Le fichier n'est pas un classeur Excel (.xlsx) valide : ouvrez-le dans votre "
            "tableur et enregistrez-le au format .xlsx ou CSV."
        ) from error
    try:
        if not workbook.worksheets:
            raise FrameFormatError("Le classeur ne contient aucune feuille.")
        sheet: Any = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers record wrong dimensions
        header_seen = False
        for number, row in enumerate(sheet.iter_rows(min_row=1), start=1):
            texts = _row_texts(row)
            if not any(text.strip() for text in texts):
                continue
            file_guards.check_line(number)
            if not header_seen:
                header_seen = True
                _refuse_merged_header(data, sheet, number)
            yield number, texts
        if not header_seen:
            raise FrameFormatError(f"La première feuille du classeur (« {sheet.title} ») est vide.")
    finally:
        workbook.close()


def _check_archive(data: bytes) -> None:
    """Inspect the archive before openpyxl inflates anything (``sampling.file_guards``)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            file_guards.check_workbook_archive(archive)
    except _UNREADABLE_ARCHIVE as error:
        raise FrameFormatError(
            "Le fichier n'est pas un classeur Excel (.xlsx) valide : ouvrez-le dans votre "
            "tableur et enregistrez-le au format .xlsx ou CSV."
        ) from error


def _refuse_merged_header(data: bytes, sheet: Any, header_row: int) -> None:
    path = getattr(sheet, "_worksheet_path", None)
    if not isinstance(path, str):
        return
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        merged = _merged_header_ranges(archive, path, header_row)
    if merged:
        raise FrameFormatError(
            "L'en-tête contient des cellules fusionnées (" + ", ".join(merged) + ") : "
            "défusionnez-les et donnez un nom à chaque colonne."
        )
