"""Reading XLSX frame files (DESIGN.md §3.3)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import Workbook

from sampling.frame import FrameFormatError, read_frame

HEADER = ["Code site", "Nom", "Réseau", "Région", "Code postal", "Latitude"]


def workbook_bytes(rows: list[list[Any]], prepare: Callable[[Any], None] | None = None) -> bytes:
    book = Workbook()
    sheet: Any = book.active
    for row in rows:
        sheet.append(row)
    if prepare is not None:
        prepare(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_reads_sites_with_row_numbers_and_no_encoding_or_delimiter() -> None:
    data = workbook_bytes([HEADER, ["S1", "Préfecture", "P", "Bretagne", "35000", 48.11]])
    result = read_frame(data, "base.xlsx")
    site = result.sites[0]
    assert (site.line, site.site_id, site.postcode, site.latitude) == (2, "S1", "35000", 48.11)
    assert (result.encoding, result.delimiter) == (None, None)


def test_detects_a_workbook_by_content_whatever_its_name() -> None:
    data = workbook_bytes([HEADER, ["S1", "A", "P", "B"]])
    assert read_frame(data, "export.csv").sites[0].site_id == "S1"


def test_accepts_rows_with_empty_trailing_cells() -> None:
    result = read_frame(workbook_bytes([HEADER, ["S1", "A", "P", "B"]]), "base.xlsx")
    assert result.sites[0].postcode is None
    assert result.rejected == []


def test_rejects_a_row_with_more_cells_than_the_header() -> None:
    data = workbook_bytes([HEADER, ["S1", "A", "P", "B", "", 1, "en trop"]])
    result = read_frame(data, "base.xlsx")
    assert result.rejected[0].line == 2
    assert "7 au lieu de 6" in result.rejected[0].reason


def test_skips_empty_rows_but_keeps_spreadsheet_row_numbers() -> None:
    data = workbook_bytes(
        [[], HEADER, ["S1", "A", "P", "B"], [], [None, None], ["", "A", "P", "B"]]
    )
    result = read_frame(data, "base.xlsx")
    assert [s.line for s in result.sites] == [3]
    assert [r.line for r in result.rejected] == [6]


@pytest.mark.parametrize(
    ("value", "number_format", "expected"),
    [
        (1000, "00000", "01000"),
        (35000, "General", "35000"),
        (35000.0, "General", "35000"),
        (2.5, "General", "2.5"),
        ('=HYPERLINK("x")', "General", '=HYPERLINK("x")'),
        ("Mairie d’Œuilly", "General", "Mairie d’Œuilly"),
    ],
)
def test_turns_cells_into_the_text_the_user_sees(
    value: object, number_format: str, expected: str
) -> None:
    def prepare(sheet: Any) -> None:
        sheet["E2"].number_format = number_format

    data = workbook_bytes([HEADER, ["S1", "A", "P", "B", value]], prepare)
    assert read_frame(data, "base.xlsx").sites[0].postcode == expected


def test_keeps_a_formula_verbatim_without_evaluating_it() -> None:
    data = workbook_bytes([HEADER, ["S1", '=HYPERLINK("http://x", "Préfecture")', "P", "B"]])
    assert read_frame(data, "base.xlsx").sites[0].name == '=HYPERLINK("http://x", "Préfecture")'


def test_refuses_an_empty_sheet() -> None:
    with pytest.raises(FrameFormatError, match="est vide"):
        read_frame(workbook_bytes([]), "base.xlsx")


def test_refuses_a_header_with_merged_cells() -> None:
    def merge(sheet: Any) -> None:
        sheet.merge_cells("A1:B1")

    data = workbook_bytes(
        [["Code site et nom", None, "Réseau", "Région"], ["S1", "A", "P", "B"]], merge
    )
    with pytest.raises(FrameFormatError, match=r"cellules fusionnées \(A1:B1\)"):
        read_frame(data, "base.xlsx")


def test_accepts_merged_cells_below_the_header() -> None:
    def merge(sheet: Any) -> None:
        sheet.merge_cells("C2:C3")

    data = workbook_bytes([HEADER, ["S1", "A", "P", "B"], ["S2", "B", None, "B"]], merge)
    assert len(read_frame(data, "base.xlsx").sites) == 2


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"PK\x03\x04 not really a zip", "base.xlsx"),
        (b"PK\x03\x04 not really a zip", "base.csv"),
        (b"site_id;nom\n", "base.xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "base.xls"),
    ],
)
def test_refuses_files_that_are_not_workbooks(content: bytes, filename: str) -> None:
    with pytest.raises(FrameFormatError, match="Excel"):
        read_frame(content, filename)
