"""``barometre export barometer|opendata --campaign ID --output FILE``."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from server.extensions import db
from tests.factories import Factory
from tests.server.services.test_results import Fieldwork


@pytest.fixture
def campaign_id(factory: Factory, session: Session) -> int:
    """Six sites of two strata, one visit each, all approved."""
    fieldwork = Fieldwork(factory, session)
    campaign = fieldwork.campaign(2026, [("Préfecture", "Bretagne", 3), ("SIP", "Bretagne", 3)])
    wave = fieldwork.wave(campaign, {"visit": 1})
    fieldwork.play(wave, lambda mission: "approve", lambda mission: 0.8)
    db.session.commit()
    return campaign.id


def test_help_lists_both_exports(runner: Any) -> None:
    result = runner.invoke(args=["export", "--help"])
    assert result.exit_code == 0
    assert "barometer" in result.output
    assert "opendata" in result.output


@pytest.mark.parametrize("option", ["--output", "--out"])
def test_export_barometer_writes_the_workbook(
    runner: Any, campaign_id: int, tmp_path: Path, option: str
) -> None:
    target = tmp_path / "barometre-2026.xlsx"
    result = runner.invoke(
        args=["export", "barometer", "--campaign", str(campaign_id), option, str(target)]
    )
    assert result.exit_code == 0, result.output
    assert "6 tests approuvés, 6 sites" in result.output
    book = load_workbook(target, read_only=True)
    assert book.sheetnames[0] == "Synthèse"
    assert len(list(book["Tests"].iter_rows(min_row=2))) == 6
    assert not list(tmp_path.glob("*.partiel"))


def test_export_opendata_writes_the_zip(runner: Any, campaign_id: int, tmp_path: Path) -> None:
    target = tmp_path / "donnees.zip"
    result = runner.invoke(
        args=["export", "opendata", "--campaign", str(campaign_id), "--output", str(target)]
    )
    assert result.exit_code == 0, result.output
    names = zipfile.ZipFile(target).namelist()
    assert names == ["sites.csv", "tests.csv", "figures.csv", "datapackage.json"]


@pytest.mark.parametrize("kind", ["barometer", "opendata"])
def test_an_unknown_campaign_is_an_error_and_writes_nothing(
    runner: Any, app: Any, tmp_path: Path, kind: str
) -> None:
    target = tmp_path / "fichier"
    result = runner.invoke(args=["export", kind, "--campaign", "999", "--output", str(target)])
    assert result.exit_code == 1
    assert "999" in result.output
    assert not target.exists()
