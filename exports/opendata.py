"""The barometer's open data: a zip of CSV files described by a Frictionless Data Package.

Pure: no database and no web framework. ``write_opendata(data, target)`` writes
``datapackage.json`` (a Tabular Data Package: a Table Schema per file, with French titles and
descriptions) and three CSV files:

- ``sites.csv``: every sampled site with its weight, tests, grades and rank;
- ``tests.csv``: every approved test with its grades and its *coded* answers;
- ``figures.csv``: every published estimate with its interval (national, share of sites at
  7/10 or more, by engagement, network, region and channel, the change on last year, the
  earlier years of the evolution).

Choices, for the portals that will take the files (data.gouv.fr and the like):

- **CSV dialect**: UTF-8 *without* BOM, ``,`` separator, ``.`` decimal point, ``"`` quotes,
  CRLF line ends (RFC 4180, the Frictionless default and what Etalab's guides ask for);
  numbers at full precision; times in ISO 8601, UTC (``2026-03-02T08:00:00Z``); an empty
  field means "no data". (The workbook is the file for spreadsheets; ``exports.csv_safe``'s
  ``;``-separated files with a BOM are for French Excel users, not for open-data portals.)
- **Formula safety**: text starting with ``= + - @``, a tab or a carriage return gets an
  apostrophe before it (``exports.csv_safe.safe_text``), so a spreadsheet opening the file
  never runs it; the schema says so. Numbers are never altered.
- **No person in the data**: there is no investigator field in a ``TestRow`` and none is
  added. Free-text answers (``text`` questions) may name site staff ("accueilli par Mme …"),
  photos may show them and positions trace the investigator: those answers are **dropped**.
  Coded answers (yes/no, choices, numbers, durations, rings, dates, times) are kept. With
  ``question_types`` (question id → questionnaire type) the choice follows the types and a
  question missing from it is dropped; without it, only answers whose every value is a
  number, a yes/no/na word, a date or a time are kept (free strings, lists and objects are
  dropped). The dropped question ids are listed in the data package.
"""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from os import PathLike
from typing import Any, BinaryIO

from exports.barometer_data import BarometerData
from exports.csv_safe import safe_text
from exports.opendata_answers import answer_columns
from exports.opendata_schema import (
    Field,
    approved_test_fields,
    figure_fields,
    figure_rows,
    site_fields,
)

Target = BinaryIO | str | PathLike[str]

LICENCE = {
    "name": "etalab-2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "title": "Licence Ouverte / Open Licence version 2.0",
}

# --- cells ---------------------------------------------------------------------------------


def _number(value: float) -> str:
    if not math.isfinite(value):
        return ""
    text = repr(value)  # the shortest text that reads back as the same float
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


def csv_cell(value: object) -> str:
    """One value as CSV text: numbers exact, times ISO 8601 in UTC, text formula-safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
        return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return safe_text(str(value))


# --- files ---------------------------------------------------------------------------------

DIALECT = {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "lineTerminator": "\r\n"}


def _write_csv(
    archive: zipfile.ZipFile, name: str, fields: Sequence[Field], rows: Iterable[Any]
) -> None:
    """Stream one CSV file into the archive (UTF-8 without BOM, RFC 4180)."""
    readers = [f.read for f in fields]
    with (
        archive.open(name, "w", force_zip64=True) as raw,
        io.TextIOWrapper(raw, encoding="utf-8", newline="") as stream,
    ):
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow([f.name for f in fields])
        writer.writerows([csv_cell(read(row)) for read in readers] for row in rows)


def _resource(name: str, title: str, description: str, fields: Sequence[Field]) -> dict[str, Any]:
    return {
        "name": name,
        "path": f"{name}.csv",
        "profile": "tabular-data-resource",
        "title": title,
        "description": description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": DIALECT,
        "schema": {"fields": [f.descriptor() for f in fields], "missingValues": [""]},
    }


def datapackage(
    data: BarometerData,
    sites: Sequence[Field],
    tests: Sequence[Field],
    figures: Sequence[Field],
    dropped: Sequence[str],
) -> dict[str, Any]:
    """The Frictionless Data Package describing the three files."""
    site_resource = _resource(
        "sites",
        "Sites de l’échantillon",
        "Un site échantillonné par ligne : plan de sondage, poids, tests, notes et rang.",
        sites,
    )
    site_resource["schema"]["primaryKey"] = ["site_code"]
    left_out = ", ".join(dropped) if dropped else "aucune"
    test_resource = _resource(
        "tests",
        "Tests approuvés",
        "Un test approuvé par ligne, avec ses notes et ses réponses codées. Aucune donnée "
        "sur l’enquêteur. Les réponses en texte libre (qui peuvent nommer des agents), les "
        f"photos et les positions sont retirées ; questions retirées : {left_out}.",
        tests,
    )
    test_resource["schema"]["primaryKey"] = ["test_id"]
    test_resource["schema"]["foreignKeys"] = [
        {"fields": ["site_code"], "reference": {"resource": "sites", "fields": ["site_code"]}}
    ]
    figure_resource = _resource(
        "figures",
        "Chiffres publiés",
        "Estimations pondérées du plan de sondage, avec erreur type et intervalle de "
        "confiance : note nationale, part des sites à 7/10 ou plus, notes par engagement, "
        "réseau, région et canal, évolution, et années antérieures.",
        figures,
    )
    figure_resource["schema"]["primaryKey"] = ["campaign_id", "view", "key"]
    created = data.generated_at
    created = created.astimezone(UTC) if created.tzinfo else created
    return {
        "profile": "tabular-data-package",
        "name": f"barometre-{data.year}-campagne-{data.campaign_id}",
        "title": f"Baromètre de la qualité de l’accueil {data.year}",
        "description": (
            f"Résultats de la campagne « {data.campaign_name} » (référentiel "
            f"{data.referentiel}) : tests mystère des services publics, notes sur 10 "
            "(7/10 = seuil d’exigence, 9/10 = excellence)."
        ),
        "created": created.replace(tzinfo=None).isoformat(timespec="seconds") + "Z",
        "keywords": ["baromètre", "qualité de l’accueil", "services publics", "client mystère"],
        "licenses": [LICENCE],
        "resources": [site_resource, test_resource, figure_resource],
    }


def write_opendata(
    data: BarometerData, target: Target, *, question_types: Mapping[str, str] | None = None
) -> None:
    """Write the open-data zip of ``data`` to ``target`` (a binary file or a path).

    ``question_types`` (question id → questionnaire type) decides which answers are coded
    and published; without it, the values decide, conservatively (module docstring).
    """
    answers = answer_columns(data.tests, question_types)
    sites = site_fields(data)
    tests = approved_test_fields(data, answers.fields)
    figures = figure_fields(data.methodology.level)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        _write_csv(archive, "sites.csv", sites, data.sites)
        _write_csv(archive, "tests.csv", tests, data.tests)
        _write_csv(archive, "figures.csv", figures, figure_rows(data))
        package = datapackage(data, sites, tests, figures, answers.dropped)
        archive.writestr(
            "datapackage.json", json.dumps(package, ensure_ascii=False, indent=2) + "\n"
        )
