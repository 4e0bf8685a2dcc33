"""``GET /campaigns/{id}/barometer.xlsx`` and ``…/opendata.zip``: analysts and coordinators
download the files; their figures are those of ``GET /campaigns/{id}/results``."""

from __future__ import annotations

import csv
import io
import math
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import frictionless
import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from exports.workbook_summary import SUMMARY_HEADER_ROW
from server.extensions import db
from server.models import Role
from tests.factories import Factory
from tests.server.services.test_results import Fieldwork

Headers = Callable[..., dict[str, str]]
HOSTILE_NAME = '=HYPERLINK("http://example.com";"x")'
ROUTES = ["barometer.xlsx", "opendata.zip"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def campaign_id(factory: Factory, session: Session) -> int:
    """A campaign of 12 sites in 3 strata, a visit and a call each, all approved; one site's
    name starts like a formula."""
    fieldwork = Fieldwork(factory, session)
    frame = [("Préfecture", "Bretagne", 4), ("Préfecture", "Normandie", 4), ("SIP", "Bretagne", 4)]
    campaign = fieldwork.campaign(2026, frame, size=9)
    wave = fieldwork.wave(campaign, {"visit": 1, "phone": 1})
    missions = fieldwork.missions(wave)
    missions[0].sampled_site.site.name = HOSTILE_NAME
    fieldwork.play(wave, lambda mission: "approve", lambda mission: 0.7)
    db.session.commit()
    return campaign.id


def close(written: Any, expected: Any) -> bool:
    """Equal as Excel holds it (openpyxl writes 16 significant digits)."""
    if isinstance(expected, float) and isinstance(written, int | float):
        return math.isclose(written, expected, rel_tol=1e-15, abs_tol=0.0)
    return bool(written == expected)


# --- access --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ANALYST, Role.COORDINATOR, Role.ADMIN])
@pytest.mark.parametrize(
    ("route", "mimetype", "name"),
    [
        ("barometer.xlsx", XLSX, "barometre-2026.xlsx"),
        ("opendata.zip", "application/zip", "barometre-2026-donnees-ouvertes.zip"),
    ],
)
def test_readers_download_the_file_with_a_french_name(
    client: FlaskClient,
    token_for: Headers,
    campaign_id: int,
    role: Role,
    route: str,
    mimetype: str,
    name: str,
) -> None:
    response = client.get(f"/api/v1/campaigns/{campaign_id}/{route}", headers=token_for(role))
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.headers["Content-Disposition"] == f"attachment; filename={name}"
    assert zipfile.is_zipfile(io.BytesIO(response.data))


@pytest.mark.parametrize("route", ROUTES)
def test_an_investigator_is_refused(
    client: FlaskClient, token_for: Headers, campaign_id: int, route: str
) -> None:
    response = client.get(
        f"/api/v1/campaigns/{campaign_id}/{route}", headers=token_for(Role.INVESTIGATOR)
    )
    assert response.status_code == 403


@pytest.mark.parametrize("route", ROUTES)
def test_an_anonymous_caller_must_sign_in(
    client: FlaskClient, campaign_id: int, route: str
) -> None:
    assert client.get(f"/api/v1/campaigns/{campaign_id}/{route}").status_code == 401


@pytest.mark.parametrize("route", ROUTES)
def test_an_unknown_campaign_is_404(client: FlaskClient, token_for: Headers, route: str) -> None:
    response = client.get(f"/api/v1/campaigns/9999/{route}", headers=token_for(Role.ANALYST))
    assert response.status_code == 404
    assert response.json["code"] == "not_found"


def test_the_routes_are_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for route in ROUTES:
        operation = paths[f"/api/v1/campaigns/{{campaign_id}}/{route}"]["get"]
        assert "200" in operation["responses"]


# --- content -------------------------------------------------------------------------------


def test_workbook_figures_equal_the_results_api(
    client: FlaskClient, token_for: Headers, campaign_id: int
) -> None:
    headers = token_for(Role.ANALYST)
    results = client.get(f"/api/v1/campaigns/{campaign_id}/results", headers=headers).json
    response = client.get(f"/api/v1/campaigns/{campaign_id}/barometer.xlsx", headers=headers)
    book = load_workbook(io.BytesIO(response.data))
    keys = ["estimate", "se", "ci_low", "ci_high", "n", "df"]
    summary = book["Synthèse"]
    for offset, name in enumerate(("national", "share_at_least_7"), start=1):
        row = [cell.value for cell in summary[SUMMARY_HEADER_ROW + offset]][1:7]
        assert all(close(w, results[name][k]) for w, k in zip(row, keys, strict=True)), name
    assert results["national"]["estimate"] is not None
    for sheet, view in (
        ("Engagements", "by_engagement"),
        ("Réseaux", "by_network"),
        ("Régions", "by_region"),
        ("Canaux", "by_channel"),
    ):
        rows = list(book[sheet].iter_rows(min_row=2, values_only=True))
        assert [row[0] for row in rows] == [figure["key"] for figure in results[view]]
        for row, figure in zip(rows, results[view], strict=True):
            assert all(close(w, figure[k]) for w, k in zip(row[2:8], keys, strict=True)), sheet
    sites = list(book["Sites"].iter_rows(min_row=2, values_only=True))
    assert len(sites) == 9
    tests = list(book["Tests"].iter_rows(min_row=2, values_only=True))
    assert len(tests) == 18


def test_formula_like_site_names_stay_text_in_the_workbook(
    client: FlaskClient, token_for: Headers, campaign_id: int
) -> None:
    response = client.get(
        f"/api/v1/campaigns/{campaign_id}/barometer.xlsx", headers=token_for(Role.ANALYST)
    )
    book = load_workbook(io.BytesIO(response.data))
    found = [
        cell
        for ws in book.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.value == HOSTILE_NAME
    ]
    assert found
    assert {cell.data_type for cell in found} == {"s"}


def test_open_data_validates_and_keeps_no_free_text(
    client: FlaskClient, token_for: Headers, campaign_id: int, tmp_path: Path
) -> None:
    response = client.get(
        f"/api/v1/campaigns/{campaign_id}/opendata.zip", headers=token_for(Role.COORDINATOR)
    )
    zipfile.ZipFile(io.BytesIO(response.data)).extractall(tmp_path)
    report = frictionless.validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    header = (tmp_path / "tests.csv").read_text("utf-8").splitlines()[0].split(",")
    assert "v_site_ouvert" in header  # a coded answer of the shipped visit questionnaire
    assert "v_observations" not in header  # free text
    assert "t_numero" not in header  # free text too
    assert "v_position" not in header
    sites = (tmp_path / "sites.csv").read_text("utf-8")
    names = [row["site_name"] for row in csv.DictReader(io.StringIO(sites))]
    assert "'" + HOSTILE_NAME in names
