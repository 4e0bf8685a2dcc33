"""XLSForm export: pyxform converts every shipped questionnaire; relevance and types map."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook
from pyxform.xls2xform import convert  # type: ignore[import-untyped]  # pyxform has no stubs

from survey_schemas import (
    Questionnaire,
    build_xlsform,
    load_questionnaire,
    parse_condition,
    shipped_questionnaire,
    shipped_questionnaires,
)
from survey_schemas.xlsform import relevant


@pytest.mark.parametrize("questionnaire", shipped_questionnaires(), ids=lambda q: q.code)
def test_pyxform_converts_shipped_questionnaire_without_warning(
    questionnaire: Questionnaire,
) -> None:
    warnings: list[str] = []
    result = convert(xlsform=build_xlsform(questionnaire), warnings=warnings, file_type=".xlsx")
    assert warnings == []
    assert f'id="{questionnaire.code.replace("-", "_")}"' in result.xform


def _rows(workbook_bytes: bytes, sheet: str) -> list[dict[str, Any]]:
    rows = list(load_workbook(BytesIO(workbook_bytes))[sheet].iter_rows(values_only=True))
    header = [str(name) for name in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def test_types_and_settings_are_mapped() -> None:
    visit = shipped_questionnaire("marianne-visit", 1)
    workbook = build_xlsform(visit)
    rows = _rows(workbook, "survey")
    types = {row["name"]: row["type"] for row in rows if "group" not in row["type"]}
    assert types["v_site_ouvert"] == "select_one oui_non"
    assert types["v_horaires_conformes"] == "select_one oui_non_na"
    assert types["v_acces_fauteuil"] == "select_one v_acces_fauteuil"
    assert types["v_attente_minutes"] == "integer"
    assert types["v_photo_attente"] == "image"
    assert types["v_position"] == "geopoint"
    assert types["v_heure_arrivee"] == "time"
    assert {"type": "begin group", "name": "accueil"}.items() <= rows[14].items()
    settings = _rows(workbook, "settings")[0]
    assert (settings["form_id"], settings["version"]) == ("marianne_visit", "1")


def test_constraints_are_translated() -> None:
    visit = shipped_questionnaire("marianne-visit", 1)
    rows = {row["name"]: row for row in _rows(build_xlsform(visit), "survey")}
    assert rows["v_heure_sortie"]["constraint"] == ". >= ${v_heure_arrivee}"
    assert rows["v_date_visite"]["constraint"] == ". <= today()"
    assert rows["v_attente_minutes"]["constraint"] == ". >= 0 and . <= 480"
    assert rows["v_attente_minutes"]["relevant"] == "${v_site_ouvert} = 'oui'"


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ('one = "oui"', "${one} = 'oui'"),
        ('one != "oui"', "(${one} != '' and ${one} != 'oui')"),
        ("n <= 5", "${n} <= 5"),
        ("n > 2.5", "${n} > 2.5"),
        ('one in ["oui", "non"]', "(${one} = 'oui' or ${one} = 'non')"),
        ('many = "a"', "selected(${many}, 'a')"),
        ('many != "a"', "(${many} != '' and not(selected(${many}, 'a')))"),
        ('many in ["a", "b"]', "(selected(${many}, 'a') or selected(${many}, 'b'))"),
        ("answered(n)", "${n} != ''"),
        ('not (one = "oui" or n < 3)', "not((${one} = 'oui' or ${n} < 3))"),
    ],
)
def test_visible_if_becomes_relevant(
    make_questionnaire: Callable[[list[dict[str, Any]]], Questionnaire],
    condition: str,
    expected: str,
) -> None:
    choices = [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]
    questionnaire = make_questionnaire(
        [
            {"id": "one", "type": "yes_no", "label": "Un"},
            {"id": "n", "type": "integer", "label": "N"},
            {"id": "many", "type": "multiple_choice", "label": "Plusieurs", "choices": choices},
        ]
    )
    assert relevant(parse_condition(condition), questionnaire) == expected


def test_questionnaire_without_sections_has_no_group(
    small_document: Callable[[], dict[str, Any]],
) -> None:
    rows = _rows(build_xlsform(load_questionnaire(small_document())), "survey")
    assert [row["type"] for row in rows] == [
        "select_one oui_non",
        "integer",
        "select_one oui_non_na",
    ]
