"""Reading a sampling frame (the list of eligible sites) from a CSV or XLSX file.

Implements DESIGN.md §3.3: whole-file problems raise `FrameFormatError` (French message);
row problems become `Rejection`s with the physical line number a spreadsheet user would see.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from sampling import frame_csv, frame_xlsx
from sampling.frame_columns import map_columns
from sampling.frame_model import (
    FrameFormatError,
    FrameReadResult,
    FrameSite,
    FrameTooLargeError,
    Rejection,
)
from sampling.frame_rows import RowBuilder, field_count_reason

__all__ = [
    "FrameFormatError",
    "FrameReadResult",
    "FrameSite",
    "FrameTooLargeError",
    "Records",
    "Rejection",
    "fit_width",
    "open_records",
    "read_frame",
]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls


def check_size(size: int, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Refuse a file by its size alone, so a caller holding only a path need not read it."""
    if size > max_bytes:

        def megabytes(count: int) -> str:
            return f"{count / 1_048_576:.1f}".replace(".", ",")

        raise FrameTooLargeError(
            f"Le fichier fait {megabytes(size)} Mo, au-delà de la limite de "
            f"{megabytes(max_bytes)} Mo."
        )


@dataclass
class Records:
    """A file's records, header first, as (physical line or row number, field texts)."""

    rows: Iterator[tuple[int, list[str]]]
    encoding: str | None
    delimiter: str | None
    #: CSV records must have exactly the header's width; XLSX rows may stop early.
    csv_rows: bool
    #: The text may hold NUL characters: check each row for them.
    nul: bool


def open_records(data: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Records:
    """Recognise a CSV or XLSX file and iterate its records, whatever its columns.

    The format comes from the content first (an XLSX is a ZIP archive), then the name: a file
    named .xlsx that is not a workbook is refused rather than misread as text.
    """
    check_size(len(data), max_bytes)
    if not data:
        raise FrameFormatError("Le fichier est vide.")
    extension = os.path.splitext(filename)[1].lower()
    if data.startswith(_OLE_MAGIC) or extension == ".xls":
        raise FrameFormatError(
            "Le format Excel 97-2003 (.xls) n'est pas pris en charge : enregistrez le fichier "
            "au format .xlsx ou CSV."
        )
    if data.startswith(_ZIP_MAGIC) or extension in {".xlsx", ".xlsm"}:
        if not data.startswith(_ZIP_MAGIC):
            raise FrameFormatError(
                f"Le fichier « {filename} » porte l'extension {extension} mais n'est pas un "
                "classeur Excel : enregistrez-le au format .xlsx ou CSV."
            )
        return Records(
            frame_xlsx.records(data), encoding=None, delimiter=None, csv_rows=False, nul=True
        )
    text, encoding = frame_csv.decode(data)
    delimiter = frame_csv.detect_delimiter(text)
    return Records(
        frame_csv.records(text, delimiter),
        encoding=encoding,
        delimiter=delimiter,
        csv_rows=True,
        nul="\x00" in text,
    )


def fit_width(line: int, fields: list[str], width: int, *, csv_rows: bool) -> list[str] | Rejection:
    """A record cut to the header's width (trailing separators dropped), or its rejection."""
    if len(fields) > width and not any(fields[width:]):
        fields = fields[:width]  # trailing separators
    if len(fields) > width or (csv_rows and len(fields) < width):
        return Rejection(line, field_count_reason(len(fields), width))
    return fields


def read_frame(
    data: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> FrameReadResult:
    """Read a frame file, keeping good sites and listing refused rows."""
    return _read(open_records(data, filename, max_bytes=max_bytes))


def _read(records: Records) -> FrameReadResult:
    header = next(records.rows, None)
    if header is None:
        raise FrameFormatError("Le fichier ne contient aucune ligne (ni en-tête, ni site).")
    columns = map_columns(header[1])
    builder = RowBuilder(columns, check_nul=records.nul)
    width = len(columns.columns)
    sites: list[FrameSite] = []
    rejected: list[Rejection] = []
    for line, fields in records.rows:
        fitted = fit_width(line, fields, width, csv_rows=records.csv_rows)
        if isinstance(fitted, Rejection):  # name the site too, as far as the fields tell
            fitted = Rejection(fitted.line, fitted.reason, builder.site_id(fields))
        outcome = fitted if isinstance(fitted, Rejection) else builder.build(line, fitted)
        if isinstance(outcome, Rejection):
            rejected.append(outcome)
        else:
            sites.append(outcome)
    if not sites and not rejected:
        raise FrameFormatError("Le fichier ne contient que l'en-tête : aucun site à importer.")
    return FrameReadResult(
        sites=sites,
        rejected=rejected,
        columns=columns.columns,
        encoding=records.encoding,
        delimiter=records.delimiter,
    )
