"""The XML we parse goes through defusedxml: openpyxl picks it when it is installed (it is
pinned in requirements.txt), and this checks that it really did, whatever the guard in
``sampling.file_guards`` catches first. openpyxl is the only XML parser fed uploads: the
XLSForm and workbook code only writes XML, and the definitions are JSON."""

from __future__ import annotations

import io
from pathlib import Path

import defusedxml
import openpyxl
import pytest
from openpyxl.xml import functions

from sampling import read_frame
from tests.server.hostile import files


def test_openpyxl_parses_through_defusedxml() -> None:
    assert openpyxl.DEFUSEDXML is True
    assert functions.iterparse.__module__.startswith("defusedxml")
    assert functions.fromstring.__module__.startswith("defusedxml")


@pytest.mark.parametrize(
    ("document", "refusal"),
    [
        pytest.param(files.billion_laughs(), defusedxml.EntitiesForbidden, id="billion-laughs"),
        pytest.param(
            files.external_entity(Path("/etc/passwd")),
            defusedxml.EntitiesForbidden,
            id="external-entity",
        ),
    ],
)
def test_openpyxl_refuses_entities_itself(document: bytes, refusal: type[Exception]) -> None:
    with pytest.raises(refusal):
        functions.fromstring(document)
    with pytest.raises(refusal):
        for _ in functions.iterparse(io.BytesIO(document)):
            pass


def test_an_external_entity_never_brings_a_file_into_the_frame(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("MOT-DE-PASSE-DU-SERVEUR", encoding="utf-8")
    for part in ("xl/worksheets/sheet1.xml", "xl/workbook.xml"):
        hostile = files.xml_bomb_workbook(files.external_entity(secret), part)
        with pytest.raises(ValueError, match="interdites") as refused:
            read_frame(hostile, "base.xlsx")
        assert "MOT-DE-PASSE" not in str(refused.value)
