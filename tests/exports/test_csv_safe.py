"""CSV exports: formulas hidden in text never run, numbers keep French decimal commas."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from exports.csv_safe import csv_bytes, safe_text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+33 1 23", "'+33 1 23"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcaché", "'\tcaché"),
        ("\rcaché", "'\rcaché"),
        ("Préfecture du Finistère", "Préfecture du Finistère"),
        ("Maison France services – Saint-Brieuc", "Maison France services – Saint-Brieuc"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_safe_text_prefixes_only_formula_starts(value: str, expected: str) -> None:
    assert safe_text(value) == expected


def _parse(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_file_starts_with_a_bom_and_uses_semicolons_and_crlf() -> None:
    data = csv_bytes(["site_id", "nom"], [["S1", "Mairie"]])
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == "site_id;nom\r\nS1;Mairie\r\n"


def test_numbers_are_written_with_a_decimal_comma_and_never_escaped() -> None:
    data = csv_bytes(
        ["a", "b", "c", "d", "e"], [[0.4166666666666667, -5, -2.5, Decimal("12.50"), 1e-05]]
    )
    assert _parse(data)[1] == ["0,4166666666666667", "-5", "-2,5", "12,50", "0,00001"]


def test_decimal_point_when_asked() -> None:
    data = csv_bytes(["p"], [[2.4]], delimiter=",", decimal_comma=False)
    assert data.decode("utf-8-sig") == "p\r\n2.4\r\n"


def test_text_cells_and_header_are_made_safe_and_quoted_when_needed() -> None:
    rows = [['=HYPERLINK("x")', "+33 1 23", "Nom; avec point-virgule", None, True]]
    parsed = _parse(csv_bytes(["=titre", "tél", "nom", "vide", "certitude"], rows))
    assert parsed[0][0] == "'=titre"
    assert parsed[1] == ['\'=HYPERLINK("x")', "'+33 1 23", "Nom; avec point-virgule", "", "oui"]


def test_infinite_or_missing_numbers_are_blank() -> None:
    assert _parse(csv_bytes(["x", "y"], [[float("nan"), float("inf")]]))[1] == ["", ""]
