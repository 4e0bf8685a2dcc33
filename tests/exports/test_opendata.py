"""The open data: a zip of CSV files (UTF-8, comma, RFC 4180) described by a Frictionless
Data Package that validates, with formula-like text neutralised and nothing that names a
person (no investigator field, no free-text answer, photo or position)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import zipfile
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import frictionless
import pytest

from exports import barometer_data
from exports.barometer_data import BarometerData
from exports.opendata import csv_cell, write_opendata
from tests.exports.barometer_fixtures import (
    HOSTILE,
    QUESTION_TYPES,
    empty_barometer,
    make_barometer,
)

FILES = ["sites.csv", "tests.csv", "figures.csv", "datapackage.json"]
CODED = [q for q, kind in QUESTION_TYPES.items() if kind not in ("text", "photo", "position")]
NOT_CODED = [q for q, kind in QUESTION_TYPES.items() if kind in ("text", "photo", "position")]


@pytest.fixture(scope="module")
def data() -> BarometerData:
    return make_barometer(30)


def unpacked(data: BarometerData, folder: Path, **options: Any) -> Path:
    archive = folder / "donnees.zip"
    write_opendata(data, archive, **options)
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(folder)
    return folder


@pytest.fixture(scope="module")
def folder(data: BarometerData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unpacked(data, tmp_path_factory.mktemp("opendata"), question_types=QUESTION_TYPES)


def table(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def package(folder: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((folder / "datapackage.json").read_text("utf-8"))
    return loaded


def schema_fields(folder: Path, resource: str) -> list[dict[str, Any]]:
    (found,) = [r for r in package(folder)["resources"] if r["name"] == resource]
    fields: list[dict[str, Any]] = found["schema"]["fields"]
    return fields


def number(text: str) -> float | None:
    return None if text == "" else float(text)


def assert_valid(folder: Path) -> None:
    report = frictionless.validate(folder / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


# --- the package ---------------------------------------------------------------------------


def test_the_zip_holds_three_csv_files_and_their_package(data: BarometerData) -> None:
    stream = io.BytesIO()
    write_opendata(data, stream)
    assert zipfile.ZipFile(stream).namelist() == FILES


def test_the_package_validates_with_frictionless(folder: Path) -> None:
    assert_valid(folder)


def test_the_package_validates_without_question_types(data: BarometerData, tmp_path: Path) -> None:
    assert_valid(unpacked(data, tmp_path))


def test_an_empty_barometer_gives_valid_open_data(tmp_path: Path) -> None:
    folder = unpacked(empty_barometer(), tmp_path)
    assert_valid(folder)
    assert table(folder, "tests.csv") == []
    assert len(table(folder, "sites.csv")) == 12


@pytest.mark.parametrize("name", ["sites", "tests", "figures"])
def test_every_column_is_described_in_french_in_the_package(folder: Path, name: str) -> None:
    fields = schema_fields(folder, name)
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as stream:
        assert next(csv.reader(stream)) == [f["name"] for f in fields]
    for described in fields:
        assert described["type"] in {"string", "integer", "number", "date", "time", "datetime"}
        assert described["title"]
        assert described["description"].strip()


def test_the_package_says_how_to_read_the_files(folder: Path) -> None:
    described = package(folder)
    assert described["profile"] == "tabular-data-package"
    assert described["name"] == "barometre-2026-campagne-7"
    assert described["licenses"][0]["name"] == "etalab-2.0"
    for resource in described["resources"]:
        assert resource["encoding"] == "utf-8"
        assert resource["dialect"]["delimiter"] == ","
        assert resource["schema"]["missingValues"] == [""]
    (tests,) = [r for r in described["resources"] if r["name"] == "tests"]
    assert tests["schema"]["foreignKeys"][0]["reference"] == {
        "resource": "sites",
        "fields": ["site_code"],
    }
    assert all(question in tests["description"] for question in NOT_CODED)


def test_files_are_utf8_without_bom_comma_separated_with_crlf(folder: Path) -> None:
    raw = (folder / "sites.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.startswith(b"site_code,site_name,network,")
    assert b"\r\n" in raw
    assert "Île-de-France".encode() in raw


# --- the rows ------------------------------------------------------------------------------


def test_site_rows_equal_the_data_exactly(folder: Path, data: BarometerData) -> None:
    rows = table(folder, "sites.csv")
    assert len(rows) == len(data.sites)
    for row, site in zip(rows, data.sites, strict=True):
        assert row["site_code"] == site.code
        assert row["network"] == site.network
        assert row["department"] == site.department
        assert number(row["weight"]) == site.weight
        assert number(row["inclusion_probability"]) == site.inclusion_probability
        assert int(row["tests"]) == site.tests
        assert number(row["grade"]) == site.grade
        assert row["rank"] == ("" if site.rank is None else str(site.rank))
        for code, grade in site.engagement_grades.items():
            assert number(row[f"grade_{code}"]) == grade
        for channel, grade in site.channel_grades.items():
            assert number(row[f"grade_{channel}"]) == grade


def test_test_rows_keep_their_grades_and_coded_answers(folder: Path, data: BarometerData) -> None:
    rows = table(folder, "tests.csv")
    assert len(rows) == len(data.tests)
    for row, test in zip(rows, data.tests, strict=True):
        assert int(row["test_id"]) == test.report_id
        assert row["site_code"] == test.site_code
        assert row["channel"] == test.channel
        assert number(row["grade"]) == test.grade
        assert row["started_at"] == csv_cell(test.started_at)
        for question in CODED:
            value = test.answers.get(question)
            if isinstance(value, list):
                assert row[question] == "|".join(value)
            elif QUESTION_TYPES[question] == "time" and value is not None:
                assert row[question] == f"{value}:00"
            elif isinstance(value, int | float):
                assert number(row[question]) == value
            else:
                assert row[question] == ("" if value is None else value)


def test_free_text_photos_and_positions_are_left_out(folder: Path) -> None:
    columns = [f["name"] for f in schema_fields(folder, "tests")]
    assert not set(NOT_CODED) & set(columns)
    text = (folder / "tests.csv").read_text("utf-8")
    assert "Mme Durand" not in text
    assert "photo-" not in text
    assert "latitude" not in text


def test_nothing_names_or_traces_an_investigator(folder: Path) -> None:
    assert "investigator" not in {f.name for f in dataclasses.fields(barometer_data.TestRow)}
    columns = [f["name"] for f in schema_fields(folder, "tests")]
    words = ("investigat", "enqueteur", "enquêteur", "assignee", "user", "author", "position")
    assert [c for c in columns if any(word in c for word in words)] == []
    assert "mission_id" not in columns
    assert "submitted_at" not in columns


def test_a_question_the_types_do_not_know_is_left_out(data: BarometerData, tmp_path: Path) -> None:
    tests = [replace(data.tests[0], answers={**data.tests[0].answers, "nouvelle": "oui"})]
    folder = unpacked(replace(data, tests=tests), tmp_path, question_types=QUESTION_TYPES)
    assert "nouvelle" not in table(folder, "tests.csv")[0]


def test_without_types_only_answers_that_cannot_name_anyone_are_kept(
    data: BarometerData, tmp_path: Path
) -> None:
    columns = set(table(unpacked(data, tmp_path), "tests.csv")[0])
    assert {"v_site_ouvert", "v_attente_minutes", "v_date_visite", "l_delai_jours"} <= columns
    assert not {"v_observations", "v_acces_fauteuil", "w_elements_pmr", "v_position"} & columns


def test_answer_fields_are_typed_and_constrained(folder: Path) -> None:
    fields = {f["name"]: f for f in schema_fields(folder, "tests")}
    assert fields["v_site_ouvert"]["constraints"]["enum"] == ["oui", "non"]
    assert fields["v_horaires_conformes"]["constraints"]["enum"] == ["oui", "non", "na"]
    assert fields["t_sonneries"]["type"] == "integer"
    assert fields["t_sonneries"]["constraints"]["minimum"] == 0
    assert fields["l_delai_jours"]["type"] == "number"
    assert fields["v_date_visite"]["type"] == "date"
    assert fields["v_heure_arrivee"]["type"] == "time"
    assert "|" in fields["w_elements_pmr"]["description"]


def test_figures_hold_every_published_estimate(folder: Path, data: BarometerData) -> None:
    rows = table(folder, "figures.csv")
    views = [row["view"] for row in rows]
    assert views.count("engagement") == len(data.by_engagement)
    assert views.count("network") == len(data.by_network)
    assert views.count("change") == 1
    assert views.count("national") == len(data.evolution)
    national = rows[0]
    assert national["view"] == "national"
    assert number(national["estimate"]) == data.national.estimate
    assert number(national["ci_low"]) == data.national.ci_low
    assert int(national["df"]) == data.national.df
    e11 = next(row for row in rows if row["key"] == "E11")
    assert e11["estimate"] == ""


# --- text is data ----------------------------------------------------------------------------


def test_formula_like_text_is_neutralised(folder: Path, data: BarometerData) -> None:
    names = {row["site_name"] for row in table(folder, "sites.csv")}
    hostile_names = {site.name for site in data.sites if site.name in HOSTILE}
    assert hostile_names
    assert {f"'{name}" for name in hostile_names} <= names
    assert not any(name.startswith(("=", "+", "-", "@", "\t")) for name in names)
    (site_name,) = [f for f in schema_fields(folder, "sites") if f["name"] == "site_name"]
    assert "apostrophe" in site_name["description"]


def test_numbers_are_never_touched_and_keep_full_precision() -> None:
    assert csv_cell(-5) == "-5"
    assert csv_cell(0.1 + 0.2) == "0.30000000000000004"
    assert csv_cell(1e-7) == "0.0000001"
    assert csv_cell(float("nan")) == ""
    assert csv_cell("-5") == "'-5"


def test_times_are_iso_8601_in_utc() -> None:
    paris = timezone(timedelta(hours=2))
    assert csv_cell(datetime(2026, 4, 2, 10, 15, tzinfo=paris)) == "2026-04-02T08:15:00Z"
    assert csv_cell(datetime(2026, 4, 2, 10, 15)) == "2026-04-02T10:15:00Z"


def test_a_question_named_like_a_column_gets_its_own_name(
    data: BarometerData, tmp_path: Path
) -> None:
    test = replace(data.tests[0], answers={"grade": 3})
    folder = unpacked(replace(data, tests=[test]), tmp_path, question_types={"grade": "integer"})
    row = table(folder, "tests.csv")[0]
    assert row["reponse_grade"] == "3"
    assert number(row["grade"]) == test.grade
    assert_valid(folder)
